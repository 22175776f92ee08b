import { decideNamedRun, type Decision, type NeedsFix, type Schedule } from '../decide/decide.js'
import { ApiError, CancelledError, errorMessage } from '../aep/errors.js'
import type { FlowService } from '../aep/flow-service.js'
import type { FlowRuns } from './flow-runs.js'
import type { Owns } from '../decide/identity.js'
import type { Inputs } from '../inputs/inputs.js'
import type { LedgerSession } from '../ledger/session.js'
import * as log from '../text/log.js'
import { isoTime } from '../text/time.js'
import { flowLabel } from '../text/names.js'
import type { KeyedLock } from './pool.js'
import { retriggerSafely } from './reconcile.js'
import type { Outcome, RunFacts } from './result.js'
import { precheck, runTime, windowLabel, type RunInfo } from '../aep/runs.js'
import { notASourceFlow } from '../aep/flows.js'

/** What every worker shares while handling runs: services and step-wide memory, no results. */
export interface Shared {
  flowService: FlowService
  inputs: Inputs
  owns: Owns
  /** Runs of the flows named runs belong to, listed once per flow. */
  flowRuns: FlowRuns
  ledger: LedgerSession
  /** `skip-errors`: which failures a retry will not fix. */
  needsFix: NeedsFix
  /** New run ids this step owns (see reconcile.ts). */
  claimed: Set<string>
  /** Runs this step re-triggered, with the run each created: none is ever sent twice in a step. */
  sent: Map<string, RunInfo>
  perFlow: KeyedLock
  signal: AbortSignal
}

/**
 * A run named in `run-id`: pre-check, then the decision for its window (decide.ts), then carry
 * it out. Never throws: what it came to is the outcome.
 */
export async function handleRun(runId: string, shared: Shared): Promise<Outcome> {
  const { flowService, inputs } = shared
  let facts: RunFacts = {}
  try {
    const failed = inputs['check-status'] ? await flowService.getRun(runId) : undefined
    if (failed) facts = factsOf(failed)
    // Only runs of source dataflows are re-triggered, `force` included: the run's flow is read
    // alongside its runs, and awaited before every outcome below (a refusal names the flow).
    const sourceFlow = failed ? checkSourceFlow(failed, flowService, facts) : Promise.resolve()
    sourceFlow.catch(() => undefined) // awaited below; never an unhandled rejection meanwhile
    if (failed && !inputs.force && partlyIngested(failed)) {
      await sourceFlow
      return partialIngestion(failed, facts)
    }
    if (failed) await checkRun(failed, inputs.force, sourceFlow)
    // One decision and re-trigger per flow at a time: the second failure of a flow sees the
    // first one's retry, and reconciliation can tell whose new run is whose.
    return await shared.perFlow.run(facts.flowId ?? runId, async () => {
      if (!failed?.flowId || inputs.force) {
        await sourceFlow
        return carryOut({ runId, facts }, unread(runId), shared)
      }
      // The ledger is restored alongside the listing, and waited for only when the flow has a
      // run of ours for it to tie to what it retried (decide.ts); the save at the end needs it too.
      const restoring = shared.ledger.load()
      const since = (runTime(failed) ?? flowService.serverTime()) - inputs.lookback
      const listing = shared.flowRuns.runs(failed.flowId, since)
      listing.catch(() => undefined) // awaited next, after the flow's verdict
      await sourceFlow
      const runs = await listing
      if (runs.some(shared.owns)) await restoring
      const { decision, unclear, disputed } = decideNamedRun(
        failed,
        { runs, ledger: shared.ledger.entries(), owns: shared.owns, lookbackMs: inputs.lookback },
        inputs['max-retries'],
        shared.needsFix,
        scheduleOf(shared)
      )
      warnUnclear(unclear)
      shared.ledger.dispute(disputed)
      if (decision.root.id !== failed.id)
        log.info(
          `Run ${failed.id} is a retry this action made of run ${decision.root.id}; deciding for that run`
        )
      return carryOut({ runId, facts }, decision, shared)
    })
  } catch (err) {
    return { ...facts, ...failure(runId, facts.flowId, err, shared.signal) }
  }
}

/** A sweep's failed window, decided already: carry it out, one at a time per flow. Never throws. */
export async function handleWindow(
  decision: Decision,
  shared: Shared,
  flowName?: string
): Promise<Outcome> {
  const runId = decision.root.id
  const flowId = decision.root.flowId
  try {
    return await shared.perFlow.run(flowId ?? runId, () =>
      carryOut({ runId, facts: { flowId, flowName } }, decision, shared)
    )
  } catch (err) {
    return failure(runId, flowId, err, shared.signal)
  }
}

