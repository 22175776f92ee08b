// The monitor in the box: `flow-id: all` sweeps a whole sandbox for failed dataflow runs.
import { afterEach, describe, expect, it } from '@jest/globals'
import { failure, HOUR, SOURCE_UNREADABLE } from '../../sim/scenarios.js'
import type { Simulator } from '../../sim/simulator.js'
import { act, resultsOf, startSimulator, staticInputs } from '../helpers/e2e.js'

let sim: Simulator
afterEach(() => sim.stop())

/** A sweep of the whole sandbox with the static token. */
// Every code retried (`skip-errors: none`): the sandbox's INGEST-1207-400 is one of the data errors
// the default hands to a person (retry-policy.test's subject); here it stands for any failure.
const sweepAll = (extra: Record<string, string> = {}) =>
  act(sim, staticInputs(sim, { 'flow-id': 'all', 'skip-errors': 'none', ...extra }))
const listedFlows = () =>
  sim.requests
    .filter(r => r.route === 'listRuns')
    .map(r => /flowId==([0-9a-f-]{36})/.exec(decodeURIComponent(r.path))?.[1])

/** 12 flows: 4 failed recently, 1 failed before the lookback, 1 disabled, 5 healthy, 1 never run. */
function sandbox(): { failing: string[]; runs: string[] } {
  const now = Date.now()
  const failing: string[] = []
  const runs: string[] = []
  const causes = [
    SOURCE_UNREADABLE,
    SOURCE_UNREADABLE,
    SOURCE_UNREADABLE,
    { code: 'INGEST-1207-400', message: 'Schema mismatch in column email' }
  ]
  for (const [i, name] of [
    'crm-accounts',
    'crm-contacts',
    'crm-test-leads',
    'web-events'
  ].entries()) {
    const flowId = sim.addFlow({ name })
    sim.addRun({ flowId, status: 'success', records: 3, createdAt: now - 5 * HOUR })
    runs.push(failure(sim, { flowId, createdAt: now - HOUR, errors: [causes[i]] }).runId)
    failing.push(flowId)
  }
  failure(sim, { flowName: 'crm-archive', createdAt: now - 30 * HOUR })
  failure(sim, {
    flowId: sim.addFlow({ name: 'crm-paused', state: 'disabled' }),
    createdAt: now - HOUR
  })
  for (let i = 0; i < 5; i++) {
    const flowId = sim.addFlow({ name: `healthy-${i}` })
    sim.addRun({ flowId, status: 'success', records: 10, createdAt: now - 2 * HOUR })
  }
  sim.addFlow({ name: 'never-run' })
  return { failing, runs }
}

