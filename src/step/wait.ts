import * as log from '../text/log.js'
import { formatDuration } from '../inputs/duration.js'
import { ApiError, CancelledError, errorMessage } from '../aep/errors.js'
import type { FlowService } from '../aep/flow-service.js'
import { mapLimited } from './pool.js'
import type { Waited } from './result.js'
import { sleep } from '../aep/pacing.js'
import { isFinal, runDurationSeconds, type RunInfo } from '../aep/runs.js'

export interface WaitOptions {
  intervalMs: number
  timeoutMs: number
  concurrency: number
  /** `fail-on-run-failure`: false makes a failed new run a warning, not an error. */
  failOnRunFailure: boolean
  signal?: AbortSignal
}

// A new run may not be readable at once: a 404 is tolerated for this long after the re-trigger.
const MIN_NOT_FOUND_GRACE_MS = 60_000

/**
 * Polls every new run until each is final or `timeoutMs` has passed, and answers what became of
 * each (by new run id; a run cancelled while waiting has no answer). One loop for all runs, one
 * request per unfinished run per interval. Transient faults slow the polling down and never end
 * the wait before the deadline; a refusal that will not change (401 without a way to renew, 403,
 * 404 past the grace period) ends it for that run.
 */
export async function waitForRuns(
  flowService: FlowService,
  newRunIds: string[],
  opts: WaitOptions
): Promise<Map<string, Waited>> {
  const started = Date.now()
  const deadline = started + opts.timeoutMs
  const notFoundGrace = Math.max(MIN_NOT_FOUND_GRACE_MS, 3 * opts.intervalMs)
  const unknownSeen = new Set<string>()
  const faults = new Map<string, number>()
  const nextPoll = new Map<string, number>()
  const waited = new Map<string, Waited>()
  const total = newRunIds.length
  let pending = [...newRunIds]
  // One run: the step's verdict says what became of it, so the log line is not an annotation too.
  const problem =
    total > 1 ? (opts.failOnRunFailure ? log.error : log.warning) : (text: string) => log.info(text)

  const poll = async (runId: string): Promise<void> => {
    const run = await pollOnce(flowService, runId, started, notFoundGrace, opts.signal)
    if (run === 'fault') {
      // Back off on repeated faults, up to 8 intervals; the deadline still bounds the wait.
      const count = (faults.get(runId) ?? 0) + 1
      faults.set(runId, count)
      nextPoll.set(runId, Date.now() + opts.intervalMs * Math.min(2 ** (count - 1), 8))
      return
    }
    faults.delete(runId)
    nextPoll.set(runId, Date.now() + opts.intervalMs)
    if (run === 'not-found-yet') return
    if ('gaveUp' in run) {
      waited.set(runId, { error: run.gaveUp })
      return
    }
    if (run.status === 'unknown' && !unknownSeen.has(run.rawStatus)) {
      unknownSeen.add(run.rawStatus)
      log.info(
        `Status "${run.rawStatus}" is not one this action knows; treating it as not finished.`
      )
    }
    if (isFinal(run.status)) waited.set(runId, finished(run, problem))
  }

  try {
    for (;;) {
      const atDeadline = Date.now() >= deadline
      // At the deadline every run gets one last look, so one that just finished is not a timeout.
      const due = atDeadline ? pending : pending.filter(r => (nextPoll.get(r) ?? 0) <= Date.now())
      await mapLimited(due, opts.concurrency, poll)
      pending = pending.filter(id => !waited.has(id))
      if (pending.length === 0 || atDeadline) break
      const elapsed = formatDuration(Date.now() - started)
      if (total === 1) log.info(`Run ${pending[0]}: still running (${elapsed} elapsed)`)
      else if (due.length > 0)
        log.info(
          `${total - pending.length}/${total} runs finished, ${pending.length} still running (${elapsed} elapsed)`
        )
      const wake = Math.min(deadline, ...pending.map(r => nextPoll.get(r) ?? 0))
      await sleep(wake - Date.now(), opts.signal)
    }
  } catch (err) {
    if (!(err instanceof CancelledError)) throw err
    log.warning('Cancelled while waiting for the new runs to finish.')
    return waited
  }
  for (const runId of pending) {
    waited.set(runId, { finalStatus: 'timeout' })
    problem(
      `Run ${runId} did not finish within \`wait-timeout\` (${formatDuration(opts.timeoutMs)}); it is still running at Adobe.`
    )
  }
  return waited
}

/** One look at a run: its state, a fault to poll through, or a refusal that ends its wait. */
type Poll = RunInfo | 'fault' | 'not-found-yet' | { gaveUp: string }

async function pollOnce(
  flowService: FlowService,
  runId: string,
  started: number,
  notFoundGrace: number,
  signal?: AbortSignal
): Promise<Poll> {
  try {
    // One attempt per poll: the poll interval is the back-off.
    const run = await flowService.getRun(runId, { maxAttempts: 1, timeoutMs: 0 })
    log.debug(`Run ${runId}: ${run.rawStatus}`)
    return run
  } catch (err) {
    if (err instanceof CancelledError || signal?.aborted) throw new CancelledError()
    if (err instanceof ApiError && err.status === 404 && Date.now() - started < notFoundGrace) {
      log.info(`Run ${runId} is not readable yet (HTTP 404); polling on`)
      return 'not-found-yet'
    }
    if (
      err instanceof ApiError &&
      err.status >= 400 &&
      err.status < 500 &&
      err.status !== 429 &&
      err.status !== 408
    ) {
      const gaveUp = `waiting for new run ${runId}: ${errorMessage(err)}`
      log.error(gaveUp)
      return { gaveUp }
    }
    log.warning(`Polling run ${runId}: ${errorMessage(err)}; polling on until \`wait-timeout\``)
    return 'fault'
  }
}

function finished(run: RunInfo, problem: (text: string) => void): Waited {
  const durationSeconds = runDurationSeconds(run)
  const records =
    run.recordsIngested === undefined ? '' : `, ${run.recordsIngested} records ingested`
  const took = durationSeconds === undefined ? '' : ` in ${durationSeconds}s`
  const line = `Run ${run.id} finished "${run.rawStatus}"${took}${records}`
  if (run.status === 'success') log.info(line)
  else if (run.status === 'partial-success')
    log.warning(`${line}; some records failed (${run.recordsFailed ?? '?'})`)
  else problem(`${line}${run.errors.length ? `: ${run.errors.join('; ')}` : ''}`)
  return {
    finalStatus: run.status,
    durationSeconds,
    recordsIngested: run.recordsIngested,
    recordsFailed: run.recordsFailed,
    newRunErrors: run.errors.length ? run.errors : undefined
  }
}
