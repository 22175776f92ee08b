import { decideWindows, type Decision } from '../decide/decide.js'
import { DISABLED_FLOW, nameFilter, unmatchedPatterns, type FlowInfo } from '../aep/flows.js'
import { handleWindow, scheduleOf, warnUnclear, type Shared } from './handle-run.js'
import * as log from '../text/log.js'
import type { WorkQueue } from './pool.js'
import type { RunResult } from './result.js'
import type { StepResults } from './step-results.js'
import type { RunInfo } from '../aep/runs.js'

// The listings start this much before `lookback` asks: the server's clock is learned from its
// answers, so the exact bound is applied here once they have come (a skew up to an hour is believed).
const CLOCK_MARGIN_MS = 3_600_000

/**
 * A sweep (`flow-id`, `flow-name`): every failed run of a source dataflow that started within
 * `lookback`, not only each flow's latest. The sandbox's source flows are listed page by page
 * while, side by side, its failed runs and the runs this credential made are listed
 * sandbox-wide (as Adobe's SDK reads them), and the retry ledger is restored where it has
 * something to say. Each failed window's chain decides (decide.ts); a flow's windows are handled
 * oldest first, one at a time, as soon as its page of flows has arrived, unless `max-runs` must
 * first see them all.
 */
export async function sweepFlows(
  shared: Shared,
  results: StepResults,
  queue: WorkQueue
): Promise<SweepFindings> {
  const findings: SweepFindings = { sweptFlows: [], skippedFlows: [] }
  const { inputs, flowService } = shared
  const listedSince = flowService.serverTime() - inputs.lookback - CLOCK_MARGIN_MS
  const named = new Set(inputs['flow-id'].ids)
  const namedRuns = new Set(inputs['run-id'])
  const handledByRunId = (d: Decision): boolean =>
    namedRuns.has(d.root.id) || d.retries.some(r => namedRuns.has(r.id))
  const disabled = new Set<string>()
  const matches = nameFilter(inputs['flow-name'])
  const wanted = (flow: FlowInfo): boolean =>
    (inputs['flow-id'].all || named.has(flow.id)) && matches(flow.name)

  const plan = planWindows(shared, listedSince)
  // Re-triggers wait for `max-runs` to be checked when it could be exceeded, and for every
  // `flow-name` pattern to be seen matching a flow: one that matches none is a refused
  // configuration, and nothing is sent for it.
  const namesToCheck = inputs['flow-name'].some(p => !p.startsWith('!'))
  let gate: 'closed' | 'open' | 'shut' = 'closed'
  const held: { flow: FlowInfo; decisions: Decision[] }[] = []
  const swept = new Set<string>()
  const take = (flow: FlowInfo, decisions: Decision[]): void => {
    if (gate === 'open') dispatch(flow, decisions, shared, results, queue)
    else held.push({ flow, decisions })
  }
  const open = (ok: boolean): void => {
    gate = ok ? 'open' : 'shut'
    for (const { flow, decisions } of held.splice(0))
      if (ok) dispatch(flow, decisions, shared, results, queue)
      else results.expect(decisions.map(d => resultFor(flow, d)))
  }

  try {
    void plan.then(
      p => {
        if (namesToCheck) return
        if (inputs['max-runs'] === 0 || retriggers(p.decisions) <= inputs['max-runs']) open(true)
      },
      () => undefined
    )
    const sources = new Set<string>()
    const names: (string | undefined)[] = []
    const flowsListed = await flowService.listSourceFlows(listedSince, page => {
      for (const flow of page) {
        sources.add(flow.id)
        names.push(flow.name)
        if (!wanted(flow)) continue
        named.delete(flow.id)
        swept.add(flow.id)
        findings.sweptFlows.push({ flowId: flow.id, flowName: flow.name })
        void plan.then(
          p => {
            // A window named in `run-id` (by its failure or by one of its retries, as an event
            // names it) is handled (and reported) there.
            const decisions = (p.byFlow.get(flow.id) ?? []).filter(d => !handledByRunId(d))
            if (decisions.length === 0) return
            if (!flow.enabled && decisions.some(d => d.action === 'retrigger')) {
              disabled.add(flow.id)
              findings.skippedFlows.push({
                flowId: flow.id,
                flowName: flow.name,
                reason: `disabled, with ${decisions.length} failed window(s) (runs ${decisions.map(d => d.root.id).join(', ')}). ${DISABLED_FLOW}`
              })
              return
            }
            take(flow, decisions)
          },
          () => undefined
        )
      }
    })
    const { decisions, byFlow, failures, unread } = await plan
    // Past a listing's bound the sweep acts on what it read and says what it did not: never
    // that the unread part holds no failure.
    for (const note of [unread, flowsListed.unread]) {
      if (!note) continue
      log.warning(note)
      findings.unread = [...(findings.unread ?? []), note]
    }
    for (const flowId of named)
      findings.skippedFlows.push({
        flowId,
        reason: 'no run within the lookback (or not a source dataflow)'
      })
    // Failures of flows that are not source dataflows (destinations, Adobe's internal flows).
    const elsewhere = failures.filter(r => r.flowId && !sources.has(r.flowId))
    const otherFlows = new Set(elsewhere.map(r => r.flowId)).size
    const seen = sources.size
    log.info(
      `Listed ${seen} source dataflow(s) with a run within the lookback and ${failures.length} failed run(s) in the sandbox; ${countWindows(byFlow, swept)} failed window(s) in ${[...byFlow.keys()].filter(id => swept.has(id)).length} flow(s) swept${inputs['flow-name'].length ? ' that match `flow-name`' : ''}`
    )
    const unmatched = await unknownNames(unmatchedPatterns(inputs['flow-name'], names), shared)
    if (unmatched.length > 0) {
      findings.error = `Invalid input: \`flow-name\` ${unmatched.map(p => `"${p}"`).join(', ')} ${unmatched.length === 1 ? 'matches' : 'match'} no source dataflow in sandbox \`${inputs.sandbox}\`: a sweep for ${unmatched.length === 1 ? 'it' : 'them'} would watch nothing, so nothing was re-triggered. Names are matched whole and case-insensitively, with \`*\` as wildcard (\`orders*\`); destination and internal flows are never swept.`
      open(false)
    }
    if (elsewhere.length && flowsListed.unread)
      log.warning(
        `Left alone ${elsewhere.length} failed run(s) of ${otherFlows} flow(s) not in what the source dataflow listing read: some may be source dataflows it did not reach, with failed windows not looked at`
      )
    else if (elsewhere.length)
      log.info(
        `Left alone ${elsewhere.length} failed run(s) of ${otherFlows} flow(s) that are not source dataflows (destinations, Adobe's internal flows): they are never re-triggered`
      )
    if (gate === 'closed') {
      const flowOf = (d: Decision): string => d.root.flowId ?? ''
      const count = retriggers(
        decisions.filter(
          d => swept.has(flowOf(d)) && !disabled.has(flowOf(d)) && !handledByRunId(d)
        )
      )
      findings.maxRunsExceeded = exceeded(count, shared)
      open(findings.maxRunsExceeded === undefined)
    }
  } catch (err) {
    open(false)
    throw err
  } finally {
    await queue.drain()
  }
  if (findings.maxRunsExceeded)
    findings.error = maxRunsMessage(findings.maxRunsExceeded, results.all, shared)
  return findings
}

