// The retry policy as tables: when a window's next retry is due (`retry-backoff`), the lookback it
// needs, and which of Adobe's codes are handed to a person instead of retried (`skip-errors`).
import { describe, expect, it } from '@jest/globals'
import { decideWindow, skipErrors, type Schedule } from '../../src/decide/decide.js'
import { ownedBy } from '../../src/decide/identity.js'
import { DEFAULT_SKIP_ERRORS } from '../../src/inputs/needs-fix-codes.js'
import { minimumLookback, retryDelay } from '../../src/inputs/retry-schedule.js'
import type { RunInfo, RunStatus } from '../../src/aep/runs.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const OURS = 'our-client-id'
const owns = ownedBy(OURS)

let n = 0
/** A run created at `at` (ms), finished `tookMs` later when it is final. */
function run(at: number, status: RunStatus, by = 'scheduler', tookMs = 5 * MINUTE): RunInfo {
  return {
    id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    flowId: '00000000-0000-4000-8000-00000000f10a',
    createdAt: at,
    startedAt: at,
    ...(status === 'in-progress' ? {} : { completedAt: at + tookMs }),
    createdClient: by,
    status,
    rawStatus: status,
    errors: [],
    causes: []
  }
}

describe('retryDelay and minimumLookback: the schedule retry-backoff implies', () => {
  it.each([
    [1, 15 * MINUTE, 0],
    [2, 15 * MINUTE, 15 * MINUTE],
    [3, 15 * MINUTE, 30 * MINUTE],
    [4, 15 * MINUTE, HOUR],
    [5, 0, 0],
    [1000, HOUR, HOUR * 2 ** 20]
  ])(
    'retry %i with back-off %i ms waits %i ms after the previous one ended',
    (n, backoff, wait) => {
      expect(retryDelay(n, backoff)).toBe(wait)
    }
  )

  it.each([
    [15 * MINUTE, 3, 45 * MINUTE + HOUR],
    [15 * MINUTE, 1, undefined],
    [15 * MINUTE, 0, undefined],
    [0, 3, undefined],
    [HOUR, 5, 16 * HOUR]
  ])('back-off %i ms and max-retries %i need a lookback of %p ms', (backoff, max, minimum) => {
    expect(minimumLookback(backoff, max)).toBe(minimum)
  })
})

describe('decideWindow with retry-backoff: a window waits between retries', () => {
  const backoff = 15 * MINUTE
  const failure = run(1 * HOUR, 'failed')
  const first = run(1 * HOUR + 6 * MINUTE, 'failed', OURS) // ended at 01:11
  const second = run(1 * HOUR + 30 * MINUTE, 'failed', OURS) // ended at 01:35
  const at = (now: number): Schedule => ({ backoffMs: backoff, now })
  const decide = (retries: RunInfo[], schedule?: Schedule, max = 3) =>
    decideWindow({ root: failure, retries }, owns, max, undefined, schedule)

  it.each([
    ['no retry yet: the first is sent at once', [], 1 * HOUR + 6 * MINUTE, 'retrigger', undefined],
    [
      'one failed retry, 14 min after it ended: waits for 01:26',
      [first],
      1 * HOUR + 25 * MINUTE,
      'waiting',
      1 * HOUR + 26 * MINUTE
    ],
    [
      'one failed retry, 15 min after it ended: the second retry is due',
      [first],
      1 * HOUR + 26 * MINUTE,
      'retrigger',
      undefined
    ],
    [
      'two failed retries: the third waits 30 min after the second ended',
      [first, second],
      2 * HOUR + 4 * MINUTE,
      'waiting',
      2 * HOUR + 5 * MINUTE
    ],
    [
      'two failed retries, 30 min on: due',
      [first, second],
      2 * HOUR + 5 * MINUTE,
      'retrigger',
      undefined
    ]
  ])('%s', (_, retries, now, action, due) => {
    const d = decide(retries, at(now))
    expect(d.action).toBe(action)
    expect(d.action === 'waiting' ? d.due : undefined).toBe(due)
  })

  it('a running retry is never joined by another, whatever the schedule says', () => {
    const running = run(1 * HOUR + 30 * MINUTE, 'in-progress', OURS)
    expect(decide([first, running], at(5 * HOUR)).action).toBe('settled')
  })

  it('max-retries is reached before any wait: exhausted, not waiting', () => {
    const third = run(2 * HOUR + 10 * MINUTE, 'failed', OURS)
    expect(decide([first, second, third], at(2 * HOUR + 20 * MINUTE)).action).toBe('exhausted')
  })

  it('back-off 0 (or no schedule) retries at once, as before', () => {
    expect(decide([first], { backoffMs: 0, now: first.completedAt! }).action).toBe('retrigger')
    expect(decide([first]).action).toBe('retrigger')
  })

  it('a retry Adobe dated only by its creation is spaced from that', () => {
    const undated = { ...first, completedAt: undefined, startedAt: undefined }
    expect(decide([undated], at(first.createdAt! + 10 * MINUTE)).action).toBe('waiting')
  })
})

describe("skip-errors' default: Adobe's data and mapping errors need a fix, the rest is retried", () => {
  const needsFix = skipErrors(DEFAULT_SKIP_ERRORS.split(', '))
  const failedWith = (code: string) => ({ causes: [{ code, message: '' }] })
  it.each([
    ['MAPPER-3700-400', 'MAPPER-3700-400'],
    ['INGEST-1212-400', 'INGEST-1212-400'],
    ['ingest-1211-400', 'ingest-1211-400'],
    ['CONNECTOR-1001-500', undefined],
    ['CONNECTOR-2001-500', undefined],
    ['INGEST-1100-500', undefined],
    ['SOMETHING-NEW-400', undefined]
  ])('%s → %p', (code, expected) => {
    expect(needsFix(failedWith(code))).toBe(expected)
  })
})
