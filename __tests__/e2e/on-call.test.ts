// What the on-call engineer reads is true, and said once (issue 28, items 5-10): the step's
// colour, its annotations, the job summary, the outputs and the issue, through the bundle,
// against the Flow Service simulator and GitHub's stand-in.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { GitHubStandIn } from '../../sim/github.js'
import {
  addRetry,
  failedRun,
  failure,
  HOUR,
  MINUTE,
  SOURCE_UNREADABLE,
  sourceFlow,
  sweepableSandbox
} from '../../sim/scenarios.js'
import type { Simulator } from '../../sim/simulator.js'
import { act, startSimulatorAndGitHub, staticInputs, stopAll } from '../helpers/e2e.js'

let sim: Simulator
let github: GitHubStandIn
beforeEach(async () => ({ sim, github } = await startSimulatorAndGitHub()))
afterEach(() => stopAll(sim, github))

const env = () => ({ GITHUB_API_URL: github.url })
const ISSUE_1 = 'https://github.com/acme/ingestion/issues/1'
/** An hourly sweep of the whole sandbox that hands what no retry fixes to a person. */
const sweep = (extra: Record<string, string> = {}) =>
  staticInputs(sim, {
    'flow-id': 'all',
    'issue-on-failure': 'true',
    'github-token': github.token,
    ...extra
  })

/** A flow whose one failed window has had its 3 retries, all failed: a person's now. */
function exhausted(flowName = 'web-events'): { runId: string; flowId: string } {
  const made = failure(sim, { flowName, createdAt: Date.now() - MINUTE })
  for (const ago of [30_000, 20_000, 10_000])
    addRetry(sim, made.runId, { status: 'failed', at: Date.now() - ago })
  return made
}

/** `count` flows whose every run succeeded. */
function healthyFlows(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    const flowId = sourceFlow(sim, `healthy-${i}`)
    sim.addRun({ flowId, status: 'success', records: 5, createdAt: Date.now() - 2 * MINUTE })
    return flowId
  })
}

describe('fail-on (item 5)', () => {
  it('new (the default): a window already in an open, unchanged issue is one warning linking it, not a red run each hour', async () => {
    const { flowId } = exhausted()
    // Another flow's window, re-triggered: several runs, so each exhausted one is its own annotation.
    failure(sim, { flowName: 'crm-accounts', createdAt: Date.now() - MINUTE })
    const first = await act(sim, sweep(), { env: env() })
    expect(first.code).toBe(1) // new: nobody had it yet
    expect(first.errors.join('\n')).toContain(`Flow "web-events" (${flowId.slice(0, 8)}): run`)
    expect(github.issues).toHaveLength(1)

    const second = await act(sim, sweep(), { env: env() })
    expect(second.code).toBe(0)
    expect(github.issues[0].comments).toHaveLength(0)
    const linking = second.warnings.filter(w => w.includes(ISSUE_1))
    expect(linking).toHaveLength(1)
    expect(linking[0]).toContain(`"web-events" (${flowId.slice(0, 8)})`)
    expect(second.errors).toEqual([]) // a green step with no error annotation for what #1 holds

    // `any` is yesterday's behaviour; `never` never fails for runs.
    expect((await act(sim, sweep({ 'fail-on': 'any' }), { env: env() })).code).toBe(1)
    const never = await act(sim, sweep({ 'fail-on': 'never' }), { env: env() })
    expect(never.code).toBe(0)
  })

  it('without issue-on-failure nothing was handed over: new fails as any; a wrong value is refused', async () => {
    exhausted()
    const run = await act(sim, staticInputs(sim, { 'flow-id': 'all', 'fail-on': 'new' }))
    expect(run.code).toBe(1)
    expect(github.requests).toHaveLength(0)
    const wrong = await act(sim, staticInputs(sim, { 'flow-id': 'all', 'fail-on': 'sometimes' }))
    expect(wrong.code).toBe(1)
    expect(wrong.errors.join('\n')).toContain('`fail-on` must be one of `new`, `any`, `never`')
  })
})

describe('the issue is linked where people look (item 6)', () => {
  it("every sweep's summary links the open issue of a flow it saw failing, also when nothing was sent", async () => {
    exhausted()
    await act(sim, sweep(), { env: env() })
    const later = await act(sim, sweep(), { env: env() })
    expect(later.stdout).toContain('issue #1 already says this; no comment')
    expect(later.summary).toMatch(
      /### GitHub issues[\s\S]*\[#1\]\([^)]*issues\/1\) already says this/
    )
  })

  it("GitHub's refusal is in the summary, and its 'not done' names only the flow that failed, never healthy ones", async () => {
    const { flowId } = exhausted()
    const healthy = healthyFlows(3)
    github.refuse = { status: 403, message: 'Resource not accessible by integration' }
    const run = await act(sim, sweep(), { env: env() })
    expect(run.code).toBe(1)
    expect(run.summary).toMatch(/\[!WARNING\][\s\S]*Could not file GitHub issues/)
    expect(run.summary).toContain(`Not done: an issue for flow ${flowId}`)
    const said = [run.summary, ...run.warnings].join('\n')
    for (const id of healthy) expect(said).not.toContain(id)
    expect(said).not.toContain('closing the issue of recovered flow')
  })
})

