// Which retries belong to which failure, and what to do about it: the decision behind repeat safety.
import { describe, expect, it } from '@jest/globals'
import { chainOf, decide, newestChain, rootOf } from '../../src/chain.js'
import type { RunInfo, RunStatus } from '../../src/runs.js'

const OURS = 'our-client-id'
let n = 0
const run = (
  createdAt: number,
  status: RunStatus,
  createdClient = 'acp_foundation_connectors'
): RunInfo => ({
  id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
  createdAt,
  createdClient,
  status,
  rawStatus: status,
  errors: [],
  causes: []
})
const HOUR = 3_600_000

describe('chainOf', () => {
  it('attributes our runs after the only foreign failure in their lookback', () => {
    const o = run(0, 'failed')
    const x1 = run(10, 'failed', OURS)
    const x2 = run(20, 'success', OURS)
    const scheduled = run(15, 'success')
    expect(chainOf([x2, scheduled, x1, o], o, OURS, HOUR)).toEqual([x1, x2])
  })

  it('attributes nothing when two failures share the window, so both are retried', () => {
    const older = run(0, 'failed')
    const newer = run(10, 'failed')
    const retryOfOlder = run(20, 'success', OURS)
    const history = [retryOfOlder, newer, older]
    expect(chainOf(history, newer, OURS, HOUR)).toEqual([])
    expect(chainOf(history, older, OURS, HOUR)).toEqual([])
  })

  it('leaves out failures older than the lookback before the retry', () => {
    const ancient = run(0, 'failed')
    const o = run(2 * HOUR, 'failed')
    const x = run(2 * HOUR + 10, 'failed', OURS)
    expect(chainOf([x, o, ancient], o, OURS, HOUR)).toEqual([x])
  })
})

describe('newestChain and rootOf', () => {
  it('takes our runs at the newest end, back to the first run we did not create', () => {
    const o = run(0, 'failed')
    const x1 = run(10, 'failed', OURS)
    const x2 = run(20, 'inProgress' as RunStatus, OURS)
    expect(newestChain([x1, x2, o], OURS)).toEqual({ root: o, chain: [x1, x2] })
    expect(newestChain([x1], OURS)).toEqual({ root: undefined, chain: [x1] })
    expect(rootOf([x1, o], x1, OURS, HOUR)).toBe(o)
  })
})

describe('decide', () => {
  const o = run(0, 'failed')
  it.each([
    ['no retry yet', [], 3, 'retrigger'],
    ['a retry running', [run(1, 'in-progress', OURS)], 3, 'adopt'],
    ['a retry that succeeded', [run(1, 'success', OURS)], 3, 'adopt'],
    ['a failed retry under the limit', [run(1, 'failed', OURS)], 3, 'retrigger'],
    [
      'three failed retries at the limit',
      [run(1, 'failed', OURS), run(2, 'failed', OURS), run(3, 'cancelled', OURS)],
      3,
      'exhausted'
    ],
    ['no limit', [run(1, 'failed', OURS), run(2, 'failed', OURS)], 0, 'retrigger']
  ] as const)('%s → %s', (_name, chain, max, action) => {
    expect(decide(o, [...chain], max).action).toBe(action)
  })

  it('re-triggers the newest failed retry, not the original', () => {
    const x = run(1, 'failed', OURS)
    expect(decide(o, [x], 3)).toEqual({ action: 'retrigger', target: x })
  })
})
