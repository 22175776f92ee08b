// run() itself, in-process, with the @actions/core fixture, against the simulator on loopback:
// the verdicts, outputs written before the step fails, and cancellation.
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as core from '../../__fixtures__/core.js'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CacheService } from '../../sim/cache-service.js'
import { GitHubStandIn } from '../../sim/github.js'
import type { Simulator } from '../../sim/simulator.js'
import { baseInputs, startSimulator, staticToken } from '../helpers/e2e.js'
import { given, outputs } from '../helpers/in-process.js'

jest.unstable_mockModule('@actions/core', () => core)
// GitHub's writes unspaced here: production leaves them to the throttling plugin's write limiter
// (1 s apart, the plugin's own behaviour); these tests count issues and comments, not pauses.
const githubClient = await import('../../src/github/client.js')
jest.unstable_mockModule('../../src/github/client.js', () => ({
  ...githubClient,
  createGitHubClient: (...[settings, ctx]: Parameters<typeof githubClient.createGitHubClient>) =>
    githubClient.createGitHubClient(settings, ctx, { spaceWrites: false })
}))
const { run } = await import('../../src/main.js')

const HOUR = 3_600_000
let sim: Simulator
beforeEach(async () => {
  // The summary goes through the fixture; the variable only tells run() that a runner wants one.
  process.env.GITHUB_STEP_SUMMARY = '/dev/null'
  sim = await startSimulator()
  jest.clearAllMocks()
})
afterEach(() => sim.stop())

/** `body` with GitHub's stand-in as the repository's API (GITHUB_API_URL, GITHUB_REPOSITORY). */
async function withGitHub(body: (github: GitHubStandIn) => Promise<void>): Promise<void> {
  const github = await new GitHubStandIn().start()
  process.env.GITHUB_API_URL = github.url
  process.env.GITHUB_REPOSITORY = 'acme/ingestion'
  try {
    await body(github)
  } finally {
    delete process.env.GITHUB_API_URL
    delete process.env.GITHUB_REPOSITORY
    await github.stop()
  }
}
/** Call order of two mocks' first calls, from jest's global invocation counter. */
const firstCall = (fn: { mock: { invocationCallOrder: number[] } }): number =>
  fn.mock.invocationCallOrder[0] ?? Infinity

