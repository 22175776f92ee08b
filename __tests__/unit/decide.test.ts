// Every failed window and what to do about it: the decision behind "each failed run retried
// exactly once", as tables over what was listed, the ledger and the identity.
import { describe, expect, it } from '@jest/globals'
import { decideNamedRun, decideWindows, type Listed } from '../../src/decide/decide.js'
import { ownedBy } from '../../src/decide/identity.js'
import type { LedgerEntry } from '../../src/ledger/ledger.js'
import type { RunInfo, RunStatus } from '../../src/aep/runs.js'
import { searchStart } from '../../src/step/reconcile.js'

const OURS = 'our-client-id'
const SCHEDULER = 'acp_foundation_connectors'
const HOUR = 3_600_000
const FLOW = '00000000-0000-4000-8000-00000000f10a'
const owns = ownedBy(OURS)

let n = 0
/** A run created at hour `h` (of the flow's hourly schedule) with window [h-1, h) unless told. */
function run(
  h: number,
  status: RunStatus,
  by = SCHEDULER,
  window: number | null = h,
  flowId = FLOW
): RunInfo {
  return {
    id: `00000000-0000-4000-8000-${String(++n).padStart(12, '0')}`,
    flowId,
    createdAt: h * HOUR,
    startedAt: h * HOUR,
    createdClient: by,
    status,
    rawStatus: status,
    ...(window === null ? {} : { window: { start: (window - 1) * HOUR, end: window * HOUR } }),
    errors: [],
    causes: []
  }
}
const retry = (h: number, status: RunStatus, of: RunInfo, windows = true): RunInfo =>
  run(h, status, OURS, windows && of.window ? of.window.end / HOUR : null)
const entry = (of: RunInfo, made: RunInfo): LedgerEntry => ({
  sandbox: 'prod',
  flowId: FLOW,
  retried: of.id,
  newRun: made.id,
  at: made.createdAt!
})
const listed = (runs: RunInfo[], ledger: LedgerEntry[] = []): Listed => ({
  runs,
  ledger,
  owns,
  lookbackMs: 24 * HOUR
})
/** Each decision as "action root → target|retry", for tables. */
const summary = (runs: RunInfo[], ledger: LedgerEntry[] = [], maxRetries = 3) =>
  decideWindows(listed(runs, ledger), maxRetries).decisions.map(d =>
    d.action === 'retrigger'
      ? ['retrigger', d.root.id, d.target.id]
      : d.action === 'settled'
        ? ['settled', d.root.id, d.retry.id]
        : ['exhausted', d.root.id, d.retries.length]
  )

describe('decideWindows: every failed window, not only the latest run', () => {
  it('a failure followed by a success is still a window to retry', () => {
    const f1 = run(1, 'failed')
    const s2 = run(2, 'success')
    expect(summary([s2, f1])).toEqual([['retrigger', f1.id, f1.id]])
  })

  it('runs still in progress are not failures; once failed they are, oldest window first', () => {
    const f1 = run(1, 'failed')
    const p2 = run(2, 'in-progress')
    const f3 = run(3, 'failed')
    expect(summary([f3, p2, f1])).toEqual([
      ['retrigger', f1.id, f1.id],
      ['retrigger', f3.id, f3.id]
    ])
  })

  it.each([
    ['running', 'in-progress', 'settled'],
    ['succeeded', 'success', 'settled'],
    ['partly succeeded', 'partial-success', 'settled']
  ] as const)('a retry that is %s settles its window: nothing is sent', (_, status, action) => {
    const f1 = run(1, 'failed')
    const r = retry(2, status, f1)
    expect(summary([f1, r])).toEqual([[action, f1.id, r.id]])
  })

  it('a failed retry is retried itself, up to max-retries, then the window is exhausted', () => {
    const f1 = run(1, 'failed')
    const r1 = retry(2, 'failed', f1)
    const r2 = retry(3, 'failed', f1)
    expect(summary([f1, r1], [], 3)).toEqual([['retrigger', f1.id, r1.id]])
    expect(summary([f1, r1, r2], [], 3)).toEqual([['retrigger', f1.id, r2.id]])
    expect(summary([f1, r1, r2], [], 2)).toEqual([['exhausted', f1.id, 2]])
    expect(summary([f1, r1, r2], [], 0)).toEqual([['retrigger', f1.id, r2.id]])
  })

  it('three failed windows with failed retries: each decided on its own chain', () => {
    const f = [run(1, 'failed'), run(2, 'failed'), run(3, 'failed')]
    const retries = f.map((x, i) => retry(4 + i / 10, 'failed', x))
    const s4 = run(4, 'success')
    expect(summary([...f, ...retries, s4], [], 1)).toEqual(f.map(x => ['exhausted', x.id, 1]))
    expect(summary([...f, ...retries, s4], [], 3)).toEqual(
      f.map((x, i) => ['retrigger', x.id, retries[i].id])
    )
  })

  it('failures of ours are retries, not windows of their own', () => {
    const f1 = run(1, 'failed')
    const r1 = retry(2, 'failed', f1)
    expect(summary([r1, f1]).map(d => d[1])).toEqual([f1.id])
  })

  it('a failure the UI retried with the same window stays one window: its newest run decides', () => {
    const f1 = run(1, 'failed')
    const ui = run(1.5, 'failed', 'exc_app', 1)
    expect(summary([f1, ui])).toEqual([['retrigger', f1.id, ui.id]])
  })
})

