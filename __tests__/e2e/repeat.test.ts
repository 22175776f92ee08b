// Safe to repeat: a workflow re-run, a double dispatch or an hourly sweep never re-triggers the
// same failure twice, and stops after `max-retries`. The bundled action, run as a runner runs it.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import {
  addRetry,
  failure,
  HOUR,
  inProgressRun,
  MINUTE,
  retriesOf,
  sourceFlow
} from '../../sim/scenarios.js'
import { SCHEDULER, type Lifecycle, type Simulator } from '../../sim/simulator.js'
import { act, resultsOf, startSimulator, staticInputs, waitInputs } from '../helpers/e2e.js'

let sim: Simulator
beforeEach(async () => {
  sim = await startSimulator()
})
afterEach(() => sim.stop())

const ours = (flowId: string) => retriesOf(sim, flowId)
/** Retries that fail at their first read (a data error fails again). */
const failingRetries: Lifecycle = { inProgressReads: 0, final: 'failed' }

describe('a workflow run again', () => {
  it('the same run id twice sends one re-trigger; both attempts output the same new-run-id and etag', async () => {
    const { runId, flowId } = failure(sim)
    const inputs = staticInputs(sim, { 'run-id': runId })

    const first = await act(sim, inputs)
    const second = await act(sim, inputs)

    expect(sim.count('retrigger')).toBe(1)
    expect([first.code, second.code]).toEqual([0, 0])
    expect(first.outputs['new-run-id']).toBe(ours(flowId)[0].id)
    expect(second.outputs['new-run-id']).toBe(first.outputs['new-run-id'])
    expect(second.outputs.etag).toBe(first.outputs.etag)
    expect(resultsOf(second)[0]).toMatchObject({ state: 'already-retriggered' })
    expect(second.stdout).toMatch(
      new RegExp(
        `::notice::Run ${runId} was already re-triggered: run ${first.outputs['new-run-id']}`
      )
    )
    expect(second.summary).toContain('already re-triggered')
  })

  it('a scheduled run after the failure is not taken for a retry', async () => {
    const now = Date.now()
    const { runId, flowId } = failure(sim, { createdAt: now - 2 * HOUR })
    sim.addRun({ flowId, status: 'success', records: 5, createdAt: now - HOUR })
    inProgressRun(sim, flowId, now - 1000)

    const run = await act(sim, staticInputs(sim, { 'run-id': runId }))
    expect(run.code).toBe(0)
    expect(sim.count('retrigger')).toBe(1)
    expect(resultsOf(run)[0]).toMatchObject({ state: 'retriggered' })
    expect(run.outputs['new-run-id']).toBe(ours(flowId)[0].id)
  })

  it('a retry still running is adopted and, with wait, waited for; nothing is sent', async () => {
    const { runId } = failure(sim, {
      retries: { inProgressReads: 3, final: 'success', records: 7 }
    })
    const inputs = staticInputs(sim, { 'run-id': runId })
    const first = await act(sim, inputs)

    const again = await act(sim, { ...inputs, ...waitInputs() })
    expect(sim.count('retrigger')).toBe(1)
    expect(again.code).toBe(0)
    expect(again.outputs['new-run-id']).toBe(first.outputs['new-run-id'])
    expect(again.outputs.status).toBe('success')
    expect(again.outputs['records-ingested']).toBe('7')
  })

  it('a retry that failed is retried (the retry of the retry), and the chain says so', async () => {
    const { runId } = failure(sim, { retries: failingRetries })
    // Run again at once: the spacing of retries is retry-policy.test's subject.
    const inputs = staticInputs(sim, { 'run-id': runId, ...waitInputs(), 'retry-backoff': '0' })
    const first = await act(sim, inputs)
    expect(first.outputs.status).toBe('failed')
    sim.nextLifecycle = { inProgressReads: 0, final: 'success', records: 3 }
    const second = await act(sim, inputs)

    expect(sim.count('retrigger')).toBe(2)
    const post = sim.requests.filter(r => r.route === 'retrigger')[1]
    expect(post.path).toContain(`/runs/${first.outputs['new-run-id']}/action`)
    expect(resultsOf(second)[0]).toMatchObject({
      'run-id': runId,
      state: 'retriggered',
      'retriggered-run-id': first.outputs['new-run-id'],
      'earlier-retries': [first.outputs['new-run-id']]
    })
    expect(second.outputs.status).toBe('success')
  })

  it('six hourly sweeps over a flow whose retries fail send exactly max-retries re-triggers, then fail naming it', async () => {
    const { flowId } = failure(sim, {
      createdAt: Date.now() - 10 * MINUTE,
      retries: failingRetries
    })
    // Six sweeps in a row, not an hour apart: unspaced (retry-policy.test plays the schedule).
    const inputs = staticInputs(sim, { 'flow-id': flowId, ...waitInputs(), 'retry-backoff': '0' })
    const sweeps = []
    for (let hour = 0; hour < 6; hour++) sweeps.push(await act(sim, inputs))

    expect(sim.count('retrigger')).toBe(3)
    expect(ours(flowId)).toHaveLength(3)
    expect(sweeps.map(s => resultsOf(s)[0].state)).toEqual([
      'retriggered',
      'retriggered',
      'retriggered',
      'retries-exhausted',
      'retries-exhausted',
      'retries-exhausted'
    ])
    const last = sweeps[5]
    expect(last.code).toBe(1)
    expect(last.errors.join('\n')).toMatch(/`max-retries` is 3, so it is not re-triggered again/)
    for (const retry of ours(flowId)) expect(last.errors.join('\n')).toContain(retry.id)
  })

  it('max-retries: 1 stops after one retry', async () => {
    const { runId } = failure(sim, { retries: failingRetries })
    const inputs = staticInputs(sim, { 'run-id': runId, 'max-retries': '1', ...waitInputs() })
    await act(sim, inputs)
    const second = await act(sim, inputs)
    const third = await act(sim, inputs)
    expect(sim.count('retrigger')).toBe(1)
    expect(resultsOf(second)[0].state).toBe('retries-exhausted')
    expect(third.errors.join('\n')).toContain('`max-retries` is 1')
  })

  it('force: true re-triggers the run given whatever its chain says', async () => {
    const { runId } = failure(sim)
    const inputs = staticInputs(sim, { 'run-id': runId })
    await act(sim, inputs)
    const forced = await act(sim, { ...inputs, force: 'true' })
    expect(forced.code).toBe(0)
    expect(sim.count('retrigger')).toBe(2)
    expect(resultsOf(forced)[0].state).toBe('retriggered')
  })

  it('with two failures of one flow, a retry of the older (made after the newer failed) is not taken for the newer one', async () => {
    const now = Date.now()
    const { runId: older, flowId } = failure(sim, { createdAt: now - 2 * HOUR })
    const { runId: newer } = failure(sim, { flowId, createdAt: now - HOUR })
    // Our retry of the older failure, made after the newer one failed.
    addRetry(sim, older, { records: 3, at: now - 30 * MINUTE })

    const run = await act(sim, staticInputs(sim, { 'run-id': newer }))
    expect(run.code).toBe(0)
    expect(resultsOf(run)[0]).toMatchObject({ state: 'retriggered' })
    expect(sim.requests.find(r => r.route === 'retrigger')!.path).toContain(`/runs/${newer}/`)
    expect(older).not.toBe(newer)
  })

  it('300 failures of one flow given as run ids are each re-triggered exactly once', async () => {
    const flowId = sourceFlow(sim)
    const now = Date.now()
    const ids = Array.from(
      { length: 300 },
      (_, i) => failure(sim, { flowId, createdAt: now - HOUR + i * 1000 }).runId
    )
    const run = await act(sim, staticInputs(sim, { 'run-id': ids.join('\n'), concurrency: '8' }), {
      timeoutMs: 120_000
    })
    expect(run.code).toBe(0)
    const posted = sim.requests
      .filter(r => r.route === 'retrigger')
      .map(r => /\/runs\/([^/]+)\/action/.exec(r.path)![1])
    expect(posted.sort()).toEqual([...ids].sort())
    expect(ours(flowId)).toHaveLength(300)
    // One listing of the flow's history serves all 300 decisions.
    expect(sim.count('listRuns')).toBeLessThanOrEqual(Math.ceil(600 / 100) + 1)
  }, 120_000)
})

