// Every failed window retried exactly once: hourly sweeps played in simulated time, through the
// bundled action as a runner runs it, with the retry ledger in the Actions cache stand-in (and
// without it, where Adobe reports copy-activity windows).
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CacheService } from '../../sim/cache-service.js'
import { GitHubStandIn } from '../../sim/github.js'
import { COPY_FAILED, destinationFlow, HOUR, internalFlow, MINUTE } from '../../sim/scenarios.js'
import type { Simulator } from '../../sim/simulator.js'
import { act, resultsOf, secretsOf, startSimulator, staticInputs, stopAll } from '../helpers/e2e.js'

let sim: Simulator
let cache: CacheService
let runnerTemp: string
let workflowRun = 100

beforeEach(async () => {
  cache = await new CacheService().start()
  runnerTemp = mkdtempSync(join(tmpdir(), 'aep-runner-'))
})
afterEach(async () => {
  await stopAll(sim, cache)
  rmSync(runnerTemp, { recursive: true, force: true })
})

/** Midnight of a simulated day some hours before real now (the clock then moves forward). */
const day = (): number => Math.floor(Date.now() / HOUR) * HOUR - 8 * HOUR

/** One workflow run on one runner: the cache's variables, its own run id, the runner's temp dir. */
function runner(protocol: 'v1' | 'v2' | 'none' = 'v2'): Record<string, string> {
  workflowRun++
  return {
    ...(protocol === 'none' ? {} : cache.env(protocol)),
    RUNNER_TEMP: runnerTemp,
    GITHUB_RUN_ID: String(workflowRun),
    GITHUB_RUN_ATTEMPT: '1',
    GITHUB_JOB: 'sweep'
  }
}
/**
 * A fresh simulator whose clock stands at midnight of a simulated day, and one source flow run
 * hourly from 01:00 (each run `durationMs` long, its outcome by slot: failed unless told).
 */
async function hourlyFlow(
  name: string,
  outcome: (slot: number) => string = () => 'failed',
  { durationMs = 5 * MINUTE, windows = true } = {}
) {
  sim = await startSimulator({ windows })
  const t0 = day()
  sim.setNow(t0)
  const flowId = sim.addFlow({ name })
  const schedule = sim.schedule(flowId, { firstAt: t0 + HOUR, durationMs, outcome })
  return { t0, flowId, schedule }
}
const sweep = (inputs: Record<string, string> = {}, env = runner()) =>
  act(sim, staticInputs(sim, { 'flow-id': 'all', ...inputs }), { env })

describe('an hourly sweep finds every failed window', () => {
  it('01:00 failed, 02:00 succeeded: the 02:17 sweep retries 01:00; the 03:17 sweep sends nothing', async () => {
    const { t0, schedule } = await hourlyFlow(
      'crm-accounts',
      slot => (slot === 0 ? 'failed' : 'success'),
      { durationMs: 10 * MINUTE }
    )
    sim.setNow(t0 + 2 * HOUR + 17 * MINUTE)
    const [failed] = schedule.runIds

    const first = await sweep()
    expect(first.code).toBe(0)
    expect(sim.retriggerTargets()).toEqual([failed])
    expect(resultsOf(first)).toEqual([
      expect.objectContaining({ 'run-id': failed, state: 'retriggered' })
    ])
    expect(first.summary).toContain(failed)

    sim.advance(HOUR)
    const second = await sweep()
    expect(second.code).toBe(0)
    expect(sim.retriggerTargets()).toEqual([failed])
    expect(resultsOf(second)).toEqual([
      expect.objectContaining({
        'run-id': failed,
        state: 'already-retriggered',
        'new-run-id': first.outputs['new-run-id']
      })
    ])
  })

  it('runs of 30 minutes that all fail: each is retried once it has failed, never while running', async () => {
    const { t0, schedule } = await hourlyFlow('web-events', () => 'failed', {
      durationMs: 30 * MINUTE
    })
    sim.nextLifecycle = { durationMs: 30 * MINUTE, final: 'success', records: 5 }
    const sent: string[][] = []
    for (let hour = 2; hour <= 5; hour++) {
      sim.setNow(t0 + hour * HOUR + 17 * MINUTE)
      const before = sim.retriggerTargets().length
      const run = await sweep({ 'max-retries': '3' })
      expect(run.code).toBe(0)
      sent.push(sim.retriggerTargets().slice(before))
    }
    // At hh:17 the hh:00 run is still in progress; the run before it has failed and is retried.
    const ids = schedule.runIds
    expect(sent).toEqual([[ids[0]], [ids[1]], [ids[2]], [ids[3]]])
  })

  it('failures whose retries fail are retried up to max-retries, then exhausted naming each window; success later does not hide them', async () => {
    const { t0, schedule } = await hourlyFlow('crm-contacts', slot =>
      slot < 3 ? 'failed' : 'success'
    )
    sim.nextLifecycle = {
      durationMs: 5 * MINUTE,
      final: 'failed',
      errors: [COPY_FAILED]
    }
    const inputs = { 'max-retries': '2' }
    const verdicts: (number | null)[] = []
    for (let hour = 2; hour <= 7; hour++) {
      sim.setNow(t0 + hour * HOUR + 17 * MINUTE)
      verdicts.push((await sweep(inputs)).code)
    }
    const [f1, f2, f3] = schedule.runIds
    // Each failure re-triggered once itself and once as its failed retry: max-retries 2, no more.
    const targets = sim.retriggerTargets()
    expect(targets).toHaveLength(6)
    expect(targets.filter(t => [f1, f2, f3].includes(t)).sort()).toEqual([f1, f2, f3].sort())
    expect(verdicts.slice(0, 2)).toEqual([0, 0])
    const last = await sweep(inputs)
    expect(last.code).toBe(1)
    const exhausted = resultsOf(last).filter(r => r.state === 'retries-exhausted')
    expect(exhausted.map(r => r['run-id']).sort()).toEqual([f1, f2, f3].sort())
    for (const id of [f1, f2, f3]) expect(last.stdout).toContain(`run ${id} (window `)
    expect(sim.retriggerTargets()).toHaveLength(6)
    expect(verdicts.at(-1)).toBe(1)
  })

  it('a failed run of a destination or internal flow is never touched', async () => {
    const { t0, flowId: source } = await hourlyFlow('crm')
    for (const flowId of [destinationFlow(sim, 'to-s3'), internalFlow(sim)])
      sim.schedule(flowId, { firstAt: t0 + HOUR, durationMs: 5 * MINUTE, outcome: () => 'failed' })
    sim.setNow(t0 + HOUR + 17 * MINUTE)
    const run = await sweep()
    expect(run.code).toBe(0)
    expect(sim.retriggerTargets()).toHaveLength(1)
    expect(sim.runsOf(source).map(r => r.id)).toContain(sim.retriggerTargets()[0])
    expect(run.stdout).toMatch(
      /Left alone 2 failed run\(s\) of 2 flow\(s\) that are not source dataflows/
    )
  })
})