/**
 * The `flow-name` patterns that match no source dataflow of the sandbox at all. Patterns the
 * sweep's listing left unmatched are checked against every source flow, however long ago it ran
 * (one more listing, only then): a flow that ran before `lookback` is not a typo.
 */
async function unknownNames(unmatched: string[], shared: Shared): Promise<string[]> {
  if (unmatched.length === 0) return []
  const all = await shared.flowService.listSourceFlows(undefined)
  // Not read to its end: a pattern matching none of what was read may match a flow not read.
  if (all.unread) {
    log.warning(
      `\`flow-name\` ${unmatched.map(p => `"${p}"`).join(', ')}: not checked against every source dataflow (${all.unread})`
    )
    return []
  }
  const unknown = unmatchedPatterns(
    unmatched,
    all.items.map(f => f.name)
  )
  for (const pattern of unmatched.filter(p => !unknown.includes(p)))
    log.info(
      `\`flow-name\` "${pattern}" matches source dataflow(s) with no run within \`lookback\`: nothing to sweep there`
    )
  return unknown
}

/** What a sweep saw beyond the runs it handled (those are in the step's results). */
export interface SweepFindings {
  /** Flows a sweep looked at (source flows with a run within the lookback, matching its filters). */
  sweptFlows: { flowId: string; flowName?: string }[]
  /** Flows it looked at and left alone, with why; `failed` when that is a failure of the step. */
  skippedFlows: { flowId: string; flowName?: string; reason: string; failed?: boolean }[]
  /** How many windows it would have re-triggered when that was more than `max-runs` (so none). */
  maxRunsExceeded?: number
  /** Why the step fails because of the sweep. */
  error?: string
  /** What listings past their bounds did not read: failed windows may be there. */
  unread?: string[]
}

