// Clocks and missing times: Adobe's services stamp runs with their own clocks, and a run may be
// listed without `createdAt`. Neither may cost a duplicate re-trigger. The bundled action, as a
// runner runs it, against the simulator and the hostile Flow Service, with debug off and on.
import { afterEach, describe, expect, it } from '@jest/globals'
import { randomUUID } from 'node:crypto'
import { runAction } from '../../sim/run-action.js'
import {
  addRetry,
  failedRun,
  failure,
  HOUR,
  inProgressRun,
  MINUTE,
  retriesOf,
  sourceFlow
} from '../../sim/scenarios.js'
import type { Simulator } from '../../sim/simulator.js'
import { act, resultsOf, startSimulator, staticInputs } from '../helpers/e2e.js'
import { HostileServer } from '../helpers/hostile.js'

let stop: (() => Promise<void>) | undefined
afterEach(async () => {
  await stop?.()
  stop = undefined
})
async function simulator(): Promise<Simulator> {
  const sim = await startSimulator()
  stop = () => sim.stop()
  return sim
}

describe.each([
  ['debug off', {}],
  ['debug on', { RUNNER_DEBUG: '1' }]
])('clocks and missing times (%s)', (_mode, env: Record<string, string>) => {
  it('a run dated 60 s ahead and a POST that acts but answers 502: one new run, adopted', async () => {
    const sim = await simulator()
    const { runId, flowId } = failure(sim)
    const ahead = inProgressRun(sim, flowId, sim.now() + 60_000)
    sim.fault('retrigger', { status: 502, act: true })
    const run = await act(sim, staticInputs(sim, { 'run-id': runId }), { env })
    expect(sim.count('retrigger')).toBe(1)
    expect(retriesOf(sim, flowId)).toHaveLength(1)
    expect(run.code).toBe(0)
    expect(run.outputs['new-run-id']).toBe(retriesOf(sim, flowId)[0].id)
    expect(run.outputs['new-run-id']).not.toBe(ahead)
  })

  it('a failure dated 5 minutes after our running retry of it: neither a re-run nor a sweep sends again', async () => {
    const sim = await simulator()
    const flowId = sourceFlow(sim, 'orders')
    const failed = failedRun(sim, { flowId, at: sim.now() - 10 * MINUTE })
    const retry = addRetry(sim, failed, { at: sim.now() - 15 * MINUTE, durationMs: 10 * HOUR })
    const named = await act(sim, staticInputs(sim, { 'run-id': failed }), { env })
    expect(resultsOf(named)[0]).toMatchObject({
      state: 'already-retriggered',
      'new-run-id': retry
    })
    const sweep = await act(sim, staticInputs(sim, { 'flow-id': 'all' }), { env })
    expect(resultsOf(sweep)[0]).toMatchObject({
      'run-id': failed,
      state: 'already-retriggered',
      'new-run-id': retry
    })
    expect(sim.count('retrigger')).toBe(0)
  })

  it('our running retry listed without createdAt is seen by a sweep: nothing is sent', async () => {
    const server = await new HostileServer().start()
    stop = () => server.stop()
    const retry = randomUUID()
    server.created.push(
      server.run({
        id: retry,
        createdAt: undefined,
        createdClient: server.apiKey,
        metrics: {
          statusSummary: { status: 'inProgress' },
          durationSummary: { startedAtUTC: Date.now() - 30_000 }
        }
      })
    )
    const run = await runAction(server.inputs({ 'run-id': '', 'flow-id': server.flowId }), {
      env,
      timeoutMs: 30_000
    })
    expect(server.hits.retrigger).toBe(0)
    expect(run.code).toBe(0)
    expect(resultsOf(run)[0]).toMatchObject({
      'run-id': server.runId,
      state: 'already-retriggered',
      'new-run-id': retry
    })
  })
})
