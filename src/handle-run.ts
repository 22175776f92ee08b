import { decideNamedRun, type Decision, type NeedsFix } from './decide.js'
import { ApiError, CancelledError, errorMessage } from './errors.js'
import type { FlowService } from './flow-service.js'
import type { FlowRuns } from './flow-runs.js'
import type { Owns } from './identity.js'
import type { Inputs } from './inputs.js'
import type { LedgerSession } from './ledger-session.js'
import * as log from './log.js'
import type { KeyedLock } from './pool.js'
import { retriggerSafely } from './reconcile.js'
import type { RunResult } from './result.js'
import { precheck, windowLabel, type RunInfo } from './runs.js'

/** What every worker shares while handling runs. */
export interface Shared {
  flowService: FlowService
  inputs: Inputs
  owns: Owns
  /** Runs of the flows named runs belong to, listed once per flow. */
  flowRuns: FlowRuns
  ledger: LedgerSession
  /** `skip-errors`: which failures a retry will not fix. */
  needsFix: NeedsFix
  progress: { done: number; total: number }
  /** New run ids this step owns (see reconcile.ts). */
  claimed: Set<string>
  /** Runs this step re-triggered, with the run each created: none is ever sent twice in a step. */
  sent: Map<string, RunInfo>
  perFlow: KeyedLock
  signal: AbortSignal
}

/**
 * A run named in `run-id`: pre-check, then the decision for its window (decide.ts), then carry
 * it out. Never throws.
 */
export async function handleRun(result: RunResult, shared: Shared): Promise<void> {
  const { flowService, inputs } = shared
  try {
    const failed = inputs.checkStatus ? await flowService.getRun(result.runId) : undefined
    if (failed && !inputs.force && partlyIngested(failed))
      return partialIngestion(result, failed, shared)
    if (failed) checkRun(result, failed, inputs.force)
    // One decision and re-trigger per flow at a time: the second failure of a flow sees the
    // first one's retry, and reconciliation can tell whose new run is whose.
    await shared.perFlow.run(result.flowId ?? result.runId, async () => {
      if (!failed?.flowId || inputs.force) return carryOut(result, unread(result.runId), shared)
      // The ledger is restored alongside the listing, and waited for only when the flow has a
      // run of ours for it to tie to what it retried (decide.ts); the save at the end needs it too.
      const restoring = shared.ledger.load()
      const since = (failed.createdAt ?? flowService.serverTime()) - inputs.lookbackMs
      const runs = await shared.flowRuns.runs(failed.flowId, since)
      if (runs.some(shared.owns)) await restoring
      const { decision, unclear } = decideNamedRun(
        failed,
        { runs, ledger: shared.ledger.entries(), owns: shared.owns, lookbackMs: inputs.lookbackMs },
        inputs.maxRetries,
        shared.needsFix
      )
      warnUnclear(unclear)
      if (decision.root.id !== failed.id)
        log.info(
          `Run ${failed.id} is a retry this action made of run ${decision.root.id}; deciding for that run`
        )
      await carryOut(result, decision, shared)
    })
  } catch (err) {
    failWith(result, err, shared)
  }
}

/** A sweep's failed window, decided already: carry it out, one at a time per flow. Never throws. */
export async function handleWindow(
  result: RunResult,
  decision: Decision,
  shared: Shared
): Promise<void> {
  try {
    await shared.perFlow.run(result.flowId ?? result.runId, () =>
      carryOut(result, decision, shared)
    )
  } catch (err) {
    failWith(result, err, shared)
  }
}

/** A run not read (`check-status: false`) or forced: re-triggered as named, no chain consulted. */
function unread(runId: string): Decision {
  const run: RunInfo = { id: runId, status: 'unknown', rawStatus: '', errors: [], causes: [] }
  return { root: run, retries: [], action: 'retrigger', target: run }
}

/** Names the retries the timing rule could not place (decide.ts): the one case left to chance. */
export function warnUnclear(unclear: { run: RunInfo; candidates: RunInfo[] }[]): void {
  for (const { run, candidates } of unclear)
    log.warning(
      `Run ${run.id} of flow ${run.flowId ?? '?'} was made by this credential, but neither the retry ledger nor a copy-activity window says which failure it retried: ${candidates.map(c => c.id).join(', ')} could be. Each is treated as not yet retried. Run sweeps of one sandbox in one \`concurrency\` group, so the ledger sees every re-trigger.`
    )
}