interface WindowPlan {
  failures: RunInfo[]
  /** What the failed-run listing did not read (past its bound), if anything. */
  unread?: string
  decisions: Decision[]
  byFlow: Map<string, Decision[]>
}

/**
 * The sandbox's failed windows within `lookback` and what to do about each. The ledger is read
 * before deciding only for a flow with a failure and a run of ours: a sweep with no failure does
 * no cache work, and one with failures never retried restores it while its re-triggers run.
 */
async function planWindows(shared: Shared, since: number): Promise<WindowPlan> {
  const { flowService, inputs } = shared
  // Side by side; when either fails, the other is not needed: it stops at its next page.
  const sibling = new AbortController()
  const [{ items: failures, unread }, ours] = await Promise.all([
    flowService.listFailedRuns(since, sibling.signal),
    flowService.listRunsCreatedBy(inputs.apiKey, since, sibling.signal)
  ]).catch((err: unknown) => {
    sibling.abort()
    throw err
  })
  // The exact bound, now that the server's clock is known from its answers.
  const from = flowService.serverTime() - inputs.lookback
  if (!failures.some(r => !shared.owns(r) && (r.startedAt ?? r.createdAt ?? 0) >= from))
    return { failures, unread, decisions: [], byFlow: new Map() }
  // The ledger ties runs of ours to what they retried: a flow with no run of ours in view has
  // nothing for it to say, so only flows with one wait for it (see decide.ts).
  const flowsWithOurs = new Set(ours.map(r => r.flowId))
  if (failures.some(r => flowsWithOurs.has(r.flowId))) await shared.ledger.load()
  const runs = new Map<string, RunInfo>()
  for (const run of [...failures, ...ours]) runs.set(run.id, run)
  const { decisions, unclear, disputed } = decideWindows(
    {
      runs: [...runs.values()],
      ledger: shared.ledger.entries(),
      owns: shared.owns,
      lookbackMs: inputs.lookback
    },
    inputs['max-retries'],
    shared.needsFix,
    scheduleOf(shared)
  )
  warnUnclear(unclear)
  shared.ledger.dispute(disputed)
  const byFlow = new Map<string, Decision[]>()
  const inLookback = decisions.filter(d => (d.root.startedAt ?? d.root.createdAt ?? 0) >= from)
  for (const d of inLookback) {
    const flowId = d.root.flowId
    if (!flowId) continue
    const list = byFlow.get(flowId)
    if (list) list.push(d)
    else byFlow.set(flowId, [d])
  }
  // Each flow with a window gets its listed runs (for reconciliation), grouped in one pass.
  const runsOfFlow = new Map<string, RunInfo[]>()
  for (const run of runs.values()) {
    if (!run.flowId || !byFlow.has(run.flowId)) continue
    const list = runsOfFlow.get(run.flowId)
    if (list) list.push(run)
    else runsOfFlow.set(run.flowId, [run])
  }
  for (const [flowId, list] of runsOfFlow) shared.flowRuns.seed(flowId, list, since)
  // What this step re-triggers is saved with what earlier steps recorded: restore it meanwhile.
  if (!inputs['dry-run'] && inLookback.some(d => d.action === 'retrigger'))
    void shared.ledger.load()
  return { failures, unread, decisions: inLookback, byFlow }
}

