// run() itself over several sandboxes, in-process with the @actions/core fixture, against the
// simulator serving them behind one platform URL: the orchestration (src/sandboxes.ts) and the
// discovery (src/aep/sandboxes.ts) as the end-to-end suite (__tests__/e2e/org.test.ts) drives them
// through the bundle, here where coverage sees them.
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as core from '../../__fixtures__/core.js'
import { failedRun, sourceFlow } from '../../sim/scenarios.js'
import type { Simulator } from '../../sim/simulator.js'
import { baseInputs, startSimulator, staticToken } from '../helpers/e2e.js'
import { given, outputs } from '../helpers/in-process.js'

jest.unstable_mockModule('@actions/core', () => core)
const { run } = await import('../../src/main.js')

let sim: Simulator
beforeEach(async () => {
  process.env.GITHUB_STEP_SUMMARY = '/dev/null'
  sim = await startSimulator()
  jest.clearAllMocks()
})
afterEach(() => sim.stop())

/** The sandbox header of each re-trigger POST, by the run it went to. */
const posts = (): Record<string, string> =>
  Object.fromEntries(
    sim.requests
      .filter(r => r.route === 'retrigger')
      .map(r => [r.runId!, String(r.headers['x-sandbox-name'])])
  )

/** prod, dev-eu and dev-us active with a failed source run each; one sandbox being created. */
function org(): Record<string, string> {
  const failed: Record<string, string> = {}
  for (const sandbox of ['prod', 'dev-eu', 'dev-us', 'new-sb'])
    failed[sandbox] = failedRun(sim, { flowId: sourceFlow(sim, 'orders', { sandbox }), sandbox })
  sim.addSandbox({ name: 'new-sb', state: 'creating' })
  return failed
}
const sweep = (sandbox: string, extra: Record<string, string> = {}) =>
  given({ ...baseInputs(sim), ...staticToken(sim), sandbox, 'flow-id': 'all', ...extra })

describe('run() over several sandboxes', () => {
  it('sandbox: all finds the active sandboxes and re-triggers in each with its own header', async () => {
    const failed = org()
    sweep('all')
    await run()
    expect(core.setFailed).not.toHaveBeenCalled()
    expect(posts()).toEqual({
      [failed.prod]: 'prod',
      [failed['dev-eu']]: 'dev-eu',
      [failed['dev-us']]: 'dev-us'
    })
    expect(JSON.parse(outputs().sandboxes)).toEqual(['prod', 'dev-eu', 'dev-us'])
    const results = JSON.parse(outputs().results) as { sandbox: string; state: string }[]
    expect(results.map(r => [r.sandbox, r.state]).sort()).toEqual([
      ['dev-eu', 'retriggered'],
      ['dev-us', 'retriggered'],
      ['prod', 'retriggered']
    ])
  })

  it('a sandbox refusing everything does not stop the others and fails the step naming it', async () => {
    const failed = org()
    sim.refuseSandbox('dev-eu')
    sweep('prod, dev-eu, dev-us')
    await run()
    expect(posts()).toEqual({ [failed.prod]: 'prod', [failed['dev-us']]: 'dev-us' })
    expect(core.setFailed).toHaveBeenCalledTimes(1)
    expect(String(core.setFailed.mock.calls[0][0])).toContain('dev-eu')
  })

  it('a dry run over all lists the sandboxes it would sweep and sends nothing', async () => {
    org()
    sweep('all\n!dev-us', { 'dry-run': 'true' })
    await run()
    expect(posts()).toEqual({})
    expect(JSON.parse(outputs().sandboxes)).toEqual(['prod', 'dev-eu'])
  })
})