/** When retries may be sent: `retry-backoff` on the clock that dates the runs. */
export function scheduleOf({ inputs, flowService }: Shared): Schedule {
  return { backoffMs: inputs['retry-backoff'], now: flowService.serverNow() }
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

/** The run being handled: its id as requested, and what is known of it so far. */
interface Handling {
  runId: string
  facts: RunFacts
}

async function carryOut(
  { runId, facts }: Handling,
  decision: Decision,
  shared: Shared
): Promise<Outcome> {
  const { flowService, inputs, signal } = shared
  const failedRetries = decision.retries.filter(
    r => r.status === 'failed' || r.status === 'cancelled'
  )
  // The window is named by its original failure, whichever of its runs woke the step.
  const windowRunId = decision.root.id
  const known = {
    ...facts,
    ...(windowRunId !== runId ? { windowRunId } : {}),
    diagnostics: facts.diagnostics ?? decision.root.diagnostics,
    ...(decision.retries.length > 0 ? { earlierRetries: decision.retries.map(r => r.id) } : {}),
    ...(failedRetries.length > 0
      ? {
          retryErrors: failedRetries.map(r => ({
            runId: r.id,
            status: r.rawStatus,
            errors: r.errors
          }))
        }
      : {})
  }
  if (decision.action === 'settled') return { ...known, ...adopt(runId, decision.retry, shared) }
  if (decision.action === 'exhausted')
    return { ...known, ...exhausted(windowRunId, facts, decision, shared) }
  if (decision.action === 'needs-fix')
    return { ...known, ...needsFix(windowRunId, facts, decision) }
  const target = decision.target
  const via = target.id !== windowRunId ? target.id : undefined
  if (decision.action === 'waiting')
    return { ...known, state: 'waiting', nextRetryAt: decision.due, retriggeredRunId: via }
  // A window reached twice in one step (named in `run-id` and found by the sweep) is sent once.
  const already = shared.sent.get(target.id)
  if (already) return { ...known, ...adopt(windowRunId, already, shared) }
  if (inputs['dry-run']) return { ...known, state: 'would-retrigger', retriggeredRunId: via }
  const flowId = facts.flowId
  const created = await retriggerSafely(flowService, target.id, flowId, {
    settleMs: inputs['settle-time'],
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
  return {
    ...known,
    state: 'retriggered',
    newRunId: created.id,
    etag: created.etag,
    foundByListing: created.foundByListing,
    retriggeredRunId: via
  }
}

/** What went wrong while the re-trigger itself was being sent: then Adobe may have acted. */
class WhileSending extends Error {
  constructor(readonly reason: unknown) {
    super(errorMessage(reason))
  }
}

/** What a thrown error comes to: cancelled before sending is not done; anything else an error. */
function failure(
  runId: string,
  flowId: string | undefined,
  thrown: unknown,
  signal: AbortSignal
): Outcome {
  const posting = thrown instanceof WhileSending
  const err = posting ? thrown.reason : thrown
  if (err instanceof CancelledError || signal.aborted) {
    if (!posting) return { state: 'pending' }
    return {
      state: 'error',
      error: `cancelled while the re-trigger was in flight: run ${runId} may or may not have been re-triggered; check the runs of flow ${flowId ?? '(see the run)'} before retrying`
    }
  }
  return {
    state: 'error',
    error: errorMessage(err),
    // Adobe refused the re-trigger of this run itself: a person has to look (escalation.ts).
    ...(posting && err instanceof ApiError
      ? { refusal: { status: err.status, code: err.code } }
      : {})
  }
}

function adopt(runId: string, run: RunInfo, shared: Shared): Outcome {
  shared.claimed.add(run.id)
  const at = isoTime(run.createdAt)
  const created = at ? ` at ${at}` : ''
  const by = shared.owns(run) ? 'by this credential' : `by ${run.createdClient ?? 'someone else'}`
  // A retry that succeeded is a recovered window, shown once in the summary: no annotation for it.
  const say = run.status === 'success' ? log.info : log.notice
  say(
    `Run ${runId} was already re-triggered: run ${run.id}, created${created} ${by}, is "${run.rawStatus}". Nothing was sent; that run is reported as the new run. Set \`force: true\` to re-trigger anyway.`
  )
  return {
    state: 'already-retriggered',
    newRunId: run.id,
    etag: run.etag ?? '',
    adoptedStatus: run.status
  }
}

/** Ingested, but some records failed: not a failed run, and a re-trigger would ingest the rest again. */
const partlyIngested = (run: RunInfo): boolean =>
  run.status === 'partial-success' || (run.status === 'success' && (run.recordsFailed ?? 0) > 0)

function partialIngestion(run: RunInfo, facts: RunFacts): Outcome {
  const where = run.diagnostics?.failedRecords
    ? ` The failed records: ${run.diagnostics.failedRecords}.`
    : ''
  log.warning(
    `Run ${run.id} of flow ${run.flowId ?? '?'} ended "${run.rawStatus}": ${run.recordsIngested ?? '?'} records ingested, ${run.recordsFailed ?? '?'} failed (partial ingestion). Not re-triggered: that would ingest the others again. Fix the failed records at the source and ingest them anew, or set \`force: true\`.${where}`
  )
  return {
    ...facts,
    state: 'partial-ingestion',
    recordsIngested: run.recordsIngested,
    recordsFailed: run.recordsFailed
  }
}

function needsFix(
  runId: string,
  facts: RunFacts,
  decision: Decision & { action: 'needs-fix' }
): Outcome {
  const newest = decision.retries.at(-1) ?? decision.root
  return {
    state: 'needs-fix',
    skippedFor: decision.code,
    error: `Flow ${flowLabel(facts.flowId, facts.flowName)}: run ${newest.id}${windowText(decision.root)} failed with ${decision.code}, which \`skip-errors\` lists as an error a retry will not fix: not re-triggered. Fix the cause (the data, the mapping or the source), then retry the window by hand with \`run-id: ${runId}\` and \`force: true\`.`
  }
}

function exhausted(runId: string, facts: RunFacts, decision: Decision, shared: Shared): Outcome {
  const chain = decision.retries
  return {
    state: 'retries-exhausted',
    error: `Flow ${flowLabel(facts.flowId, facts.flowName)}: run ${runId}${windowText(decision.root)} has been re-triggered ${chain.filter(shared.owns).length} time(s) by this action (runs ${chain.map(r => r.id).join(', ')}) and the latest retry ended "${chain.at(-1)!.rawStatus}"; \`max-retries\` is ${shared.inputs['max-retries']}, so it is not re-triggered again: a person has to look at the runs' errors; set \`force: true\` to re-trigger anyway.`
  }
}

/** " (window …)" for a message, when anything is known of it. */
export function windowText(run: RunInfo): string {
  const label = windowLabel(run)
  return label ? ` (${run.window ? 'window ' : ''}${label})` : ''
}

/** What the pre-check read says of the failed run, for its row. */
export function factsOf(run: RunInfo): RunFacts {
  return {
    flowId: run.flowId,
    previousStatus: run.rawStatus,
    previousErrors: run.errors.length ? run.errors : undefined,
    previousCauses: run.causes,
    window: run.window,
    startedAt: run.startedAt ?? run.createdAt,
    diagnostics: run.diagnostics
  }
}

/**
 * Resolves when the named run belongs to a source dataflow, as a sweep only ever looks at those;
 * rejects naming the flow and its kind otherwise (see `notASourceFlow`). Notes the flow's name.
 */
async function checkSourceFlow(
  run: RunInfo,
  flowService: FlowService,
  facts: RunFacts
): Promise<void> {
  if (!run.flowId)
    throw new Error(
      `Not re-triggered: Adobe's answer for run ${run.id} names no flow, so it cannot be checked to be a run of a source dataflow. Set \`check-status: false\` to send it unchecked.`
    )
  const flow = await flowService.getFlow(run.flowId)
  facts.flowName = flow.name
  if (flow.kind !== 'source') throw new Error(notASourceFlow(run.id, flow))
}

/**
 * Applies the pre-check to a run that was read; throws when it must not be re-triggered, once
 * its flow's verdict is in (a run of a destination is refused as that first).
 */
async function checkRun(run: RunInfo, force: boolean, sourceFlow: Promise<void>): Promise<void> {
  const decision = precheck(run, force)
  if (!decision.retrigger) {
    await sourceFlow
    throw new Error(`Not re-triggered: ${decision.reason}`)
  }
  const why = run.errors.length ? `: ${run.errors.join('; ')}` : ''
  log.info(
    `Run ${run.id} of flow ${run.flowId ?? '?'} is "${run.rawStatus}"${decision.note ? ` (${decision.note})` : ''}${why}`
  )
}