describe('which run retried which: ledger, then windows, then timing', () => {
  it('the ledger ties retries to their failures when windows are not reported', () => {
    const f1 = run(1, 'failed', SCHEDULER, null)
    const f2 = run(2, 'failed', SCHEDULER, null)
    const r1 = retry(2.5, 'success', f1)
    const r2 = retry(2.6, 'in-progress', f2)
    const result = decideWindows(listed([f1, f2, r1, r2], [entry(f1, r1), entry(f2, r2)]), 3)
    expect(result.unclear).toEqual([])
    expect(summary([f1, f2, r1, r2], [entry(f1, r1), entry(f2, r2)])).toEqual([
      ['settled', f1.id, r1.id],
      ['settled', f2.id, r2.id]
    ])
  })

  it('the ledger follows a chain of retries of retries', () => {
    const f1 = run(1, 'failed', SCHEDULER, null)
    const f2 = run(2, 'failed', SCHEDULER, null)
    const r1 = retry(3, 'failed', f1)
    const r2 = retry(4, 'failed', f1)
    const ledger = [entry(f1, r1), entry(r1, r2)]
    expect(summary([f1, f2, r1, r2], ledger)).toEqual([
      ['retrigger', f1.id, r2.id],
      ['retrigger', f2.id, f2.id]
    ])
  })

  it('equal windows tie retries to their failures without a ledger', () => {
    const f1 = run(1, 'failed')
    const f2 = run(2, 'failed')
    const r1 = retry(2.5, 'success', f1)
    const r2 = retry(2.6, 'success', f2)
    const result = decideWindows(listed([f1, f2, r1, r2]), 3)
    expect(result.unclear).toEqual([])
    expect(summary([f1, f2, r1, r2])).toEqual([
      ['settled', f1.id, r1.id],
      ['settled', f2.id, r2.id]
    ])
  })

  it("a retry whose window matches no listed failure is nobody's (it retried an older window)", () => {
    const old = run(-30, 'failed')
    const f1 = run(1, 'failed')
    const r = retry(2, 'success', old)
    expect(summary([f1, r])).toEqual([['retrigger', f1.id, f1.id]])
  })

  it('timing ties a retry to the only failure before it', () => {
    const f1 = run(1, 'failed', SCHEDULER, null)
    const r1 = retry(1.5, 'success', f1, false)
    const f2 = run(2, 'failed', SCHEDULER, null)
    expect(summary([f1, r1, f2])).toEqual([
      ['settled', f1.id, r1.id],
      ['retrigger', f2.id, f2.id]
    ])
  })

  it('timing that cannot tell two failures apart ties the retry to neither and names them', () => {
    const f1 = run(1, 'failed', SCHEDULER, null)
    const f2 = run(2, 'failed', SCHEDULER, null)
    const r = retry(3, 'success', f1, false)
    const result = decideWindows(listed([f1, f2, r]), 3)
    expect(result.unclear).toEqual([{ run: r, candidates: [f1, f2] }])
    expect(summary([f1, f2, r])).toEqual([
      ['retrigger', f1.id, f1.id],
      ['retrigger', f2.id, f2.id]
    ])
  })

  it('the ledger wins over timing; runs of other flows never count', () => {
    const f1 = run(1, 'failed', SCHEDULER, null)
    const f2 = run(2, 'failed', SCHEDULER, null)
    const other = run(2, 'failed', SCHEDULER, null, '00000000-0000-4000-8000-0000000000ff')
    const r = retry(3, 'success', f2, false)
    expect(summary([f1, f2, other, r], [entry(f2, r)])).toEqual([
      ['retrigger', f1.id, f1.id],
      ['settled', f2.id, r.id],
      ['retrigger', other.id, other.id]
    ])
  })

  it('a loop in a ledger ends', () => {
    const f1 = run(1, 'failed', SCHEDULER, null)
    const a = retry(2, 'failed', f1, false)
    const b = retry(3, 'failed', f1, false)
    expect(() => summary([f1, a, b], [entry(a, b), entry(b, a)])).not.toThrow()
  })
})

