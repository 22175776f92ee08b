import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { randomUUID } from 'node:crypto'
import { failure, HOUR, MINUTE } from '../../sim/scenarios.js'
import type { Simulator } from '../../sim/simulator.js'
import { act, resultsOf, startSimulator, staticInputs, waitInputs } from '../helpers/e2e.js'

let sim: Simulator
beforeEach(async () => {
  sim = await startSimulator()
})
afterEach(() => sim.stop())

describe('many runs in one step', () => {
  it('re-triggers several ids (newlines, commas, spaces, duplicates) and reports the one 404 without stopping the others', async () => {
    const [a, b, c] = [failure(sim), failure(sim), failure(sim)].map(f => f.runId)
    const missing = randomUUID()
    const run = await act(sim, staticInputs(sim, { 'run-id': `${a}\n${missing}, ${b} ${c}\n${a}` }))

    expect(run.code).toBe(1)
    const results = resultsOf(run)
    expect(results.map((r: { 'run-id': string }) => r['run-id'])).toEqual([a, missing, b, c])
    expect(results[1]).toMatchObject({ state: 'error', 'new-run-id': null })
    expect(results[1].error).toContain('HTTP 404')
    const newIds = JSON.parse(run.outputs['new-run-ids'])
    expect(newIds).toHaveLength(3)
    expect(newIds).toEqual([results[0], results[2], results[3]].map(r => r['new-run-id']))
    expect(sim.count('retrigger')).toBe(3)
    // new-run-id / etag are only for exactly one re-triggered run.
    expect(run.outputs['new-run-id']).toBeUndefined()
    expect(run.errors[run.errors.length - 1]).toContain('1 of 4 runs need attention')
    expect(run.summary).toMatch(/4 runs selected · 3 re-triggered · 1 not re-triggered/)
  })

  it('sweeps flows: retries every run that failed within the lookback, not only the latest', async () => {
    const now = Date.now()
    const [failing, healthy, stale] = [randomUUID(), randomUUID(), randomUUID()]
    sim.addRun({ flowId: failing, status: 'success', records: 9, createdAt: now - 3 * HOUR })
    const latestFailure = failure(sim, { flowId: failing, createdAt: now - HOUR }).runId
    // Failed, then succeeded: the failed window's files are still not ingested.
    const earlierFailure = failure(sim, { flowId: healthy, createdAt: now - 3 * HOUR }).runId
    sim.addRun({ flowId: healthy, status: 'success', records: 4, createdAt: now - HOUR })
    failure(sim, { flowId: stale, createdAt: now - 30 * HOUR })

    const inputs = staticInputs(sim, { 'flow-id': [failing, healthy, stale].join(',') })
    const run = await act(sim, inputs)
    expect(run.code).toBe(0)
    expect(JSON.parse(run.outputs['run-ids']).sort()).toEqual(
      [latestFailure, earlierFailure].sort()
    )
    expect(resultsOf(run)).toContainEqual(
      expect.objectContaining({
        'run-id': latestFailure,
        source: 'flow-id',
        'flow-id': failing,
        'previous-status': 'failed'
      })
    )
    expect(JSON.parse(run.outputs['new-run-ids'])).toHaveLength(2)
    expect(sim.count('retrigger')).toBe(2)
    expect(run.summary).toContain(`\`${stale}\`: no run within the lookback`)

    // A repeated sweep finds the retries and sends nothing.
    const again = await act(sim, inputs)
    expect(again.code).toBe(0)
    expect(sim.count('retrigger')).toBe(2)
    expect(JSON.parse(again.outputs['run-ids'])).toEqual([])
  })

  it('follows continuation pages of the sandbox-wide listing', async () => {
    await sim.stop()
    sim = await startSimulator({ pageSize: 2 })
    const flowId = randomUUID()
    for (let i = 5; i >= 1; i--)
      failure(sim, { flowId, records: 0, createdAt: Date.now() - i * MINUTE })
    const run = await act(sim, staticInputs(sim, { 'flow-id': flowId, 'dry-run': 'true' }))
    expect(run.code).toBe(0)
    const failedPages = sim.requests.filter(
      r => r.route === 'listRuns' && decodeURIComponent(r.path).includes('status==failed')
    )
    expect(failedPages).toHaveLength(3)
    expect(failedPages[2].path).toContain('continuationToken=4')
    expect(JSON.parse(run.outputs['run-ids'])).toHaveLength(5)
  })

  it('dry run: authenticates, selects and pre-checks, sends no re-trigger, and outputs a matrix-ready run-ids', async () => {
    const ids = [
      failure(sim).runId,
      failure(sim).runId,
      sim.addRun({ status: 'success', records: 3 })
    ]
    const run = await act(sim, staticInputs(sim, { 'run-id': ids.join('\n'), 'dry-run': 'true' }))
    expect(sim.count('retrigger')).toBe(0)
    expect(sim.count('getRun')).toBe(3)
    expect(JSON.parse(run.outputs['run-ids'])).toEqual(ids.slice(0, 2))
    expect(JSON.parse(run.outputs['new-run-ids'])).toEqual([])
    expect(run.code).toBe(1) // the third run would be refused, and the step says so
    expect(run.summary).toContain('dry run: nothing was re-triggered')
  })

  it('shares one pause across workers when Adobe rate-limits, and finishes with no failures', async () => {
    await sim.stop()
    sim = await startSimulator({ rateLimit: { requests: 6, windowMs: 1000, retryAfterSeconds: 1 } })
    const ids = Array.from({ length: 12 }, () => failure(sim).runId)
    const run = await act(
      sim,
      staticInputs(sim, { 'run-id': ids.join(' '), 'check-status': 'false', concurrency: '4' }),
      { timeoutMs: 30_000 }
    )
    expect(run.code).toBe(0)
    expect(JSON.parse(run.outputs['new-run-ids'])).toHaveLength(12)
    const created = ids.map(id => sim.runsOf(sim.run(id)!.flowId as string).length - 1)
    expect(created).toEqual(ids.map(() => 1))
    // After the first 429, the gate holds every worker back: far fewer 429s than a per-worker retry would cause.
    const limited = run.stdout.match(/HTTP 429; retrying/g) ?? []
    expect(limited.length).toBeGreaterThan(0)
    expect(limited.length).toBeLessThanOrEqual(8)
  })

  it('handles 1,000 run ids in one step: every run re-triggered once, progress logged, summary under 1 MiB', async () => {
    const ids = Array.from({ length: 1000 }, () => failure(sim).runId)
    const run = await act(sim, staticInputs(sim, { 'run-id': ids.join('\n'), concurrency: '8' }), {
      timeoutMs: 60_000
    })
    expect(run.code).toBe(0)
    expect(sim.count('retrigger')).toBe(1000)
    expect(new Set(JSON.parse(run.outputs['new-run-ids'])).size).toBe(1000)
    expect(run.stdout).toContain('[1000/1000]')
    expect(Buffer.byteLength(run.summary)).toBeLessThan(1024 * 1024)
    expect(run.summary).toContain('1000 runs selected · 1000 re-triggered')
  })

  it('waits for all new runs in one loop, one request per unfinished run per interval', async () => {
    sim.nextLifecycle = { inProgressReads: 2, final: 'success', records: 1 }
    const ids = Array.from({ length: 5 }, () => failure(sim).runId)
    const run = await act(
      sim,
      staticInputs(sim, { 'run-id': ids.join(','), ...waitInputs('200ms', '10s') })
    )
    expect(run.code).toBe(0)
    const results = resultsOf(run)
    expect(results.every((r: { status: string }) => r.status === 'success')).toBe(true)
    const polls = sim.requests.filter(
      r => r.route === 'getRun' && !ids.some(id => r.path.endsWith(id))
    )
    expect(polls).toHaveLength(5 * 3)
    expect(run.stdout).toMatch(/Re-triggered run .* \[5\/5\]/)
  })
})
