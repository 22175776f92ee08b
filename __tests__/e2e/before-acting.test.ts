// What the action checks before it acts (issue 28, items 1-4): the bundled action as a runner
// runs it, against the simulator. A run that is not a source flow's is refused naming its flow; a
// step that could not look says so in its summary and outputs; a host that does not resolve is
// named by its input at once; a `flow-name` that watches nothing and a sandbox given empty are
// refused. Hosts under `.invalid` (RFC 6761) never resolve: the resolver answers "no such name"
// without any network, so no test here leaves loopback.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { destinationFlow, failure, HOUR, internalFlow } from '../../sim/scenarios.js'
import type { Simulator } from '../../sim/simulator.js'
import {
  act,
  oauthInputs,
  resultsOf,
  startSimulator,
  staticInputs,
  STATIC_TOKEN
} from '../helpers/e2e.js'

let sim: Simulator
beforeEach(async () => {
  sim = await startSimulator()
})
afterEach(() => sim.stop())

describe('a run named in run-id is checked against its flow before anything is sent', () => {
  it.each([
    [
      'a destination dataflow',
      destinationFlow,
      'Amazon S3 export',
      'a destination dataflow (an export)'
    ],
    ['an internal flow', internalFlow, 'Datalake to UIS Flow', "one of Adobe's internal dataflows"]
  ])('a failed run of %s: refused naming the flow and its kind, force or not', async (...row) => {
    const [, make, name, kind] = row
    const flowId = make(sim)
    const runId = sim.addRun({ flowId, status: 'failed' })
    for (const force of ['false', 'true']) {
      const run = await act(sim, staticInputs(sim, { 'run-id': runId, force }))
      expect(run.code).toBe(1)
      expect(run.errors).toHaveLength(1)
      expect(run.errors[0]).toContain(
        `Not re-triggered: run ${runId} belongs to "${name}" (flow ${flowId}), ${kind}, not a source dataflow`
      )
      // Never "This source's type cannot be re-triggered": nothing was sent for Adobe to refuse.
      expect(run.stdout).not.toContain('streaming')
      expect(resultsOf(run)[0]).toMatchObject({ state: 'error', 'flow-name': name })
    }
    expect(sim.count('retrigger')).toBe(0)
    // The flow is read once per step, however many of its runs are named.
    expect(sim.count('getFlow')).toBe(2)
  })

  it('a run of a source dataflow is still re-triggered, its flow named in the row', async () => {
    const { runId } = failure(sim, { flowName: 'crm-accounts' })
    const run = await act(sim, staticInputs(sim, { 'run-id': runId }))
    expect(run.code).toBe(0)
    expect(sim.retriggerTargets()).toEqual([runId])
    expect(resultsOf(run)[0]).toMatchObject({ state: 'retriggered', 'flow-name': 'crm-accounts' })
  })
})

describe('a step that could not look says it did not look', () => {
  /** A sandbox with a failed window to find, so "0 found" would be a false report. */
  const sweep = (inputs: Record<string, string>) => {
    failure(sim, { flowName: 'crm-accounts' })
    return act(sim, { 'flow-id': 'all', ...inputs })
  }

  it.each([
    ['a wrong client secret', () => oauthInputs(sim, { 'client-secret': 'not-the-secret-4d2a9c' })],
    ['a garbage token', () => staticInputs(sim, { 'access-token': `x${STATIC_TOKEN}` })],
    [
      'a mistyped platform-url',
      () => staticInputs(sim, { 'platform-url': 'https://platfrom.invalid' })
    ],
    [
      'a mistyped ims-url',
      () => oauthInputs(sim, { 'ims-url': 'https://ims-na1.adobelogin.invalid' })
    ]
  ])('%s: the summary says the sandbox was not swept, `looked` is false', async (_, inputs) => {
    const run = await sweep(inputs())
    expect(run.code).toBe(1)
    expect(run.summary).toContain(
      '**Not swept: the step stopped before it could list sandbox `prod`'
    )
    expect(run.summary).not.toMatch(/Swept \d+ source dataflow/)
    expect(run.summary).not.toMatch(/0 failed window/)
    expect(run.outputs.looked).toBe('false')
    expect(sim.count('retrigger')).toBe(0)
  })

  it('a sweep that listed the sandbox says what it swept, `looked` is true', async () => {
    const run = await sweep(staticInputs(sim))
    expect(run.code).toBe(0)
    expect(run.summary).toMatch(/Swept 1 source dataflow\(s\) .*: 1 failed window\(s\) found/)
    expect(run.summary).not.toContain('Not swept')
    expect(run.outputs.looked).toBe('true')
  })

  it('a run named in run-id that could not be read: no run was read, `looked` is false', async () => {
    const { runId } = failure(sim)
    const run = await act(
      sim,
      oauthInputs(sim, { 'run-id': runId, 'client-secret': 'wrong-4d2a9c' })
    )
    expect(run.code).toBe(1)
    expect(run.summary).toContain('**No run was read: the step stopped before it could look')
    expect(run.outputs.looked).toBe('false')
  })
})

