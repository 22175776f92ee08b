import { chainOf, decide, newestChain, rootOf, type ChainDecision } from './chain.js'
import { ApiError, CancelledError, errorMessage } from './errors.js'
import type { FlowService } from './flow-service.js'
import type { FlowHistories } from './history.js'
import type { Inputs } from './inputs.js'
import * as log from './log.js'
import type { KeyedLock } from './pool.js'
import { retriggerSafely } from './reconcile.js'
import type { RunResult } from './result.js'
import { precheck, type RunInfo } from './runs.js'

/** What every worker shares while handling runs. */
export interface Shared {
  flowService: FlowService
  inputs: Inputs
  histories: FlowHistories
  /** Runs already read while selecting from flows: no need to read them again. */
  listed: Map<string, RunInfo>
  /** With `flow-id`: where the sweep's listings start (server clock). */
  sweepSince: number
  progress: { done: number; total: number }
  /** New run ids this step owns (see reconcile.ts). */
  claimed: Set<string>
  perFlow: KeyedLock
  signal: AbortSignal
}

/**
 * One requested run: pre-check, decide from its retry chain, then re-trigger (or, in a dry run,
 * say it would), adopt the retry already made, or stop at the retry limit. Never throws.
 */
export async function handleRun(result: RunResult, shared: Shared): Promise<void> {
  const { flowService, inputs, signal } = shared
  let posting = false
  try {
    const failed =
      shared.listed.get(result.runId) ??
      (inputs.checkStatus ? await flowService.getRun(result.runId) : undefined)
    if (failed) checkRun(result, failed, inputs.force)
    // One decision and re-trigger per flow at a time: the second failure of a flow sees the
    // first one's retry, and reconciliation can tell whose new run is whose.
    await shared.perFlow.run(result.flowId ?? result.runId, async () => {
      const history = failed?.flowId ? await historyFor(result, failed, shared) : undefined
      const decision: ChainDecision =
        failed && history && !inputs.force
          ? decideFromHistory(result, failed, history, shared)
          : { action: 'retrigger', target: { id: result.runId } }
      if (decision.action === 'adopt') return adopt(result, decision.run, shared)
      if (decision.action === 'exhausted') return exhausted(result, decision.chain, shared)
      if (inputs.dryRun) {
        result.state = 'would-retrigger'
        if (decision.target.id !== result.runId) result.retriggeredRunId = decision.target.id
        return done(
          shared,
          `Would re-trigger run ${decision.target.id}${result.flowId ? ` of flow ${result.flowId}` : ''}`
        )
      }
      posting = true
      const created = await retriggerSafely(flowService, decision.target.id, result.flowId, {
        settleMs: inputs.settleMs,
        ourClient: inputs.apiKey,
        known: history,
        claimed: shared.claimed,
        signal
      })
      posting = false
      if (result.flowId)
        shared.histories.add(result.flowId, {
          id: created.id,
          flowId: result.flowId,
          createdAt: flowService.serverTime(),
          createdClient: inputs.apiKey,
          status: 'in-progress',
          rawStatus: 'inProgress',
          errors: [],
          causes: []
        })
      Object.assign(result, {
        state: 'retriggered',
        newRunId: created.id,
        etag: created.etag,
        adopted: created.adopted,
        retriggeredRunId: decision.target.id !== result.runId ? decision.target.id : undefined
      })
      done(
        shared,
        `Re-triggered run ${decision.target.id}${decision.target.id !== result.runId ? ` (retry ${(result.earlierRetries?.length ?? 0) + 1} of run ${result.runId})` : ''}: new run ${created.id}, etag ${created.etag || '(none)'}`
      )
    })
  } catch (err) {
    if (err instanceof CancelledError || signal.aborted) {
      if (posting) {
        result.state = 'error'
        result.error = `cancelled while the re-trigger was in flight: run ${result.runId} may or may not have been re-triggered; check the runs of flow ${result.flowId ?? '(see the run)'} before retrying`
      }
      return
    }
    result.state = 'error'
    result.error = errorMessage(err)
    // Adobe refused the re-trigger of this run itself: a person has to look (escalation.ts).
    if (posting && err instanceof ApiError) result.refusal = { status: err.status, code: err.code }
    shared.progress.done++
    if (shared.progress.total > 1) log.error(`Run ${result.runId}: ${result.error}`)
  }
}