const retriggers = (decisions: Decision[]): number =>
  decisions.filter(d => d.action === 'retrigger').length

function countWindows(byFlow: Map<string, Decision[]>, swept: Set<string>): number {
  let n = 0
  for (const [flowId, list] of byFlow) if (swept.has(flowId)) n += list.length
  return n
}

/** One result per failed window, in the report from the start: every window found is reported. */
function resultFor(flow: FlowInfo, d: Decision): RunResult {
  return {
    runId: d.root.id,
    source: 'flow-id',
    flowId: flow.id,
    flowName: flow.name,
    state: 'pending',
    previousStatus: d.root.rawStatus,
    previousErrors: d.root.errors.length ? d.root.errors : undefined,
    previousCauses: d.root.causes,
    window: d.root.window,
    startedAt: d.root.startedAt ?? d.root.createdAt,
    diagnostics: d.root.diagnostics
  }
}

/** A flow's windows, oldest first, one at a time: each sees the retries made before it. */
function dispatch(
  flow: FlowInfo,
  decisions: Decision[],
  shared: Shared,
  results: StepResults,
  queue: WorkQueue
): void {
  results.expect(decisions.map(d => resultFor(flow, d)))
  log.info(
    `Flow ${flow.id}${flow.name ? ` (${flow.name})` : ''}: ${decisions.length} failed window(s): runs ${decisions.map(d => d.root.id).join(', ')}`
  )
  queue.push(async () => {
    for (const d of decisions) {
      if (shared.signal.aborted) return
      results.record(d.root.id, await handleWindow(d, shared, flow.name))
    }
  })
}

/** `count` when a sweep that would re-trigger that many windows may not (`max-runs`). */
function exceeded(count: number, shared: Shared): number | undefined {
  const { 'max-runs': maxRuns, 'dry-run': dryRun } = shared.inputs
  if (maxRuns === 0 || count <= maxRuns) return undefined
  if (dryRun) {
    log.warning(
      `The sweep found ${count} failed runs to re-trigger, more than \`max-runs\` (${maxRuns}): a real run would re-trigger none of them.`
    )
    return undefined
  }
  return count
}

/** Why a sweep over `max-runs` re-triggered nothing: how many, and what they have in common. */
function maxRunsMessage(count: number, selected: RunResult[], shared: Shared): string {
  const counts = new Map<string, number>()
  for (const r of selected)
    for (const code of new Set((r.previousCauses ?? []).map(c => c.code)))
      counts.set(code, (counts.get(code) ?? 0) + 1)
  const top = [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([code, n]) => `${code} (${n} run${n === 1 ? '' : 's'})`)
  return `The sweep found ${count} failed runs, more than \`max-runs\` (${shared.inputs['max-runs']}), so it re-triggered none of them: failures on this scale usually have one cause that a retry will not fix (an expired source credential, a schema change).${top.length ? ` Most common error codes: ${top.join(', ')}.` : ''} Fix the cause, then raise \`max-runs\` or narrow the sweep (\`flow-name\`, \`lookback\`); \`dry-run: true\` lists them all.`
}
