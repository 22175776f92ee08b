/**
 * Every failed window, and what to do about it: the one decision behind "each failed run retried
 * exactly once". Pure: the runs that were listed, the retry ledger and the identity in, one
 * decision per failed window out. No I/O here; tested as tables (__tests__/unit/decide.test.ts).
 *
 * A failed window is a failed run this credential did not create (the scheduler's, the UI's),
 * together with every later run that retried it. Nothing on a run names the run it retried, so
 * each run of ours is tied to the one it retried by the best evidence there is, in this order:
 *   1. the retry ledger, which recorded every re-trigger this action made (ledger.ts), where it
 *      agrees with what Adobe lists: an entry is a claim (anyone who can run a workflow can write
 *      the cache), used only for a run of ours Adobe lists, in the flow the entry names, naming a
 *      run of that flow that is not newer and (where windows are known) processes the same
 *      window. An entry that disagrees is set aside and named in `disputed`;
 *   2. the copy-activity window: a retry processes the same window of source files as the run it
 *      retried, so the oldest earlier run of the flow with the same window is its parent;
 *   3. timing: the only failure of the flow, not ours, in the `lookback` before it. When several
 *      could be, the run is tied to none and named in `unclear`, and each of those failures is
 *      decided as if it had no retry yet: a window is never left unretried on a guess.
 *
 * Runs are dated one way (`runTime`, runs.ts), and Adobe's services stamp them with their own
 * clocks: a failure dated up to `CLOCK_SKEW_MS` after a run of ours can still be what it retried.
 */
import { glob } from '../inputs/glob.js'
import type { Owns } from './identity.js'
import { uniqueEntries, type Disputed, type LedgerEntry } from '../ledger/ledger.js'
import { oldestFirst, runOrder, runTime, sameWindow, type RunInfo } from '../aep/runs.js'
import { retryDelay } from '../inputs/retry-schedule.js'

/**
 * How far apart two of Adobe's timestamps may be for the same moment (runs are stamped by
 * different services): a retry may look this much older than the failure it retried.
 */
export const CLOCK_SKEW_MS = 15 * 60_000

export type Evidence = 'ledger' | 'window' | 'timing'

export interface Attribution {
  /** Of each run tied to an earlier one: that run's id and the evidence. */
  parent: Map<string, { id: string; via: Evidence }>
  /** Runs of ours the timing rule could not place, with the failures that could be theirs. */
  unclear: { run: RunInfo; candidates: RunInfo[] }[]
  /** Ledger entries about listed runs that were not used, because Adobe's listings disagree. */
  disputed: Disputed[]
}

export interface Listed {
  /** Runs read for the flows in question: every failure, every run of ours, any others. */
  runs: readonly RunInfo[]
  ledger: readonly LedgerEntry[]
  owns: Owns
  /** The timing rule's reach: how long before a retry the failure it retried may have started. */
  lookbackMs: number
}

/** A failed window: the failure and the runs that retried it since, oldest first. */
export interface FailedWindow {
  root: RunInfo
  retries: RunInfo[]
}

export type Decision = FailedWindow &
  (
    | { action: 'retrigger'; target: RunInfo }
    | { action: 'settled'; retry: RunInfo }
    | { action: 'exhausted' }
    /** The newest failure has an error a retry will not fix (`skip-errors`): the code. */
    | { action: 'needs-fix'; code: string }
    /** The next retry is due at `due` (epoch ms, the server's clock): `retry-backoff` spaces them. */
    | { action: 'waiting'; target: RunInfo; due: number }
  )

/** When retries may be sent: `retry-backoff` and the server's clock now. */
export interface Schedule {
  backoffMs: number
  now: number
}

/** Which error code, if any, says a retry will not fix a run (`skip-errors`). */
export type NeedsFix = (run: Pick<RunInfo, 'causes'>) => string | undefined

const failedOrCancelled = (run: RunInfo): boolean =>
  run.status === 'failed' || run.status === 'cancelled'
const byAge = oldestFirst
/** Where a window lies in time, for "oldest window first". */
const windowTime = (run: RunInfo): number => run.window?.start ?? run.startedAt ?? runOrder(run)

/**
 * Why a ledger entry about `run` (a listed run the entry says it created) disagrees with what
 * Adobe lists, or undefined when it agrees (see the module comment). Ids only in the answer.
 */