describe('flow-id: all', () => {
  it('re-triggers exactly the 4 flows that failed recently, lists runs only for those, groups failures by cause', async () => {
    sim = await startSimulator({ pageSize: 4 })
    const { failing, runs } = sandbox()
    const run = await sweepAll()

    expect(run.code).toBe(0)
    expect(sim.count('retrigger')).toBe(4)
    // Two sandbox-wide run listings (5 failed runs within the lookback at 4 a page, none of ours),
    // not one listing per flow.
    expect(listedFlows().filter(Boolean)).toEqual([])
    expect(sim.count('listRuns')).toBe(3)
    expect(sim.count('listFlows')).toBe(3) // 12 flows at 4 a page; only 10 ran within the lookback
    expect(failing).toHaveLength(4)
    const byRun = resultsOf(run)
    expect(byRun.map((r: { 'run-id': string }) => r['run-id']).sort()).toEqual([...runs].sort())
    expect(byRun.map((r: { 'flow-name': string }) => r['flow-name']).sort()).toEqual([
      'crm-accounts',
      'crm-contacts',
      'crm-test-leads',
      'web-events'
    ])
    // Grouped by cause: the table before the per-run table, and one log line per code.
    expect(run.summary).toMatch(
      /### Failures by cause[\s\S]*\| `CONNECTOR-2001-500` \| 3 \| 3 \| 3 re-triggered \| Source file could not be read \|[\s\S]*\| `INGEST-1207-400` \| 1 \| 1 \| 1 re-triggered \|[\s\S]*\| Run \|/
    )
    expect(run.stdout).toContain('Cause CONNECTOR-2001-500: 3 run(s) in 3 flow(s)')
    expect(run.summary).toMatch(/crm-paused `[0-9a-f-]{36}`: disabled, with 1 failed window\(s\)/)
  })

  it('flow-name narrows the sweep: crm-* but not crm-test-*', async () => {
    sim = await startSimulator({ pageSize: 4 })
    sandbox()
    const run = await sweepAll({ 'flow-name': 'crm-*\n!crm-test-*' })
    expect(run.code).toBe(0)
    expect(
      resultsOf(run)
        .map((r: { 'flow-name': string }) => r['flow-name'])
        .sort()
    ).toEqual(['crm-accounts', 'crm-contacts'])
    expect(sim.count('retrigger')).toBe(2)
  })

  it('max-runs: 3 sends nothing and fails naming max-runs and the most common error code', async () => {
    sim = await startSimulator({ pageSize: 4 })
    sandbox()
    const run = await sweepAll({ 'max-runs': '3' })
    expect(run.code).toBe(1)
    expect(sim.count('retrigger')).toBe(0)
    expect(run.errors.join('\n')).toMatch(
      /found 4 failed runs, more than `max-runs` \(3\), so it re-triggered none.*CONNECTOR-2001-500 \(3 runs\)/s
    )
    expect(JSON.parse(run.outputs['new-run-ids'])).toEqual([])
  })

  it('listed flow ids count against max-runs too, once their runs are listed', async () => {
    sim = await startSimulator({ pageSize: 4 })
    const { failing } = sandbox()
    const inputs = staticInputs(sim, { 'flow-id': failing.join(','), 'skip-errors': 'none' })
    const over = await act(sim, { ...inputs, 'max-runs': '3' })
    expect(over.code).toBe(1)
    expect(sim.count('retrigger')).toBe(0)
    expect(over.errors.join('\n')).toMatch(/found 4 failed runs, more than `max-runs` \(3\)/)
    const within = await act(sim, { ...inputs, 'max-runs': '4' })
    expect(within.code).toBe(0)
    expect(sim.count('retrigger')).toBe(4)
  })

  it('dry-run lists the 4 in run-ids, even past max-runs', async () => {
    sim = await startSimulator({ pageSize: 4 })
    const { runs } = sandbox()
    const run = await sweepAll({ 'dry-run': 'true', 'max-runs': '3' })
    expect(run.code).toBe(0)
    expect(sim.count('retrigger')).toBe(0)
    expect(JSON.parse(run.outputs['run-ids']).sort()).toEqual([...runs].sort())
    expect(run.warnings.join('\n')).toMatch(/a real run would re-trigger none of them/)
  })

  it('a second sweep while the retries run sends nothing', async () => {
    sim = await startSimulator({ pageSize: 4 })
    sandbox()
    sim.nextLifecycle = { inProgressReads: Infinity }
    await sweepAll()
    const second = await sweepAll()
    expect(second.code).toBe(0)
    expect(sim.count('retrigger')).toBe(4)
    // Every window is reported, settled by the retry already running.
    expect(resultsOf(second).map((r: { state: string }) => r.state)).toEqual(
      Array(4).fill('already-retriggered')
    )
    expect(JSON.parse(second.outputs['run-ids'])).toEqual([])
  })

  it('a 240-flow sandbox with 12 failures costs 3 /flows pages and two run listings', async () => {
    sim = await startSimulator()
    const now = Date.now()
    for (let i = 0; i < 240; i++) {
      const flowId = sim.addFlow({ name: `flow-${i}` })
      sim.addRun({
        flowId,
        status: i % 20 === 0 ? 'failed' : 'success',
        records: 1,
        createdAt: now - HOUR
      })
    }
    const run = await sweepAll()
    expect(run.code).toBe(0)
    expect(sim.count('retrigger')).toBe(12)
    expect(sim.count('listFlows')).toBe(3)
    expect(sim.count('listRuns')).toBe(2)
    expect(sim.count('getRun')).toBe(0)
  })
})

describe('a sandbox past the listing bound (issue 30.4)', () => {
  it('20,500 recently run source flows, dry run: acts on what it read, says what it did not, does not fail', async () => {
    sim = await startSimulator()
    const now = Date.now()
    // Listed first: three flows with a failed window; then 20,497 healthy ones; the last, past
    // the 20,000-item bound, failed too and is never read.
    const failing = [0, 1, 2].map(i => {
      const flowId = sim.addFlow({ name: `failing-${i}` })
      return failure(sim, { flowId, createdAt: now - HOUR }).runId
    })
    for (let i = 0; i < 20_496; i++) {
      const flowId = sim.addFlow({ name: `flow-${i}` })
      sim.addRun({ flowId, status: 'success', records: 1, createdAt: now - 2 * HOUR })
    }
    const unread = failure(sim, {
      flowId: sim.addFlow({ name: 'failing-unread' }),
      createdAt: now - HOUR
    }).runId
    const run = await sweepAll({ 'dry-run': 'true', 'max-runs': '0' })
    expect(run.code).toBe(0)
    const results = resultsOf(run) as { 'run-id': string; state: string }[]
    expect(
      results
        .filter(r => r.state === 'would-retrigger')
        .map(r => r['run-id'])
        .sort()
    ).toEqual([...failing].sort())
    expect(results.map(r => r['run-id'])).not.toContain(unread)
    expect(run.warnings.join('\n')).toMatch(
      /source dataflows of the sandbox stopped at its bound \(more than (20000 items|200 pages)\).*may hold failed windows/
    )
    expect(run.warnings.join('\n')).toMatch(/some may be source dataflows it did not reach/)
    expect(run.summary).toMatch(/Not everything was read\*\*: more failed windows may exist/)
    expect(sim.count('retrigger')).toBe(0)
  }, 60_000)
})