async function carryOut(result: RunResult, decision: Decision, shared: Shared): Promise<void> {
  const { flowService, inputs, signal } = shared
  if (decision.retries.length > 0) result.earlierRetries = decision.retries.map(r => r.id)
  const failedRetries = decision.retries.filter(
    r => r.status === 'failed' || r.status === 'cancelled'
  )
  if (failedRetries.length > 0)
    result.retryErrors = failedRetries.map(r => ({
      runId: r.id,
      status: r.rawStatus,
      errors: r.errors
    }))
  result.diagnostics ??= decision.root.diagnostics
  if (decision.action === 'settled') return adopt(result, decision.retry, shared)
  if (decision.action === 'exhausted') return exhausted(result, decision, shared)
  if (decision.action === 'needs-fix') return needsFix(result, decision, shared)
  const target = decision.target
  // A window reached twice in one step (named in `run-id` and found by the sweep) is sent once.
  const already = shared.sent.get(target.id)
  if (already) return adopt(result, already, shared)
  const via = target.id !== result.runId ? target.id : undefined
  if (inputs.dryRun) {
    result.state = 'would-retrigger'
    result.retriggeredRunId = via
    return done(
      shared,
      `Would re-trigger run ${target.id}${result.flowId ? ` of flow ${result.flowId}` : ''}`
    )
  }
  const flowId = result.flowId
  const created = await retriggerSafely(flowService, target.id, flowId, {
    settleMs: inputs.settleMs,
    owns: shared.owns,
    known: flowId ? shared.flowRuns.known(flowId) : undefined,
    claimed: shared.claimed,
    signal
  }).catch((err: unknown) => {
    throw new WhileSending(err)
  })
  const made: RunInfo = {
    id: created.id,
    flowId,
    createdAt: flowService.serverTime(),
    createdClient: inputs.apiKey,
    etag: created.etag,
    window: decision.root.window,
    status: 'in-progress',
    rawStatus: 'inProgress',
    errors: [],
    causes: []
  }
  shared.sent.set(target.id, made)
  if (flowId) shared.flowRuns.add(flowId, made)
  // Recorded at once: a later decision in this step, and the next workflow run, see this retry.
  if (flowId)
    shared.ledger.record({
      sandbox: inputs.sandbox,
      flowId,
      retried: target.id,
      newRun: created.id,
      at: Date.now(),
      ...(decision.root.window ? { window: decision.root.window } : {})
    })
  Object.assign(result, {
    state: 'retriggered',
    newRunId: created.id,
    etag: created.etag,
    adopted: created.adopted,
    retriggeredRunId: via
  })
  done(
    shared,
    `Re-triggered run ${target.id}${via ? ` (retry ${(result.earlierRetries?.length ?? 0) + 1} of run ${result.runId})` : ''}: new run ${created.id}, etag ${created.etag || '(none)'}`
  )
}

/** What went wrong while the re-trigger itself was being sent: then Adobe may have acted. */
class WhileSending extends Error {
  constructor(readonly reason: unknown) {
    super(errorMessage(reason))
  }
}