describe('decideNamedRun: a run given as run-id', () => {
  it('a failure already retried is settled: a re-run sends nothing', () => {
    const f1 = run(1, 'failed')
    const f2 = run(2, 'failed')
    const r1 = retry(3, 'in-progress', f1)
    const r2 = retry(3.1, 'in-progress', f2)
    for (const [given, made] of [
      [f1, r1],
      [f2, r2]
    ]) {
      const { decision } = decideNamedRun(given, listed([f1, f2, r1, r2]), 3)
      expect(decision).toMatchObject({ action: 'settled', root: given, retry: made })
    }
  })

  it('a retry of ours given by id stands for the failure it retried', () => {
    const f1 = run(1, 'failed')
    const r1 = retry(2, 'failed', f1)
    const { decision } = decideNamedRun(r1, listed([f1, r1]), 3)
    expect(decision).toMatchObject({ action: 'retrigger', root: f1, target: r1 })
  })

  it('a retry whose failure is out of view (ledger only) starts its own chain', () => {
    const f0 = run(-40, 'failed', SCHEDULER, null)
    const r1 = retry(1, 'failed', f0, false)
    const r2 = retry(2, 'failed', f0, false)
    const { decision } = decideNamedRun(r1, listed([r1, r2], [entry(f0, r1), entry(r1, r2)]), 3)
    expect(decision).toMatchObject({ action: 'retrigger', root: r1, target: r2 })
  })

  it('a run not yet listed is its own window', () => {
    const f1 = run(1, 'failed')
    expect(decideNamedRun(f1, listed([]), 3).decision).toMatchObject({
      action: 'retrigger',
      target: f1
    })
  })
})

describe('a ledger entry is a claim: used only where it agrees with what Adobe lists', () => {
  const OTHER_FLOW = '00000000-0000-4000-8000-0000000000ff'
  /** Decisions and the entries set aside, for tables. */
  const judged = (runs: RunInfo[], ledger: LedgerEntry[]) => {
    const result = decideWindows(listed(runs, ledger), 3)
    return {
      decisions: summary(runs, ledger),
      disputed: result.disputed.map(d => [d.entry.newRun, d.entry.retried])
    }
  }

  it.each([
    ['another window than the run it names', true],
    ['a failure dated after it, where windows are not reported', false]
  ])(
    'an entry saying our running retry R1 of F1 retried F2 (%s) is set aside: F1 is settled, F2 retried',
    (_, windows) => {
      const f1 = run(1, 'failed', SCHEDULER, windows ? 1 : null)
      const r1 = retry(1.2, 'in-progress', f1, windows)
      const f2 = run(2, 'failed', SCHEDULER, windows ? 2 : null)
      expect(judged([f1, r1, f2], [entry(f2, r1)])).toEqual({
        decisions: [
          ['settled', f1.id, r1.id],
          ['retrigger', f2.id, f2.id]
        ],
        disputed: [[r1.id, f2.id]]
      })
    }
  )

  it('an entry naming a failure of another flow is set aside: neither window is lost', () => {
    const f1 = run(1, 'failed')
    const r1 = retry(1.2, 'in-progress', f1)
    const g1 = run(1, 'failed', SCHEDULER, 1, OTHER_FLOW)
    const result = judged([f1, r1, g1], [{ ...entry(g1, r1), flowId: OTHER_FLOW }])
    expect(result.decisions).toEqual([
      ['settled', f1.id, r1.id],
      ['retrigger', g1.id, g1.id]
    ])
    expect(result.disputed).toEqual([[r1.id, g1.id]])
  })

  it('an entry in the right flow naming a run of another flow is set aside', () => {
    const f1 = run(1, 'failed', SCHEDULER, null)
    const r1 = retry(1.2, 'in-progress', f1, false)
    const g1 = run(1.1, 'failed', SCHEDULER, null, OTHER_FLOW)
    expect(judged([f1, r1, g1], [entry(g1, r1)]).decisions).toEqual([
      ['settled', f1.id, r1.id],
      ['retrigger', g1.id, g1.id]
    ])
  })

  it('an entry naming a run Adobe does not list, for a run whose window Adobe ties to a listed failure, is set aside', () => {
    const f1 = run(1, 'failed')
    const r1 = retry(1.2, 'in-progress', f1)
    const ghost = run(-5, 'failed')
    expect(judged([f1, r1], [entry(ghost, r1)])).toEqual({
      decisions: [['settled', f1.id, r1.id]],
      disputed: [[r1.id, ghost.id]]
    })
  })

  it('an entry about a run Adobe lists as made by someone else is set aside', () => {
    const f1 = run(1, 'failed', SCHEDULER, null)
    const f2 = run(2, 'failed', SCHEDULER, null)
    expect(judged([f1, f2], [entry(f1, f2)])).toEqual({
      decisions: [
        ['retrigger', f1.id, f1.id],
        ['retrigger', f2.id, f2.id]
      ],
      disputed: [[f2.id, f1.id]]
    })
  })

  it('two entries for one run: the first is used (as the save keeps it), the other named', () => {
    const f1 = run(1, 'failed', SCHEDULER, null)
    const f2 = run(2, 'failed', SCHEDULER, null)
    const r1 = retry(2.5, 'in-progress', f1, false)
    expect(judged([f1, f2, r1], [entry(f1, r1), entry(f2, r1)])).toEqual({
      decisions: [
        ['settled', f1.id, r1.id],
        ['retrigger', f2.id, f2.id]
      ],
      disputed: [[r1.id, f2.id]]
    })
  })

  it('an entry that agrees is used, and nothing is named', () => {
    const f1 = run(1, 'failed', SCHEDULER, null)
    const f2 = run(2, 'failed', SCHEDULER, null)
    const r2 = retry(3, 'in-progress', f2, false)
    expect(judged([f1, f2, r2], [entry(f2, r2)])).toEqual({
      decisions: [
        ['retrigger', f1.id, f1.id],
        ['settled', f2.id, r2.id]
      ],
      disputed: []
    })
  })
})