function disagreement(
  claim: LedgerEntry,
  run: RunInfo,
  byId: ReadonlyMap<string, RunInfo>,
  flowRuns: readonly RunInfo[],
  owns: Owns
): string | undefined {
  if (!owns(run)) return `Adobe lists run ${run.id} as made by another client`
  if (claim.retried === run.id) return 'an entry cannot name a run as its own retry'
  if (run.flowId && claim.flowId !== run.flowId)
    return `Adobe lists run ${run.id} in flow ${run.flowId}, not ${claim.flowId}`
  if (claim.window && run.window && !sameWindow(claim.window, run.window))
    return `Adobe reports another copy-activity window for run ${run.id}`
  const named = byId.get(claim.retried)
  if (named) {
    if (named.flowId !== run.flowId) return `Adobe lists run ${named.id} in another flow`
    if (named.window && run.window && !sameWindow(named.window, run.window))
      return `Adobe reports different copy-activity windows for runs ${named.id} and ${run.id}`
    if (runOrder(named) > runOrder(run) + CLOCK_SKEW_MS)
      return `Adobe dates run ${named.id} after run ${run.id}`
    return undefined
  }
  // The run it names is not listed (older than the listings began): believed, unless Adobe ties
  // the run to a listed one by its window.
  const other = run.window
    ? flowRuns.find(
        r =>
          r.id !== run.id &&
          !owns(r) &&
          sameWindow(r.window, run.window) &&
          runOrder(r) <= runOrder(run) + CLOCK_SKEW_MS
      )
    : undefined
  return other
    ? `run ${claim.retried} is not listed, while Adobe lists run ${other.id} with the same copy-activity window`
    : undefined
}

/** Ties each run to the run it retried, where the evidence allows (see the module comment). */
export function attribute({ runs, ledger, owns, lookbackMs }: Listed): Attribution {
  const parent: Attribution['parent'] = new Map()
  const unclear: Attribution['unclear'] = []
  const disputed: Disputed[] = []
  const byId = new Map(runs.map(r => [r.id, r]))
  // One entry per run, by the rule the save uses too (ledger.ts).
  const { entries, conflicting } = uniqueEntries(ledger)
  const claims = new Map(entries.map(e => [e.newRun, e]))
  for (const entry of conflicting)
    if (byId.has(entry.newRun))
      disputed.push({ entry, why: 'an earlier entry for that run names another run' })
  const rootOf = (id: string): string => rootId(id, { parent })
  // Runs are only ever tied within their flow: each flow's runs, oldest first.
  const byFlow = new Map<string | undefined, RunInfo[]>()
  for (const run of [...runs].sort(byAge)) {
    const flow = byFlow.get(run.flowId)
    if (flow) flow.push(run)
    else byFlow.set(run.flowId, [run])
  }
  for (const sorted of byFlow.values())
    for (const [i, run] of sorted.entries()) {
      const claim = claims.get(run.id)
      if (claim) {
        const why = disagreement(claim, run, byId, sorted, owns)
        if (!why) {
          parent.set(run.id, { id: claim.retried, via: 'ledger' })
          continue
        }
        disputed.push({ entry: claim, why })
      }
      // A run of someone else with a failure's window is a retry too (the UI's): the window stays
      // one. A run of ours may be dated before the failure it retried, within the clock skew.
      const sameData = run.window
        ? sorted.find(
            (r, j) =>
              r.id !== run.id &&
              sameWindow(r.window, run.window) &&
              (j < i || (owns(run) && !owns(r) && runOrder(r) <= runOrder(run) + CLOCK_SKEW_MS)) &&
              rootOf(r.id) !== run.id
          )
        : undefined
      if (sameData && (owns(run) || failedOrCancelled(sameData))) {
        parent.set(run.id, { id: sameData.id, via: 'window' })
        continue
      }
      if (!owns(run)) continue
      const at = runTime(run)
      const could = (r: RunInfo): boolean =>
        r.id !== run.id &&
        !owns(r) &&
        failedOrCancelled(r) &&
        !(r.window && run.window) &&
        (at === undefined || runOrder(r) >= at - lookbackMs) &&
        rootOf(r.id) !== run.id
      let candidates = sorted.filter(r => runOrder(r) < runOrder(run) && could(r))
      // None before it: a failure dated just after it, within the clock skew, is what it retried.
      if (candidates.length === 0 && at !== undefined)
        candidates = sorted.filter(
          r => runOrder(r) >= at && runOrder(r) <= at + CLOCK_SKEW_MS && could(r)
        )
      if (candidates.length === 1) parent.set(run.id, { id: candidates[0].id, via: 'timing' })
      else if (candidates.length > 1) unclear.push({ run, candidates })
    }
  return { parent, unclear, disputed }
}

/** The run at the start of `run`'s chain: the failure it (or the run it retried) retried. */
function rootId(runId: string, { parent }: Pick<Attribution, 'parent'>): string {
  let id = runId
  // Bounded: a ledger is data, and data can hold a loop.
  for (let step = 0; step < 1000; step++) {
    const up = parent.get(id)
    if (!up) break
    id = up.id
  }
  return id
}

