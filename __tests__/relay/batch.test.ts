// A delivery's runs side by side (relay/src/batch.ts) and the memory of what was dispatched
// (relay/src/memo.ts): the answer to Adobe as a table, the memory's time and size bounds with a
// clock of the test's own, and the stop after a failure counted against the dispatch stand-in.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { GitHubDispatchStandIn } from '../../sim/github-dispatch.js'
import { deliveryAnswer, dispatchAll, type RunResult } from '../../relay/src/batch.js'
import { readConfig, type RelayConfig } from '../../relay/src/config.js'
import type { ClientPayload } from '../../relay/src/envelope.js'
import { DispatchedMemo, memoKey } from '../../relay/src/memo.js'
import { failureBatch, ORG } from './stand-ins.js'

const payload = (runId: string): ClientPayload => ({
  runId,
  flowId: 'cf4fce79-8822-456d-8fce-798822556dc6',
  flowName: null,
  sandbox: 'prod',
  orgId: ORG,
  eventId: null,
  at: '2020-08-14T19:42:37.567Z'
})
const p = payload('d9024c32-2174-4271-824c-322174627101')
const dispatched: RunResult = { kind: 'dispatched', payload: p, attempts: 1, ms: 5 }
const already: RunResult = { kind: 'already', payload: p }
const transient: RunResult = { kind: 'failed', payload: p, transient: true, reason: 'x' }
const refused: RunResult = { kind: 'failed', payload: p, transient: false, reason: 'x' }
const notAttempted: RunResult = { kind: 'not-attempted', payload: p }

describe('the answer to Adobe (it redelivers only 429 and 5xx)', () => {
  it.each([
    ['nothing to dispatch', [], 200, 'ignored', 0],
    ['all dispatched', [dispatched, dispatched], 200, 'dispatched', 0],
    ['a redelivery of what was all dispatched', [already, already], 200, 'dispatched', 0],
    ['the rest of a redelivery dispatched', [already, dispatched], 200, 'dispatched', 0],
    ['one failed in time, the others dispatched', [dispatched, transient], 503, 'failed', 0],
    ['some not attempted after a failure', [dispatched, transient, notAttempted], 503, 'failed', 0],
    ['GitHub refused (token, permission, repository)', [dispatched, refused], 502, 'failed', 0],
    [
      'a refusal and a time-out: the refusal says what to fix',
      [transient, refused],
      502,
      'failed',
      0
    ],
    // Unreadable events (skipped) never make it a 4xx, nor a 5xx on their own.
    ['all dispatched but one unreadable event', [dispatched, dispatched], 200, 'dispatched', 1],
    ['a redelivery of it', [already, already], 200, 'dispatched', 1],
    ['nothing readable at all', [], 200, 'skipped', 3],
    ['an unreadable event and a GitHub outage', [dispatched, transient], 503, 'failed', 1],
    ['an unreadable event and GitHub refusing', [refused, notAttempted], 502, 'failed', 1]
  ] as [string, RunResult[], number, string, number][])(
    '%s: %i %s',
    (_what, results, status, result, skipped) => {
      const answer = deliveryAnswer(results, skipped)
      expect(answer).toEqual({ status, result })
      // Never a 4xx, never 505 (Adobe drops those for good).
      const code: number = answer.status
      expect(code === 200 || (code >= 500 && code !== 505)).toBe(true)
    }
  )
})

describe('the memory of dispatched runs', () => {
  it('remembers for its time, then forgets', () => {
    let now = 1_000
    const memo = new DispatchedMemo(60_000, 100, () => now)
    memo.add('a')
    now += 59_999
    expect(memo.has('a')).toBe(true)
    now += 1
    expect(memo.has('a')).toBe(false)
    expect(memo.size).toBe(0)
  })

  it('holds at most its bound, the oldest forgotten first; expired keys go as new ones come', () => {
    let now = 0
    const memo = new DispatchedMemo(1_000, 3, () => now)
    for (const k of ['a', 'b', 'c', 'd']) {
      memo.add(k)
      now += 10
    }
    expect(memo.size).toBe(3)
    expect(['a', 'b', 'c', 'd'].map(k => memo.has(k))).toEqual([false, true, true, true])
    now += 5_000
    memo.add('e')
    expect(memo.size).toBe(1)
  })

  it('a run is the same run whatever the case of its id or the repository name', () => {
    const config = { owner: 'Acme', repo: 'AEP-ops' } as RelayConfig
    expect(memoKey(config, payload('D9024C32-2174-4271-824C-322174627101'))).toBe(
      memoKey({ owner: 'acme', repo: 'aep-ops' } as RelayConfig, p)
    )
  })
})

describe('dispatching side by side', () => {
  let github: GitHubDispatchStandIn
  let config: RelayConfig
  beforeAll(async () => {
    github = await new GitHubDispatchStandIn().start()
    const read = readConfig({
      GITHUB_TOKEN: github.token,
      GITHUB_REPOSITORY: github.repository,
      ALLOWED_IMS_ORGS: ORG,
      ALLOWED_SANDBOXES: 'prod',
      GITHUB_API_URL: github.url
    })
    if (!read.ok) throw new Error(read.problems.join('; '))
    config = read.config
  })
  afterAll(() => github.stop())

  it('after a refusal no new dispatch starts: at most the 8 in flight were sent', async () => {
    github.refuseNext({ status: 401 })
    const runs = failureBatch(20).runIds.map(payload)
    const memo = new DispatchedMemo()
    const results = await dispatchAll(runs, config, Date.now() + 8000, memo)
    const kinds = (k: RunResult['kind']) => results.filter(r => r.kind === k).length
    expect(kinds('failed')).toBe(1)
    expect(github.requests.length).toBeLessThanOrEqual(8)
    expect(kinds('dispatched')).toBe(github.requests.length - 1)
    expect(kinds('not-attempted')).toBe(20 - github.requests.length)
    expect(memo.size).toBe(kinds('dispatched'))
    expect(deliveryAnswer(results).status).toBe(502)
  })
})