describe('clocks and missing times', () => {
  const MINUTE = 60_000
  const shifted = (r: RunInfo, ms: number): RunInfo => ({
    ...r,
    createdAt: r.createdAt! + ms,
    startedAt: r.startedAt! + ms
  })

  it.each([
    ['with windows', true],
    ['without windows', false]
  ])(
    'a failure dated 5 minutes after our running retry of it (%s) is settled, not retried again',
    (_, windows) => {
      const f1 = run(1, 'failed', SCHEDULER, windows ? 1 : null)
      const r1 = retry(1, 'in-progress', f1, windows)
      const ahead = shifted(f1, 5 * MINUTE)
      expect(summary([ahead, r1])).toEqual([['settled', ahead.id, r1.id]])
      expect(decideNamedRun(ahead, listed([ahead, r1]), 3).decision).toMatchObject({
        action: 'settled',
        retry: r1
      })
    }
  )

  it('the skew allowance never ties a retry to a later failure when one before it could be its', () => {
    const f1 = run(1, 'failed', SCHEDULER, null)
    const r1 = retry(1.9, 'in-progress', f1, false)
    const f2 = run(2, 'failed', SCHEDULER, null)
    expect(summary([f1, r1, f2])).toEqual([
      ['settled', f1.id, r1.id],
      ['retrigger', f2.id, f2.id]
    ])
  })

  it('our running retry listed without any date is dated as the newest, not as 1970', () => {
    const f1 = run(1, 'failed', SCHEDULER, null)
    const r1: RunInfo = { ...retry(1.5, 'in-progress', f1, false), createdAt: undefined }
    delete r1.startedAt
    expect(summary([f1, r1])).toEqual([['settled', f1.id, r1.id]])
  })

  it('a retry still running settles its window even when a later retry of it failed', () => {
    const f1 = run(1, 'failed')
    const r1 = retry(2, 'in-progress', f1)
    const ui = run(2.1, 'failed', 'exc_app', 1)
    expect(summary([f1, r1, ui])).toEqual([['settled', f1.id, r1.id]])
  })
})

describe('searchStart: where reconciliation looks for the run an ambiguous attempt made', () => {
  const T = 1_800_000_000_000
  const SKEW = 5 * 60_000
  const dated = (createdAt?: number, startedAt?: number): RunInfo => ({
    ...run(0, 'success'),
    createdAt,
    startedAt
  })
  it.each([
    ['no runs known, server clock 60 s ahead', T + 60_000, undefined, T - SKEW],
    ['no runs known, server clock 10 min behind', T - 600_000, undefined, T - 600_000 - SKEW],
    ['a known run dated 60 s ahead of the attempt', T, [dated(T + 60_000)], T - SKEW],
    ['a known run dated a year ahead', T, [dated(T + 365 * 24 * HOUR)], T - SKEW],
    ['the newest known run dated 10 min behind', T, [dated(T - 600_000)], T - 600_000 - SKEW],
    ['a known run dated only by its start', T, [dated(undefined, T - HOUR)], T - HOUR - SKEW],
    ['known runs undated or before 1970', T, [dated(), dated(-5e15)], T - SKEW]
  ])('%s', (_, server, known, expected) => {
    expect(searchStart(server, T, known)).toBe(expected)
  })
})