function failWith(result: RunResult, thrown: unknown, shared: Shared): void {
  const posting = thrown instanceof WhileSending
  const err = posting ? thrown.reason : thrown
  if (err instanceof CancelledError || shared.signal.aborted) {
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

function adopt(result: RunResult, run: RunInfo, shared: Shared): void {
  Object.assign(result, {
    state: 'already-retriggered',
    newRunId: run.id,
    etag: run.etag ?? '',
    adoptedStatus: run.status
  })
  shared.claimed.add(run.id)
  const created = run.createdAt ? ` at ${new Date(run.createdAt).toISOString()}` : ''
  const by = shared.owns(run) ? 'by this credential' : `by ${run.createdClient ?? 'someone else'}`
  log.notice(
    `Run ${result.runId} was already re-triggered: run ${run.id}, created${created} ${by}, is "${run.rawStatus}". Nothing was sent; that run is reported as the new run. Set \`force: true\` to re-trigger anyway.`
  )
  done(shared)
}

/** Ingested, but some records failed: not a failed run, and a re-trigger would ingest the rest again. */
const partlyIngested = (run: RunInfo): boolean =>
  run.status === 'partial-success' || (run.status === 'success' && (run.recordsFailed ?? 0) > 0)

function partialIngestion(result: RunResult, run: RunInfo, shared: Shared): void {
  Object.assign(result, {
    state: 'partial-ingestion',
    flowId: run.flowId,
    previousStatus: run.rawStatus,
    previousErrors: run.errors.length ? run.errors : undefined,
    previousCauses: run.causes,
    window: run.window,
    startedAt: run.startedAt ?? run.createdAt,
    diagnostics: run.diagnostics,
    recordsIngested: run.recordsIngested,
    recordsFailed: run.recordsFailed
  })
  const where = run.diagnostics?.failedRecords
    ? ` The failed records: ${run.diagnostics.failedRecords}.`
    : ''
  log.warning(
    `Run ${run.id} of flow ${run.flowId ?? '?'} ended "${run.rawStatus}": ${run.recordsIngested ?? '?'} records ingested, ${run.recordsFailed ?? '?'} failed (partial ingestion). Not re-triggered: that would ingest the others again. Fix the failed records at the source and ingest them anew, or set \`force: true\`.${where}`
  )
  shared.progress.done++
}

function needsFix(
  result: RunResult,
  decision: Decision & { action: 'needs-fix' },
  shared: Shared
): void {
  result.state = 'needs-fix'
  result.skippedFor = decision.code
  const newest = decision.retries.at(-1) ?? decision.root
  result.error = `Flow ${result.flowId ?? '?'}: run ${newest.id}${windowText(decision.root)} failed with ${decision.code}, which \`skip-errors\` lists as an error a retry will not fix: not re-triggered. Fix the cause (the data, the mapping or the source), then retry the window by hand with \`run-id: ${result.runId}\` and \`force: true\`.`
  shared.progress.done++
  if (shared.progress.total > 1) log.error(result.error)
  else log.info(result.error)
}

function exhausted(result: RunResult, decision: Decision, shared: Shared): void {
  const { maxRetries } = shared.inputs
  const chain = decision.retries
  result.state = 'retries-exhausted'
  result.error = `Flow ${result.flowId ?? '?'}: run ${result.runId}${windowText(decision.root)} has been re-triggered ${chain.filter(shared.owns).length} time(s) by this action (runs ${chain.map(r => r.id).join(', ')}) and the latest retry ended "${chain.at(-1)!.rawStatus}"; \`max-retries\` is ${maxRetries}, so it is not re-triggered again. A retry will not fix this: look at the runs' errors; set \`force: true\` to re-trigger anyway.`
  shared.progress.done++
  // One run: the step's verdict is this message; several: each is an annotation of its own.
  if (shared.progress.total > 1) log.error(result.error)
  else log.info(result.error)
}

/** " (window …)" for a message, when anything is known of it. */
export function windowText(run: RunInfo): string {
  const label = windowLabel(run)
  return label ? ` (${run.window ? 'window ' : ''}${label})` : ''
}

function done(shared: Shared, line?: string): void {
  const { progress } = shared
  progress.done++
  if (line) log.info(`${line} [${progress.done}/${progress.total}]`)
}

/** Applies the pre-check to a run that was read; throws when it must not be re-triggered. */
function checkRun(result: RunResult, run: RunInfo, force: boolean): void {
  result.flowId = run.flowId
  result.previousStatus = run.rawStatus
  result.previousErrors = run.errors.length ? run.errors : undefined
  result.previousCauses = run.causes
  result.window = run.window
  result.startedAt = run.startedAt ?? run.createdAt
  result.diagnostics = run.diagnostics
  const decision = precheck(run, force)
  if (!decision.retrigger) throw new Error(`Not re-triggered: ${decision.reason}`)
  const why = run.errors.length ? `: ${run.errors.join('; ')}` : ''
  log.info(
    `Run ${run.id} of flow ${run.flowId ?? '?'} is "${run.rawStatus}"${decision.note ? ` (${decision.note})` : ''}${why}`
  )
}
