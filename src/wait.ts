import * as core from '@actions/core'
import { formatDuration } from './duration.js'
import { ApiError, errorMessage } from './errors.js'
import type { FlowService } from './flow-service.js'
import { mapLimited } from './pool.js'
import type { RunResult } from './result.js'
import { CancelledError, sleep } from './retry.js'
import { isFinal, runDurationSeconds, type RunInfo } from './runs.js'

export interface WaitOptions {
  intervalMs: number
  timeoutMs: number
  concurrency: number
  signal?: AbortSignal
}

// A new run may not be readable at once: a 404 is tolerated for this long after the re-trigger.
const MIN_NOT_FOUND_GRACE_MS = 60_000

/**
 * Polls every new run until each is final or `timeoutMs` has passed. One loop for all runs, one
 * request per unfinished run per interval. Transient faults slow the polling down and never end
 * the wait before the deadline; a refusal that will not change (401 without a way to renew, 403,
 * 404 past the grace period) ends it for that run.
 */
export async function waitForRuns(
  flowService: FlowService,
  results: RunResult[],
  opts: WaitOptions
): Promise<void> {
  const started = Date.now()
  const deadline = started + opts.timeoutMs
  const notFoundGrace = Math.max(MIN_NOT_FOUND_GRACE_MS, 3 * opts.intervalMs)
  const unknownSeen = new Set<string>()
  const faults = new Map<RunResult, number>()
  let pending = results.filter(r => r.newRunId)
  let nextPoll = new Map<RunResult, number>(pending.map(r => [r, started]))

  try {
    while (pending.length > 0) {
      const due = pending.filter(r => (nextPoll.get(r) ?? 0) <= Date.now())
      await mapLimited(due, opts.concurrency, async result => {
        const run = await pollOnce(flowService, result, started, notFoundGrace, opts.signal)
        if (run === 'fault') {
          const count = (faults.get(result) ?? 0) + 1
          faults.set(result, count)
          // Back off on repeated faults, up to 8 intervals, never past the deadline.
          nextPoll.set(result, Date.now() + opts.intervalMs * Math.min(2 ** (count - 1), 8))
          return
        }
        faults.delete(result)
        nextPoll.set(result, Date.now() + opts.intervalMs)
        if (run === 'not-found-yet' || run === 'gave-up') return
        if (run.status === 'unknown' && !unknownSeen.has(run.rawStatus)) {
          unknownSeen.add(run.rawStatus)
          core.info(
            `Status "${run.rawStatus}" is not one this action knows; treating it as not finished.`
          )
        }
        if (isFinal(run.status)) record(result, run)
      })
      pending = pending.filter(r => !r.finalStatus && r.state !== 'error')
      const elapsed = formatDuration(Date.now() - started)
      if (results.length === 1 && pending.length === 1) {
        core.info(`Run ${pending[0].newRunId}: still running (${elapsed} elapsed)`)
      } else if (pending.length > 0 && due.length > 0) {
        core.info(
          `${results.filter(r => r.finalStatus).length}/${results.filter(r => r.newRunId).length} runs finished, ${pending.length} still running (${elapsed} elapsed)`
        )
      }
      if (pending.length === 0) break
      const now = Date.now()
      if (now >= deadline) break
      const wake = Math.min(deadline, ...pending.map(r => nextPoll.get(r) ?? now))
      await sleep(wake - now, opts.signal)
      if (Date.now() >= deadline) {
        // One last look at the deadline, so a run that just finished is not reported as a timeout.
        nextPoll = new Map(pending.map(r => [r, 0]))
        const last = pending
        await mapLimited(last, opts.concurrency, async result => {
          const run = await pollOnce(flowService, result, started, notFoundGrace, opts.signal)
          if (typeof run === 'object' && isFinal(run.status)) record(result, run)
        })
        pending = pending.filter(r => !r.finalStatus && r.state !== 'error')
        break
      }
    }
  } catch (err) {
    if (!(err instanceof CancelledError)) throw err
    core.warning('Cancelled while waiting for the new runs to finish.')
    return
  }
  for (const result of pending) {
    result.finalStatus = 'timeout'
    core.error(
      `Run ${result.newRunId} did not finish within \`wait-timeout\` (${formatDuration(opts.timeoutMs)}); it is still running at Adobe.`
    )
  }
}

type Poll = RunInfo | 'fault' | 'not-found-yet' | 'gave-up'

async function pollOnce(
  flowService: FlowService,
  result: RunResult,
  started: number,
  notFoundGrace: number,
  signal?: AbortSignal
): Promise<Poll> {
  const runId = result.newRunId!
  try {
    // One attempt per poll: the poll interval is the back-off.
    const run = await flowService.getRun(runId, { maxAttempts: 1, timeoutMs: 0 })
    core.debug(`Run ${runId}: ${run.rawStatus}`)
    return run
  } catch (err) {
    if (err instanceof CancelledError || signal?.aborted) throw new CancelledError()
    if (err instanceof ApiError && err.status === 404 && Date.now() - started < notFoundGrace) {
      core.info(`Run ${runId} is not readable yet (HTTP 404); polling on`)
      return 'not-found-yet'
    }
    if (
      err instanceof ApiError &&
      err.status >= 400 &&
      err.status < 500 &&
      err.status !== 429 &&
      err.status !== 408
    ) {
      result.state = 'error'
      result.error = `waiting for new run ${runId}: ${errorMessage(err)}`
      core.error(result.error)
      return 'gave-up'
    }
    core.warning(`Polling run ${runId}: ${errorMessage(err)}; polling on until \`wait-timeout\``)
    return 'fault'
  }
}

function record(result: RunResult, run: RunInfo): void {
  result.finalStatus = run.status as RunResult['finalStatus']
  result.durationSeconds = runDurationSeconds(run)
  result.recordsIngested = run.recordsIngested
  result.recordsFailed = run.recordsFailed
  result.newRunErrors = run.errors.length ? run.errors : undefined
  const records =
    run.recordsIngested === undefined ? '' : `, ${run.recordsIngested} records ingested`
  const took = result.durationSeconds === undefined ? '' : ` in ${result.durationSeconds}s`
  const line = `Run ${run.id} finished "${run.rawStatus}"${took}${records}`
  if (run.status === 'success') core.info(line)
  else if (run.status === 'partial-success')
    core.warning(`${line}; some records failed (${run.recordsFailed ?? '?'})`)
  else core.error(`${line}${run.errors.length ? `: ${run.errors.join('; ')}` : ''}`)
}