/** What to do about one failed window, given its retries (the duplicate is prevented here). */
export function decideWindow(
  { root, retries }: FailedWindow,
  owns: Owns,
  maxRetries: number,
  needsFix: NeedsFix = () => undefined,
  schedule?: Schedule
): Decision {
  const newest = retries.at(-1)
  // The newest retry is running or finished well: it is the retry; send nothing.
  if (newest && !failedOrCancelled(newest))
    return { root, retries, action: 'settled', retry: newest }
  // A retry still running, whatever is dated after it, is processing the window: another one
  // would be a duplicate.
  const running = [...retries].reverse().find(r => r.status === 'in-progress')
  if (running) return { root, retries, action: 'settled', retry: running }
  // The newest failure says a retry will not fix it: a person first.
  const code = needsFix(newest ?? root)
  if (code) return { root, retries, action: 'needs-fix', code }
  // No retry yet: re-trigger the failure itself.
  if (!newest) return { root, retries, action: 'retrigger', target: root }
  // It failed: re-trigger it (it processes the same window) while the chain is short enough.
  const ours = retries.filter(owns).length
  if (maxRetries > 0 && ours >= maxRetries) return { root, retries, action: 'exhausted' }
  // Spaced out (retry-backoff): the next retry waits for its turn after the previous one ended.
  const due = nextRetryDue(newest, retries.length + 1, schedule)
  // No back-off, no wait: the server's clock is known to a second, and a retry's end could read ahead of it.
  if (schedule && schedule.backoffMs > 0 && due > schedule.now)
    return { root, retries, action: 'waiting', target: newest, due }
  return { root, retries, action: 'retrigger', target: newest }
}

/**
 * When the n-th retry of a window may be sent: `retryDelay` after the previous retry ended (its
 * completion as Adobe dates it; its start or creation when that is all there is).
 */
function nextRetryDue(previous: RunInfo, n: number, schedule: Schedule | undefined): number {
  const ended = previous.completedAt ?? previous.startedAt ?? previous.createdAt
  if (!schedule || ended === undefined) return 0
  return ended + retryDelay(n, schedule.backoffMs)
}

/** `skip-errors` patterns (`MAPPER-*`) as a NeedsFix: the first of a run's codes that matches. */
export function skipErrors(patterns: readonly string[]): NeedsFix {
  if (patterns.length === 0) return () => undefined
  const res = patterns.map(glob)
  return run => run.causes.map(c => c.code).find(code => res.some(re => re.test(code)))
}

/** The retries of each root among `runs`, oldest first. */
function chains(runs: readonly RunInfo[], attribution: Attribution): Map<string, RunInfo[]> {
  const byRoot = new Map<string, RunInfo[]>()
  for (const run of [...runs].sort(byAge)) {
    if (!attribution.parent.has(run.id)) continue
    const root = rootId(run.id, attribution)
    const chain = byRoot.get(root)
    if (chain) chain.push(run)
    else byRoot.set(root, [run])
  }
  return byRoot
}

/**
 * A sweep's decisions: one per failed window (a failed run of someone else's that retries no
 * earlier run), oldest window first. Failures of ours whose window began before the listings
 * (their root is not among `runs`) are not windows of this sweep: `lookback` bounds what it owns.
 */
export function decideWindows(
  listed: Listed,
  maxRetries: number,
  needsFix?: NeedsFix,
  schedule?: Schedule
): { decisions: Decision[]; unclear: Attribution['unclear']; disputed: Disputed[] } {
  const attribution = attribute(listed)
  const retries = chains(listed.runs, attribution)
  const decisions = listed.runs
    .filter(r => r.status === 'failed' && !listed.owns(r) && !attribution.parent.has(r.id))
    .sort((a, b) => windowTime(a) - windowTime(b) || byAge(a, b))
    .map(root =>
      decideWindow(
        { root, retries: retries.get(root.id) ?? [] },
        listed.owns,
        maxRetries,
        needsFix,
        schedule
      )
    )
  return { decisions, unclear: attribution.unclear, disputed: attribution.disputed }
}

/**
 * The decision for a run named in `run-id`. A run of ours stands for the failure it retried when
 * that is among `runs` (then the decision is that failure's); otherwise the run is its own window.
 */
export function decideNamedRun(
  run: RunInfo,
  listed: Listed,
  maxRetries: number,
  needsFix?: NeedsFix,
  schedule?: Schedule
): { decision: Decision; unclear: Attribution['unclear']; disputed: Disputed[] } {
  const runs = listed.runs.some(r => r.id === run.id) ? listed.runs : [...listed.runs, run]
  const attribution = attribute({ ...listed, runs })
  const top = rootId(run.id, attribution)
  const chain = chains(runs, attribution).get(top) ?? []
  const rootRun = runs.find(r => r.id === top)
  // A chain whose failure is out of view (the ledger knows it; the listing began later) starts
  // at its oldest run in view.
  const window: FailedWindow = rootRun
    ? { root: rootRun, retries: chain }
    : { root: chain[0] ?? run, retries: chain.slice(1) }
  return {
    decision: decideWindow(window, listed.owns, maxRetries, needsFix, schedule),
    unclear: attribution.unclear,
    disputed: attribution.disputed
  }
}