describe('recovered windows (item 7)', () => {
  it('a window whose retry succeeded is shown as recovered, with its retry: no notice, not under the causes or the errors', async () => {
    const crm = sourceFlow(sim, 'crm-accounts')
    const failed = failedRun(sim, { flowId: crm, at: Date.now() - 3 * HOUR })
    const retry = addRetry(sim, failed, { status: 'success' })
    // And one window still wrong, so the causes table has something to hold.
    const web = sourceFlow(sim, 'web-events')
    failedRun(sim, { flowId: web, errors: [SOURCE_UNREADABLE] })

    const run = await act(sim, staticInputs(sim, { 'flow-id': 'all' }))
    expect(run.code).toBe(0)
    expect(run.stdout).not.toMatch(/^::notice::/m)
    expect(run.summary).toMatch(
      new RegExp(`### Recovered[\\s\\S]*\`${failed}\` \\(crm-accounts\\) by \`${retry}\``)
    )
    const causes = /### Failures by cause\n\n[\s\S]*?\n\n/.exec(run.summary)![0]
    expect(causes).toContain('CONNECTOR-2001-500')
    expect(causes).not.toContain('CONNECTOR-1001-500') // the recovered window's cause
    expect(run.summary).not.toContain('Copy from source failed')
    expect(run.summary).not.toMatch(new RegExp(`\\| \`${failed}\` \\|`)) // not a row of failures
  })
})

describe('one vocabulary (item 8)', () => {
  it('an exhausted MAPPER-3700-400: the cause table says what was done, and nothing says a retry may or will not fix it', async () => {
    sweepableSandbox(sim)
    // The mapping error retried (`skip-errors: none`) until exhausted: the wording under test.
    const run = await act(
      sim,
      staticInputs(sim, { 'flow-id': 'all', 'max-retries': '1', 'skip-errors': 'none' })
    )
    expect(run.code).toBe(1)
    expect(run.summary).toMatch(
      /\| `MAPPER-3700-400` \| 1 \| 1 \| 1 retries exhausted \(`max-retries`\): not retried again \|/
    )
    expect(run.summary).toMatch(/\| `CONNECTOR-2001-500` \| 1 \| 1 \| 1 re-triggered \|/)
    const everything = [run.summary, run.stdout].join('\n')
    expect(everything).not.toContain('a retry may fix')
    expect(everything).not.toContain('A retry will not fix this')
  })
})

describe('dry-run outputs say what the log says (item 9)', () => {
  it('run-ids holds exactly the runs "Would re-trigger run …" names (a failed retry, not its original)', async () => {
    const seeded = sweepableSandbox(sim)
    // Every code retried, so the mapping error's failed retry is what the dry run would re-trigger.
    const run = await act(
      sim,
      staticInputs(sim, { 'flow-id': 'all', 'dry-run': 'true', 'skip-errors': 'none' })
    )
    expect(run.code).toBe(0)
    const logged = [...run.stdout.matchAll(/Would re-trigger run ([0-9a-f-]{36})/g)].map(m => m[1])
    expect(logged).toContain(seeded.failedRetry.retryId)
    expect(JSON.parse(run.outputs['run-ids']).sort()).toEqual(logged.sort())
    expect(JSON.parse(run.outputs['run-ids'])).not.toContain(seeded.failedRetry.failedRunId)
  })
})

describe('small things (item 10)', () => {
  let dir: string
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'aep-oncall-'))
  })
  afterEach(() => rmSync(dir, { recursive: true, force: true }))

  it('an event for another sandbox says so, not "Invalid input", and sends nothing', async () => {
    const { runId, flowId } = failure(sim, { flowName: 'crm-accounts' })
    const path = join(dir, 'event.json')
    writeFileSync(
      path,
      JSON.stringify({
        action: 'aep-flow-run-failed',
        client_payload: { runId, flowId, sandbox: 'dev', orgId: sim.orgId }
      })
    )
    const run = await act(sim, staticInputs(sim, { 'run-id': runId }), {
      env: { GITHUB_EVENT_NAME: 'repository_dispatch', GITHUB_EVENT_PATH: path }
    })
    expect(run.code).toBe(1)
    expect(run.errors.join('\n')).toMatch(/^An event for another sandbox, not this step's/)
    expect(run.errors.join('\n')).not.toContain('Invalid input')
    expect(sim.count('retrigger')).toBe(0)
  })

  it('a range reads alike at both ends: "between 1s and 720h"', async () => {
    const run = await act(sim, staticInputs(sim, { 'run-id': failure(sim).runId, lookback: '0s' }))
    expect(run.code).toBe(1)
    expect(run.errors.join('\n')).toContain('`lookback` must be between 1s and 720h')
  })

  it("table cells and lists show neither escaped backticks nor '⏎'", async () => {
    const failed = failure(sim, {
      errors: [{ code: 'CONNECTOR-1001-500', message: 'line one\nline two' }]
    }).runId
    const succeeded = sim.addRun({ status: 'success', records: 4 })
    const run = await act(sim, staticInputs(sim, { 'run-id': `${failed},${succeeded}` }))
    expect(run.summary).toContain('line one line two')
    expect(run.summary).toContain('`force: true`')
    expect(run.summary).not.toContain('⏎')
    expect(run.summary).not.toContain('\\`')
  })

  it('annotations name a flow by its name and a short id', async () => {
    const { flowId } = exhausted('crm-contacts')
    exhausted('crm-leads')
    const run = await act(sim, staticInputs(sim, { 'flow-id': 'all' }))
    expect(run.code).toBe(1)
    expect(run.errors.join('\n')).toContain(`Flow "crm-contacts" (${flowId.slice(0, 8)}): run`)
  })
})