describe('run-id given twice: a re-run sends nothing and reports the same new runs', () => {
  it.each([
    ['with the ledger, where Adobe reports no windows', 'v2', false],
    ['with the ledger on GitHub Enterprise Server (cache v1)', 'v1', false],
    ['with the cache unreachable, where Adobe reports windows', 'unreachable', true],
    ['with no cache service at all (not a runner), where Adobe reports windows', 'none', true]
  ] as const)('%s', async (_, protocol, windows) => {
    const { t0, schedule } = await hourlyFlow('orders', () => 'failed', { windows })
    sim.nextLifecycle = { durationMs: 30 * MINUTE, final: 'success', records: 7 }
    sim.setNow(t0 + 2 * HOUR + 10 * MINUTE)
    const [a, b] = schedule.runIds
    const inputs = staticInputs(sim, { 'run-id': `${a}\n${b}` })
    if (protocol === 'unreachable') cache.failAll(500)
    const env = () => runner(protocol === 'unreachable' ? 'v2' : protocol)

    const first = await act(sim, inputs, { env: env() })
    expect(first.code).toBe(0)
    expect([...sim.retriggerTargets()].sort()).toEqual([a, b].sort())
    const again = await act(sim, inputs, { env: env() })
    expect(again.code).toBe(0)
    expect(sim.retriggerTargets()).toHaveLength(2)
    expect(JSON.parse(again.outputs['new-run-ids']).sort()).toEqual(
      JSON.parse(first.outputs['new-run-ids']).sort()
    )
    expect(resultsOf(again).map(r => r.state)).toEqual([
      'already-retriggered',
      'already-retriggered'
    ])
    if (protocol === 'none') {
      expect(first.warnings.join('\n')).toMatch(/retry ledger is not available/)
      expect(cache.requests).toHaveLength(0)
    } else if (protocol === 'unreachable') {
      expect(first.warnings.join('\n')).toMatch(/retry ledger could not be read/)
    } else {
      // The ledger holds what was retried, and no secret in any form.
      const [entry] = cache.entries()
      const stored = Object.values(cache.files(entry.key)).join('\n')
      for (const id of [a, b, ...JSON.parse(first.outputs['new-run-ids'])])
        expect(stored).toContain(id)
      for (const secret of secretsOf(sim)) {
        expect(stored).not.toContain(secret)
        expect(stored).not.toContain(encodeURIComponent(secret))
      }
    }
  })
})

