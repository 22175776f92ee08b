import { AmbiguousOutcomeError, errorMessage } from '../aep/errors.js'
import type { FlowService, Retriggered } from '../aep/flow-service.js'
import * as log from '../text/log.js'
import { isoTime } from '../text/time.js'
import { sleep } from '../aep/pacing.js'
import type { Owns } from '../decide/identity.js'
import { runTime, type RunInfo } from '../aep/runs.js'

export interface SafeRetriggerOptions {
  /** How long to look for a run an ambiguous attempt may have created before sending again. */
  settleMs: number
  /** Whether a run was created by this credential (identity.ts). */
  owns: Owns
  /**
   * The flow's runs as listed before the attempt, when they were: a new run is then one not in
   * this list, whatever any server's clock says. Without it, the window is the server's clock.
   */
  known?: RunInfo[]
  /** New run ids this step already owns, so two reconciliations never take the same run. */
  claimed: Set<string>
  signal?: AbortSignal
}

export interface SafeRetriggered extends Retriggered {
  /** True when the new run was found by listing, after an answer that did not say. */
  foundByListing: boolean
}

// Run timestamps come from another server than `Date` headers and the runner's clock, and any of
// them may be off: the search starts this much before the earliest of them.
const SKEW_ALLOWANCE_MS = 5 * 60_000
const LOOKS = 3

/**
 * Re-triggers a run and never creates two new runs for it. When the answer leaves it open whether
 * Adobe acted (timeout, reset, 500/502/504, a 2xx without a readable id), the flow's runs are
 * listed: a run of ours that was not there before the attempt is taken as the result; if none
 * shows up within `settleMs` and Adobe never said 2xx, the attempt did not take effect and is
 * sent once more. Runs created by anyone else (the scheduler, the UI) are never taken.
 */
export async function retriggerSafely(
  flowService: FlowService,
  runId: string,
  flowId: string | undefined,
  opts: SafeRetriggerOptions
): Promise<SafeRetriggered> {
  for (let attempt = 1; ; attempt++) {
    const attemptedAt = Date.now()
    let ambiguity: AmbiguousOutcomeError
    try {
      const result = await flowService.retrigger(runId)
      opts.claimed.add(result.id)
      return { ...result, foundByListing: false }
    } catch (err) {
      if (!(err instanceof AmbiguousOutcomeError)) throw err
      ambiguity = err
    }
    log.warning(
      `${ambiguity.message}. Checking whether Adobe created a new run before doing anything else.`
    )
    const since = searchStart(flowService.serverTime(attemptedAt), attemptedAt, opts.known)
    const manual = (why: string): Error =>
      new Error(
        `${ambiguity.message}; run ${runId} may or may not have been re-triggered (${why}). ` +
          `Check the runs of flow ${flowId ?? '(unknown: see run ' + runId + ')'} created after ` +
          `${isoTime(since) ?? 'the attempt'} in Adobe Experience Platform (Sources > Dataflows) ` +
          `before retrying, so the data is not ingested twice.`
      )

    try {
      flowId ??= (await flowService.getRun(runId)).flowId
    } catch (err) {
      throw manual(`its flow could not be read: ${errorMessage(err)}`)
    }
    if (!flowId) throw manual('Adobe did not say which flow it belongs to')

    const found = await lookForNewRun(flowService, flowId, since, opts).catch((err: unknown) => {
      throw manual(`listing the flow's runs failed: ${errorMessage(err)}`)
    })
    if (found) {
      opts.claimed.add(found.id)
      log.warning(
        `Re-triggering run ${runId}: run ${found.id} of flow ${flowId}, created by this credential after the ambiguous attempt, was taken as the re-triggered run.`
      )
      return { id: found.id, etag: found.etag ?? '', foundByListing: true }
    }
    if (ambiguity.acted === 'yes')
      throw manual('Adobe accepted the request, but no new run of ours is listed yet')
    if (attempt >= 2) throw manual('the second attempt was ambiguous too')
    log.warning(
      `Re-triggering run ${runId}: no new run of ours in flow ${flowId} appeared within ${opts.settleMs}ms, so the attempt did not take effect; sending it once more.`
    )
  }
}

/**
 * Where to start looking for the run an attempt created: never later than the attempt, whatever
 * any server's dates say. The earliest of the attempt by the runner's clock, by the server's
 * (`Date` headers), and the newest run listed before it (a run-stamping clock behind the others),
 * less a skew allowance. A run dated ahead (a skewed clock, a hostile answer) cannot move the start
 * past the new run. Starting early is safe with `known` (a new run is one not listed before the
 * attempt, by id, and not claimed by this step); without it, a run of ours made within the
 * allowance before the attempt could be taken for the new one: then nothing is sent again (never
 * a duplicate), and the warning names the run taken.
 */
export function searchStart(serverTime: number, attemptedAt: number, known?: RunInfo[]): number {
  let start = Math.min(attemptedAt, serverTime)
  let newestKnown: number | undefined
  for (const run of known ?? []) {
    const at = runTime(run)
    if (at !== undefined && at > 0 && (newestKnown === undefined || at > newestKnown))
      newestKnown = at
  }
  if (newestKnown !== undefined) start = Math.min(start, newestKnown)
  return Math.max(0, start - SKEW_ALLOWANCE_MS)
}

async function lookForNewRun(
  flowService: FlowService,
  flowId: string,
  since: number,
  opts: SafeRetriggerOptions
): Promise<RunInfo | undefined> {
  const before = new Set(opts.known?.map(r => r.id))
  const ignored = new Set<string>()
  for (let look = 1; look <= LOOKS; look++) {
    await sleep(opts.settleMs / LOOKS, opts.signal)
    const runs = await flowService.listRuns(flowId, since)
    const fresh = runs.filter(r => !before.has(r.id) && !opts.claimed.has(r.id))
    for (const other of fresh.filter(r => !opts.owns(r))) {
      if (ignored.has(other.id)) continue
      ignored.add(other.id)
      log.info(
        `Run ${other.id} of flow ${flowId} appeared meanwhile, created by ${other.createdClient ?? 'an unknown client'}, not by this credential: not taken as the re-triggered run.`
      )
    }
    // The oldest new run of ours is the one the attempt created.
    const candidate = fresh.filter(r => opts.owns(r)).at(-1)
    if (candidate) return candidate
  }
  return undefined
}