describe('a wrong host names its input, at once', () => {
  it('platform-url that does not resolve: one attempt, the input and its value named', async () => {
    const { runId } = failure(sim)
    const run = await act(
      sim,
      staticInputs(sim, { 'run-id': runId, 'platform-url': 'https://platfrom.invalid' })
    )
    expect(run.code).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toContain(
      'No host platfrom.invalid exists (the DNS does not know the name): `platform-url` is "https://platfrom.invalid". Check it for a typo.'
    )
    // Not retried: a name the DNS does not know is a typo until shown otherwise.
    expect(run.stdout).not.toMatch(/retrying in/)
    expect(run.errors[0]).not.toContain('gave up')
  })

  it('ims-url that does not resolve: one attempt, the input and its value named', async () => {
    const { runId } = failure(sim)
    const run = await act(
      sim,
      oauthInputs(sim, { 'run-id': runId, 'ims-url': 'https://ims-na1.adobelogin.invalid' })
    )
    expect(run.code).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toMatch(/^IMS token request failed: ENOTFOUND/)
    expect(run.errors[0]).toContain('`ims-url` is "https://ims-na1.adobelogin.invalid"')
    expect(run.stdout).not.toMatch(/retrying in/)
    expect(sim.requests).toHaveLength(0)
  })

  it('a scheme typo (htps://) is refused quoting the value as given, not "null"', async () => {
    const { runId } = failure(sim)
    const run = await act(
      sim,
      staticInputs(sim, { 'run-id': runId, 'platform-url': 'htps://platform.adobe.io' })
    )
    expect(run.code).toBe(1)
    expect(run.errors).toEqual([
      'Invalid input: `platform-url` must use https (plain http is allowed only for loopback hosts), not "htps://platform.adobe.io"'
    ])
    expect(sim.requests).toHaveLength(0)
  })
})

describe('a monitor that would watch nothing is a configuration error', () => {
  /** Two source flows failing within the lookback, and one that last ran three days ago. */
  function sandbox(): string[] {
    const now = sim.now()
    const runs = ['crm-accounts', 'crm-contacts'].map(
      flowName => failure(sim, { flowName, createdAt: now - HOUR }).runId
    )
    const weekly = sim.addFlow({ name: 'weekly-export' })
    sim.addRun({ flowId: weekly, status: 'success', records: 5, createdAt: now - 72 * HOUR })
    return runs
  }

  it.each([['orders'], ['crm-*\norders']])(
    'flow-name %j: one error naming the input, nothing re-triggered, no warning',
    async flowName => {
      sandbox()
      const run = await act(sim, staticInputs(sim, { 'flow-id': 'all', 'flow-name': flowName }))
      expect(run.code).toBe(1)
      expect(run.errors).toEqual([
        expect.stringMatching(
          /^Invalid input: `flow-name` "orders" matches no source dataflow in sandbox `prod`: a sweep for it would watch nothing, so nothing was re-triggered\./
        )
      ])
      // Said once, as the error: not also as a warning (a ledger without a cache service may warn).
      expect(run.warnings.filter(w => w.includes('flow-name'))).toEqual([])
      expect(sim.count('retrigger')).toBe(0)
    }
  )

  it('flow-name naming a flow with no run within the lookback is not an error', async () => {
    const runs = sandbox()
    const run = await act(
      sim,
      staticInputs(sim, { 'flow-id': 'all', 'flow-name': 'crm-*\nweekly-export' })
    )
    expect(run.code).toBe(0)
    expect(run.errors).toEqual([])
    expect(sim.retriggerTargets().sort()).toEqual([...runs].sort())
    expect(run.stdout).toContain(
      '`flow-name` "weekly-export" matches source dataflow(s) with no run within `lookback`'
    )
  })

  it('sandbox given as an empty value (an unset variable): refused naming it, nothing sent', async () => {
    const { runId } = failure(sim)
    const run = await act(sim, staticInputs(sim, { 'run-id': runId, sandbox: '' }))
    expect(run.code).toBe(1)
    expect(run.errors).toHaveLength(1)
    expect(run.errors[0]).toMatch(/^Invalid input: `sandbox` is given as an empty value/)
    expect(sim.requests).toHaveLength(0)
  })

  it('sandbox left out: the default, prod', async () => {
    const { runId } = failure(sim)
    const inputs = staticInputs(sim, { 'run-id': runId })
    delete inputs.sandbox
    const run = await act(sim, inputs)
    expect(run.code).toBe(0)
    expect(sim.requests.find(r => r.route === 'retrigger')!.headers['x-sandbox-name']).toBe('prod')
  })
})