describe('cache faults cost a warning, never the step or a duplicate', () => {
  it.each([
    ['the service answers 500 to everything', () => cache.failAll(500)],
    ['every upload fails', () => cache.fault('upload', { status: 500 }, 20)],
    ['the lookup hangs', () => cache.fault('lookup', { hang: true })],
    ['the upload hangs', () => cache.fault('upload', { hang: true })]
  ])('%s', async (_, inject) => {
    const { t0 } = await hourlyFlow('orders', slot => (slot === 0 ? 'failed' : 'success'))
    sim.nextLifecycle = { durationMs: 30 * MINUTE, final: 'success', records: 7 }
    sim.setNow(t0 + HOUR + 17 * MINUTE)
    inject()
    const run = await sweep({ 'request-timeout': '2s' })
    expect(run.code).toBe(0)
    expect(run.warnings.join('\n')).toMatch(/retry ledger/)
    expect(sim.retriggerTargets()).toHaveLength(1)
    cache.recover()
    sim.advance(HOUR)
    const again = await sweep()
    expect(again.code).toBe(0)
    expect(sim.retriggerTargets()).toHaveLength(1)
  })

  it('a sweep with nothing to re-trigger does no cache work', async () => {
    const { t0 } = await hourlyFlow('healthy', () => 'success')
    sim.setNow(t0 + 3 * HOUR)
    const run = await sweep()
    expect(run.code).toBe(0)
    expect(cache.requests).toHaveLength(0)
  })
})

describe('escalation: a flow has recovered only when every failed window has', () => {
  it('three exhausted windows keep their issue open through a later success, commented only on change; leaving lookback is said once', async () => {
    const { t0, schedule } = await hourlyFlow('crm-contacts', slot =>
      slot < 3 ? 'failed' : 'success'
    )
    const github = await new GitHubStandIn().start()
    try {
      sim.nextLifecycle = {
        durationMs: 5 * MINUTE,
        final: 'failed',
        errors: [COPY_FAILED]
      }
      const inputs = {
        'max-retries': '1',
        'issue-on-failure': 'true',
        'github-token': github.token
      }
      const env = () => ({ ...runner(), GITHUB_API_URL: github.url })
      const comments: number[] = []
      for (let hour = 2; hour <= 6; hour++) {
        sim.setNow(t0 + hour * HOUR + 17 * MINUTE)
        await sweep(inputs, env())
        comments.push(github.issues[0]?.comments.length ?? -1)
      }
      const [f1, f2, f3] = schedule.runIds
      expect(github.issues).toHaveLength(1)
      const [issue] = github.issues
      // 04:00 and 05:00 succeeded, yet three windows are missing: the issue stays open.
      expect(issue.state).toBe('open')
      for (const id of [f1, f2, f3]) expect(issue.body).toContain(id)
      // Adobe's errors run by run, and what a person does next, with the inputs to paste.
      expect(issue.body).toMatch(/\*\*Errors reported by Adobe, run by run\*\*/)
      expect(issue.body).toMatch(
        / {2}- retry 1, run `[0-9a-f-]{36}` \(failed\): CONNECTOR-1001-500/
      )
      expect(issue.body).toContain('**What happens next**')
      expect(issue.body).toMatch(/will not retry these 3 windows again \(`max-retries` reached\)/)
      expect(issue.body).toContain(
        `    run-id: |\n      ${f1}\n      ${f2}\n      ${f3}\n    force: true`
      )
      // 02:17 retries 01:00 and 02:00; 03:17 finds both exhausted (issue opened) and retries
      // 03:00; 04:17 finds that one exhausted too (a comment); 05:17 and 06:17 change nothing.
      expect(comments).toEqual([-1, 0, 1, 1, 1])

      // The windows leave a shorter lookback unrecovered: still open, said once.
      sim.setNow(t0 + 7 * HOUR + 17 * MINUTE)
      await sweep({ ...inputs, lookback: '2h' }, env())
      await sweep({ ...inputs, lookback: '2h' }, env())
      expect(issue.state).toBe('open')
      expect(issue.comments).toHaveLength(2)
      expect(issue.comments.at(-1)).toMatch(
        /left the sweep's `lookback` without a run that succeeded/
      )
    } finally {
      await github.stop()
    }
  }, 120_000)
})

describe('the ledger is saved when the step is cancelled', () => {
  it('SIGTERM during a sweep: the re-triggers made until then are in the cache', async () => {
    const { t0, schedule } = await hourlyFlow('orders')
    sim.setNow(t0 + 2 * HOUR + 17 * MINUTE)
    // The second window's re-trigger hangs, and the job is cancelled meanwhile.
    sim.fault('retrigger', {}, { delayMs: 20_000 })
    const run = await act(sim, staticInputs(sim, { 'flow-id': 'all', 'request-timeout': '30s' }), {
      env: runner(),
      onSpawn: child => {
        const poll = setInterval(() => {
          if (sim.count('retrigger') < 2) return
          clearInterval(poll)
          child.kill('SIGTERM')
        }, 20)
      }
    })
    expect(run.code).toBe(1)
    const [first] = resultsOf(run)
    expect(first).toMatchObject({ 'run-id': schedule.runIds[0], state: 'retriggered' })
    const [entry] = cache.entries()
    expect(Object.values(cache.files(entry.key)).join('\n')).toContain(first['new-run-id'])
  })
})