describe('reconciliation adopts only our runs', () => {
  it('a scheduler run appearing during an ambiguous attempt is never adopted; exactly one run of ours exists afterwards', async () => {
    const { runId, flowId } = failure(sim)
    const scheduled: string[] = []
    const schedulerStarts = () => void scheduled.push(inProgressRun(sim, flowId, Date.now()))
    // Not acted (502 before acting), while the scheduler starts a run: resent once, ours adopted.
    sim.fault('retrigger', { status: 502, meanwhile: schedulerStarts })
    const run = await act(sim, staticInputs(sim, { 'run-id': runId }))

    expect(run.code).toBe(0)
    expect(ours(flowId)).toHaveLength(1)
    expect(run.outputs['new-run-id']).toBe(ours(flowId)[0].id)
    expect(run.outputs['new-run-id']).not.toBe(scheduled[0])
    expect(run.stdout).toContain(
      `Run ${scheduled[0]} of flow ${flowId} appeared meanwhile, created by ${SCHEDULER}`
    )
  })

  it('acted 502 with a scheduler run created just before ours: ours is adopted, not the scheduler one', async () => {
    const { runId, flowId } = failure(sim)
    const scheduled: string[] = []
    sim.fault('retrigger', {
      status: 502,
      act: true,
      meanwhile: () => void scheduled.push(inProgressRun(sim, flowId, Date.now() - 5))
    })
    const run = await act(sim, staticInputs(sim, { 'run-id': runId }))
    expect(run.code).toBe(0)
    expect(sim.count('retrigger')).toBe(1)
    expect(ours(flowId)).toHaveLength(1)
    expect(run.outputs['new-run-id']).toBe(ours(flowId)[0].id)
  })
})