/** The flow's runs this decision reads: from `lookback` before the failure (sweeps: the sweep's window). */
function historyFor(result: RunResult, failed: RunInfo, shared: Shared): Promise<RunInfo[]> {
  const { flowService, inputs } = shared
  const since =
    result.source === 'flow-id'
      ? shared.sweepSince
      : (failed.createdAt ?? flowService.serverTime()) - inputs.lookbackMs
  return shared.histories.runs(failed.flowId!, since)
}

function decideFromHistory(
  result: RunResult,
  failed: RunInfo,
  history: RunInfo[],
  shared: Shared
): ChainDecision {
  const { apiKey: ours, lookbackMs, maxRetries } = shared.inputs
  let root = failed
  let chain: RunInfo[]
  if (result.source === 'flow-id') {
    // A sweep's run is the flow's latest not created by us; our runs after it are its retries.
    const newest = newestChain(history, ours)
    chain = newest.root?.id === failed.id ? newest.chain : []
  } else if (failed.createdClient === ours) {
    // The run given is one of our retries: decide for the failure it retried, if that is known.
    root = rootOf(history, failed, ours, lookbackMs) ?? failed
    chain = root === failed ? [] : chainOf(history, root, ours, lookbackMs)
  } else {
    chain = chainOf(history, failed, ours, lookbackMs)
  }
  if (chain.length > 0) result.earlierRetries = chain.map(r => r.id)
  if (root !== failed)
    log.info(
      `Run ${failed.id} is a retry this action made of run ${root.id}; deciding for that run`
    )
  return decide(root, chain, maxRetries)
}

function adopt(result: RunResult, run: RunInfo, shared: Shared): void {
  Object.assign(result, {
    state: 'already-retriggered',
    newRunId: run.id,
    etag: run.etag ?? '',
    adoptedStatus: run.status
  })
  shared.claimed.add(run.id)
  const created = run.createdAt ? ` at ${new Date(run.createdAt).toISOString()}` : ''
  log.notice(
    `Run ${result.runId} was already re-triggered: run ${run.id}, created${created} by this credential, is "${run.rawStatus}". Nothing was sent; that run is reported as the new run. Set \`force: true\` to re-trigger anyway.`
  )
  done(shared)
}

function exhausted(result: RunResult, chain: RunInfo[], shared: Shared): void {
  const { maxRetries } = shared.inputs
  result.state = 'retries-exhausted'
  result.error = `Flow ${result.flowId ?? '?'}: run ${result.runId} has been re-triggered ${chain.length} time(s) by this action (runs ${chain.map(r => r.id).join(', ')}) and the latest retry ended "${chain.at(-1)!.rawStatus}"; \`max-retries\` is ${maxRetries}, so it is not re-triggered again. A retry will not fix this: look at the runs' errors; set \`force: true\` to re-trigger anyway.`
  shared.progress.done++
  log.error(result.error)
}

function done(shared: Shared, line?: string): void {
  const { progress } = shared
  progress.done++
  if (line) log.info(`${line} [${progress.done}/${progress.total}]`)
}

/** Applies the pre-check to a run that was read or listed; throws when it must not be re-triggered. */
function checkRun(result: RunResult, run: RunInfo, force: boolean): void {
  result.flowId = run.flowId
  result.previousStatus = run.rawStatus
  result.previousErrors = run.errors.length ? run.errors : undefined
  result.previousCauses = run.causes
  const decision = precheck(run, force)
  if (!decision.retrigger) throw new Error(`Not re-triggered: ${decision.reason}`)
  const why = run.errors.length ? `: ${run.errors.join('; ')}` : ''
  log.info(
    `Run ${run.id} of flow ${run.flowId ?? '?'} is "${run.rawStatus}"${decision.note ? ` (${decision.note})` : ''}${why}`
  )
}
