/**
 * Which of our runs retried which failure, and what to do about a failure given its retries.
 * Pure functions over one listing of a flow's runs; "ours" means created by the credential in
 * effect (`createdClient` equals the `x-api-key` sent). No field links a retry to the run it
 * retried, so attribution is careful: when it cannot be sure, it attributes nothing, and the
 * failure is re-triggered as if never retried (never left unretried).
 */
import type { RunInfo } from './runs.js'

const isFailedOrCancelled = (run: RunInfo): boolean =>
  run.status === 'failed' || run.status === 'cancelled'
const byAge = (a: RunInfo, b: RunInfo): number => (a.createdAt ?? 0) - (b.createdAt ?? 0)

/**
 * The retries of `failed` (a run we did not create), oldest first: every run X of ours for which
 * `failed` is the only failed or cancelled run, not ours, created in the `lookbackMs` before X.
 * When several failures share that window, their retries cannot be told apart and X is nobody's.
 */
export function chainOf(
  history: RunInfo[],
  failed: RunInfo,
  ourClient: string,
  lookbackMs: number
): RunInfo[] {
  const foreignFailures = history.filter(
    r => r.createdClient !== ourClient && isFailedOrCancelled(r) && r.createdAt !== undefined
  )
  return history
    .filter(x => x.createdClient === ourClient && x.id !== failed.id && x.createdAt !== undefined)
    .filter(x => {
      const inWindow = foreignFailures.filter(
        o => o.createdAt! < x.createdAt! && o.createdAt! >= x.createdAt! - lookbackMs
      )
      return inWindow.length === 1 && inWindow[0].id === failed.id
    })
    .sort(byAge)
}

/**
 * For a sweep, whose run is the flow's latest: the runs of ours at the newest end of the flow's
 * history (oldest first), and the run before them that we did not create.
 */
export function newestChain(
  history: RunInfo[],
  ourClient: string
): { root?: RunInfo; chain: RunInfo[] } {
  const newestFirst = [...history].sort((a, b) => byAge(b, a))
  const end = newestFirst.findIndex(r => r.createdClient !== ourClient)
  const chain = (end < 0 ? newestFirst : newestFirst.slice(0, end)).reverse()
  return { root: end < 0 ? undefined : newestFirst[end], chain }
}

/** Of a run we created, the failure it retried, if that can be told (see chainOf). */
export function rootOf(
  history: RunInfo[],
  ours: RunInfo,
  ourClient: string,
  lookbackMs: number
): RunInfo | undefined {
  if (ours.createdAt === undefined) return undefined
  const inWindow = history.filter(
    o =>
      o.createdClient !== ourClient &&
      isFailedOrCancelled(o) &&
      o.createdAt !== undefined &&
      o.createdAt < ours.createdAt! &&
      o.createdAt >= ours.createdAt! - lookbackMs
  )
  return inWindow.length === 1 ? inWindow[0] : undefined
}

export type ChainDecision =
  | { action: 'retrigger'; target: Pick<RunInfo, 'id'> }
  | { action: 'adopt'; run: RunInfo }
  | { action: 'exhausted'; chain: RunInfo[] }

/**
 * What to do about a failure, given its chain of retries. This is where a duplicate is prevented:
 * - no retry yet: re-trigger the failure;
 * - the newest retry is running, or finished well: it is the retry, send nothing and adopt it;
 * - the newest retry failed or was cancelled: re-trigger it (it processes the same window) while
 *   the chain is shorter than `maxRetries` (0: no limit); otherwise stop, a person is needed.
 */
export function decide(failed: RunInfo, chain: RunInfo[], maxRetries: number): ChainDecision {
  const newest = chain.at(-1)
  if (!newest) return { action: 'retrigger', target: failed }
  if (!isFailedOrCancelled(newest)) return { action: 'adopt', run: newest }
  if (maxRetries > 0 && chain.length >= maxRetries) return { action: 'exhausted', chain }
  return { action: 'retrigger', target: newest }
}