describe('run()', () => {
  it('re-triggers a failed run and sets new-run-id and etag; the step succeeds', async () => {
    const runId = sim.addRun({ status: 'failed' })
    given({ ...baseInputs(sim), ...staticToken(sim), 'run-id': runId })
    await run()

    expect(core.setFailed).not.toHaveBeenCalled()
    const created = sim.runsOf(sim.run(runId)!.flowId as string).find(r => r.id !== runId)!
    expect(outputs()).toMatchObject({ 'new-run-id': created.id, etag: created.eTag })
    expect(core.summary.addRaw.mock.calls[0][0]).toContain(created.id)
  })

  it('writes the outputs before failing the step on a refused run', async () => {
    const runId = sim.addRun({ status: 'success', records: 10 })
    given({ ...baseInputs(sim), ...staticToken(sim), 'run-id': runId })
    await run()

    expect(core.setFailed).toHaveBeenCalledTimes(1)
    expect(core.setFailed.mock.calls[0][0]).toMatch(
      /ingested; re-triggering would ingest them again/
    )
    expect(outputs()).toMatchObject({ 'previous-status': 'success' })
    expect(firstCall(core.setOutput)).toBeLessThan(firstCall(core.setFailed))
    expect(sim.count('retrigger')).toBe(0)
  })

  it('fails with one annotation for bad input and sends nothing', async () => {
    given({ ...baseInputs(sim), ...staticToken(sim), 'run-id': 'not-a-run' })
    await run()
    expect(core.setFailed).toHaveBeenCalledTimes(1)
    expect(core.setFailed.mock.calls[0][0]).toMatch(/^Invalid input: `run-id` must hold UUIDs/)
    expect(sim.requests).toHaveLength(0)
  })

  it('with wait, reports a new run that failed and fails the step naming it', async () => {
    const runId = sim.addRun({ status: 'failed' })
    sim.nextLifecycle = {
      inProgressReads: 1,
      final: 'failed',
      errors: [{ code: 'CONNECTOR-1001-500', message: 'file missing' }]
    }
    given({
      ...baseInputs(sim),
      ...staticToken(sim),
      'run-id': runId,
      wait: 'true',
      'poll-interval': '100ms'
    })
    await run()
    expect(core.setFailed.mock.calls[0][0]).toMatch(
      /^New run [0-9a-f-]{36} finished "failed": CONNECTOR-1001-500: file missing/
    )
    expect(outputs()).toMatchObject({ status: 'failed' })
    expect(firstCall(core.setOutput)).toBeLessThan(firstCall(core.setFailed))
  })

  it('stops on SIGTERM while waiting, writes outputs and fails as cancelled', async () => {
    const runId = sim.addRun({ status: 'failed' })
    sim.nextLifecycle = { inProgressReads: Infinity }
    given({
      ...baseInputs(sim),
      ...staticToken(sim),
      'run-id': runId,
      wait: 'true',
      'poll-interval': '100ms'
    })
    const pending = run()
    while (sim.count('getRun') < 2) await new Promise(resolve => setTimeout(resolve, 20))
    process.emit('SIGTERM', 'SIGTERM')
    await pending
    expect(core.setFailed.mock.calls[0][0]).toMatch(/^Cancelled: 1 of 1 run\(s\) were re-triggered/)
    expect(outputs()['new-run-id']).toBeTruthy()
    expect(sim.count('retrigger')).toBe(1)
  })

  it("a second run of the same step adopts the first one's retry and sends nothing", async () => {
    const runId = sim.addRun({ status: 'failed' })
    given({ ...baseInputs(sim), ...staticToken(sim), 'run-id': runId })
    await run()
    const first = outputs()['new-run-id']
    jest.clearAllMocks()
    await run()
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(outputs()['new-run-id']).toBe(first)
    expect(sim.count('retrigger')).toBe(1)
    expect(core.notice.mock.calls[0][0]).toMatch(/was already re-triggered/)
  })

  it('sweeps the sandbox, groups failures by cause, and stops at max-runs', async () => {
    for (const name of ['a', 'b', 'c']) {
      const flowId = sim.addFlow({ name })
      sim.addRun({ flowId, status: 'failed', errors: [{ code: 'C-1', message: 'm' }] })
    }
    sim.addRun({ flowId: sim.addFlow({ name: 'ok' }), status: 'success', records: 1 })
    given({ ...baseInputs(sim), ...staticToken(sim), 'flow-id': 'all', 'max-runs': '2' })
    await run()
    expect(core.setFailed.mock.calls[0][0]).toMatch(
      /found 3 failed runs, more than `max-runs` \(2\).*C-1 \(3 runs\)/
    )
    expect(sim.count('retrigger')).toBe(0)

    jest.clearAllMocks()
    given({ ...baseInputs(sim), ...staticToken(sim), 'flow-id': 'all' })
    await run()
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(sim.count('retrigger')).toBe(3)
    expect(core.summary.addRaw.mock.calls[0][0]).toMatch(/Failures by cause[\s\S]*`C-1` \| 3 \| 3/)
  })

  it('with issue-on-failure, files an issue for a retry that failed, and closes it on recovery', () =>
    withGitHub(async github => {
      const runId = sim.addRun({ status: 'failed' })
      sim.nextLifecycle = { inProgressReads: 0, final: 'failed' }
      const inputs = {
        ...baseInputs(sim),
        ...staticToken(sim),
        'run-id': runId,
        wait: 'true',
        'poll-interval': '100ms',
        'issue-on-failure': 'true',
        'github-token': github.token,
        'issue-labels': 'aep-dataflow, data-team',
        // The run again at once: the spacing of retries is retry-policy.test's subject.
        'retry-backoff': '0'
      }
      given(inputs)
      await run()
      expect(github.issues).toHaveLength(1)
      expect(github.issues[0].labels).toEqual(['aep-dataflow', 'data-team'])
      sim.nextLifecycle = { inProgressReads: 0, final: 'success', records: 1 }
      jest.clearAllMocks()
      await run()
      expect(core.setFailed).not.toHaveBeenCalled()
      expect(github.issues[0].state).toBe('closed')
    }))

  it("GitHub refusing (403) is a warning naming issues: write; the verdict stays the runs'", () =>
    withGitHub(async github => {
      github.refuse = { status: 403, message: 'Resource not accessible by integration' }
      sim.nextLifecycle = { inProgressReads: 0, final: 'success', records: 1 }
      given({
        ...baseInputs(sim),
        ...staticToken(sim),
        'run-id': sim.addRun({ status: 'failed' }),
        wait: 'true',
        'poll-interval': '100ms',
        'issue-on-failure': 'true',
        'github-token': github.token
      })
      await run()
      expect(core.setFailed).not.toHaveBeenCalled()
      expect(core.warning.mock.calls.map(c => String(c[0])).join('\n')).toMatch(
        /add `permissions: issues: write`/
      )
    }))

  it('a sweep retries every failed window once, records them in the ledger; a repeat sends nothing; skip-errors is said', async () => {
    const cache = await new CacheService().start()
    const temp = mkdtempSync(join(tmpdir(), 'aep-main-'))
    const env = { ...process.env }
    Object.assign(process.env, cache.env('v2'), { RUNNER_TEMP: temp })
    try {
      sim.windows = false
      const t0 = Math.floor(Date.now() / HOUR) * HOUR - 6 * HOUR
      sim.setNow(t0)
      const flowId = sim.addFlow({ name: 'crm-accounts' })
      const mapping = sim.addFlow({ name: 'crm-mapping' })
      const schedule = sim.schedule(flowId, {
        firstAt: t0 + HOUR,
        durationMs: 5 * 60_000,
        outcome: slot => (slot < 2 ? 'failed' : 'success')
      })
      sim.schedule(mapping, {
        firstAt: t0 + HOUR,
        durationMs: 5 * 60_000,
        outcome: () => 'failed',
        errors: [{ code: 'MAPPER-3700-400', message: 'Mapper transform error' }],
        until: t0 + HOUR
      })
      sim.setNow(t0 + 3 * HOUR + 17 * 60_000)
      const inputs = {
        ...baseInputs(sim),
        ...staticToken(sim),
        'flow-id': 'all',
        'flow-name': 'crm-*',
        'skip-errors': 'MAPPER-*'
      }
      given(inputs)
      await run()
      const [f1, f2] = schedule.runIds
      expect(sim.retriggerTargets().sort()).toEqual([f1, f2].sort())
      expect(String(core.setFailed.mock.calls[0]?.[0])).toMatch(/^1 of 3 runs need attention/)
      expect(core.error.mock.calls.map(c => String(c[0])).join('\n')).toMatch(
        /MAPPER-3700-400, which `skip-errors` lists as an error a retry will not fix: not re-triggered/
      )
      const summary = String(core.summary.addRaw.mock.calls[0][0])
      expect(summary).toMatch(
        /`MAPPER-3700-400` \| 1 \| 1 \| 1 not retried: `skip-errors` lists it as needing a fix/
      )
      expect(summary).toMatch(/Swept 2 source dataflow\(s\)/)
      expect(cache.entries()).toHaveLength(1)

      // The repeat: windows are not reported, so only the ledger says what was retried.
      jest.clearAllMocks()
      given(inputs)
      await run()
      expect(sim.retriggerTargets()).toHaveLength(2)
      const states = (JSON.parse(String(outputs().results)) as { state: string }[]).map(
        r => r.state
      )
      expect(states.sort()).toEqual(['already-retriggered', 'already-retriggered', 'needs-fix'])
    } finally {
      process.env = env
      await cache.stop()
      rmSync(temp, { recursive: true, force: true })
    }
  })

  it('a run that ingested with failed records is partial ingestion: not re-triggered, not a failure', async () => {
    const runId = sim.addRun({ status: 'success', records: 90, failedRecords: 10 })
    given({ ...baseInputs(sim), ...staticToken(sim), 'run-id': runId })
    await run()
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(sim.count('retrigger')).toBe(0)
    expect(core.warning.mock.calls.map(c => String(c[0])).join('\n')).toMatch(
      /10 failed \(partial ingestion\)\. Not re-triggered/
    )
    expect(JSON.parse(String(outputs().results))[0]).toMatchObject({ state: 'partial-ingestion' })
    expect(String(core.summary.addRaw.mock.calls[0][0])).toContain('partly ingested')
  })
})
