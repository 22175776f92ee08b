import * as core from '@actions/core'
import { AmbiguousOutcomeError, errorMessage } from './errors.js'
import type { FlowService, Retriggered } from './flow-service.js'
import { sleep } from './pacing.js'

export interface SafeRetriggerOptions {
  /** How long to look for a run an ambiguous attempt may have created before sending again. */
  settleMs: number
  /** New run ids this step already owns, so two reconciliations never adopt the same run. */
  claimed: Set<string>
  signal?: AbortSignal
}

export interface SafeRetriggered extends Retriggered {
  /** Set when the new run was found by listing, after an answer that did not say. */
  adopted?: string
}

// `Date` headers have one-second resolution and the run's createdAt is stamped by another
// server: look this far before the attempt so the new run cannot fall outside the window.
const WINDOW_MARGIN_MS = 10_000
const LOOKS = 3

/**
 * Re-triggers a run and never creates two new runs for it. When the answer leaves it open whether
 * Adobe acted (timeout, reset, 500/502/504, a 2xx without an id), the flow's runs created since
 * just before the attempt are listed: a new run there is adopted as the result; if none shows up
 * within `settleMs`, the attempt did not take effect and is sent once more.
 */
export async function retriggerSafely(
  flowService: FlowService,
  runId: string,
  flowId: string | undefined,
  opts: SafeRetriggerOptions
): Promise<SafeRetriggered> {
  for (let attempt = 1; ; attempt++) {
    const attemptedAt = Date.now()
    // In the server's clock, as of the latest `Date` header (reading the run below refreshes it).
    const windowStart = (): number => flowService.serverTime(attemptedAt) - WINDOW_MARGIN_MS
    let ambiguity: AmbiguousOutcomeError
    try {
      const result = await flowService.retrigger(runId)
      opts.claimed.add(result.id)
      return result
    } catch (err) {
      if (!(err instanceof AmbiguousOutcomeError)) throw err
      ambiguity = err
    }
    core.warning(
      `${ambiguity.message}. Checking whether Adobe created a new run before doing anything else.`
    )
    const manual = (why: string): Error =>
      new Error(
        `${ambiguity.message}; run ${runId} may or may not have been re-triggered (${why}). ` +
          `Check the runs of flow ${flowId ?? '(unknown: see run ' + runId + ')'} created after ` +
          `${new Date(windowStart()).toISOString()} in Adobe Experience Platform (Sources > Dataflows) ` +
          `before retrying, so the data is not ingested twice.`
      )

    try {
      flowId ??= (await flowService.getRun(runId)).flowId
    } catch (err) {
      throw manual(`its flow could not be read: ${errorMessage(err)}`)
    }
    if (!flowId) throw manual('Adobe did not say which flow it belongs to')

    const found = await lookForNewRun(flowService, flowId, runId, windowStart(), opts).catch(
      (err: unknown) => {
        throw manual(`listing the flow's runs failed: ${errorMessage(err)}`)
      }
    )
    if (found) {
      opts.claimed.add(found.id)
      const adopted = `run ${found.id} of flow ${flowId} appeared after the ambiguous attempt and was taken as the re-triggered run`
      core.warning(`Re-triggering run ${runId}: ${adopted}.`)
      return { ...found, adopted }
    }
    if (ambiguity.acted === 'yes')
      throw manual('Adobe accepted the request, but no new run is listed yet')
    if (attempt >= 2) throw manual('the second attempt was ambiguous too')
    core.warning(
      `Re-triggering run ${runId}: no new run of flow ${flowId} appeared within ${opts.settleMs}ms, so the attempt did not take effect; sending it once more.`
    )
  }
}

async function lookForNewRun(
  flowService: FlowService,
  flowId: string,
  runId: string,
  since: number,
  opts: SafeRetriggerOptions
): Promise<Retriggered | undefined> {
  for (let look = 1; look <= LOOKS; look++) {
    await sleep(opts.settleMs / LOOKS, opts.signal)
    const runs = await flowService.listRuns(flowId, since)
    // The oldest unclaimed run after the attempt is the one it created; later ones came from elsewhere.
    const candidate = runs.filter(r => r.id !== runId && !opts.claimed.has(r.id)).at(-1)
    if (candidate) return { id: candidate.id, etag: candidate.etag ?? '' }
  }
  return undefined
}