describe('a sweep of hostile listings (issue 27.4)', () => {
  it('a window start of 1e16 ms and a startedAtUTC in nanoseconds: both re-triggered, outputs and summary written', async () => {
    sim = await startSimulator()
    const now = Date.now()
    const far = failure(sim, {
      flowName: 'far-window',
      createdAt: now - HOUR,
      window: { start: 1e16, end: 1e16 + HOUR }
    })
    const nanos = failure(sim, {
      flowName: 'nanosecond-start',
      createdAt: now - HOUR,
      startedAt: (now - HOUR) * 1e6
    })
    const run = await sweepAll()
    expect(run.code).toBe(0)
    expect(sim.count('retrigger')).toBe(2)
    expect(JSON.parse(run.outputs['run-ids']).sort()).toEqual([far.runId, nanos.runId].sort())
    const byRun = new Map(resultsOf(run).map((r: { 'run-id': string }) => [r['run-id'], r]))
    // A time Date cannot hold is not shown; a start no clock could have read is unknown, so the
    // run is dated by its creation.
    expect(byRun.get(far.runId)).toMatchObject({ state: 'retriggered', window: null })
    expect(byRun.get(nanos.runId)).toMatchObject({
      state: 'retriggered',
      'started-at': new Date(now - HOUR).toISOString()
    })
    expect(run.summary).toContain('Swept 2 source dataflow(s)')
    expect(run.summary).toContain('2 re-triggered')
  })

  it('a flow and a run listed on two pages are handled once: 100 flows, 100 windows in run-ids', async () => {
    // Each page starts one item before the previous one ended: item 60 is listed twice.
    sim = await startSimulator({ pageSize: 60, pageOverlap: 1 })
    const runs: string[] = []
    for (let i = 0; i < 100; i++)
      runs.push(failure(sim, { flowName: `flow-${i}`, createdAt: Date.now() - HOUR }).runId)
    const run = await sweepAll({ 'max-runs': '0' })
    expect(run.code).toBe(0)
    expect(sim.count('listFlows')).toBe(2)
    expect(sim.count('retrigger')).toBe(100)
    expect(JSON.parse(run.outputs['run-ids']).sort()).toEqual([...runs].sort())
    expect(resultsOf(run).map((r: { state: string }) => r.state)).toEqual(
      Array(100).fill('retriggered')
    )
    expect(run.summary).toContain('Swept 100 source dataflow(s)')
    expect(run.summary).toContain('100 runs selected · 100 re-triggered · 0 not re-triggered')
    expect(run.summary).toContain('100 failed window(s) found — 100 re-triggered')
    expect(run.stdout).toContain('Listed 100 source dataflow(s)')
  })
})

describe("Adobe's refusals explained", () => {
  it.each([
    [
      '1388-400 (flow disabled)',
      { state: 'disabled' as const },
      /FLOW-1388-400.*The dataflow is disabled.*enable it/s
    ],
    [
      '1333-400 (streaming source)',
      { streaming: true },
      /FLOW-1333-400.*only batch sources support retries/s
    ]
  ])('%s', async (_name, flow, message) => {
    sim = await startSimulator()
    const { runId } = failure(sim, { flowId: sim.addFlow(flow) })
    const run = await act(sim, staticInputs(sim, { 'run-id': runId }))
    expect(run.code).toBe(1)
    expect(run.errors.join('\n')).toMatch(message)
    expect(sim.count('retrigger')).toBe(1)
  })

  it('1387-400 (run not in a retryable state)', async () => {
    sim = await startSimulator()
    const runId = sim.addRun({ status: 'success', records: 5 })
    const run = await act(sim, staticInputs(sim, { 'run-id': runId, 'check-status': 'false' }))
    expect(run.code).toBe(1)
    expect(run.errors.join('\n')).toMatch(
      /FLOW-1387-400.*only failed runs \(and successful runs that ingested nothing\) can be retried/s
    )
  })
})
