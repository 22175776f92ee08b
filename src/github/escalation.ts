/**
 * What a person must look at, and what has recovered, by flow: the decision behind
 * `issue-on-failure`. Step-level problems (inputs, credentials, permissions) are not per flow and
 * are not here: they fail the step as always. GitHub is reached only in github-issues.ts.
 *
 * A flow has recovered when every failed window of it that the step saw is settled well (its
 * newest run succeeded), not when its latest run did: a window never retried is data never
 * ingested. A window still being retried leaves the flow's issue as it is.
 */
import type { RunResult } from '../step/result.js'

export interface Incident {
  flowId: string
  flowName?: string
  /** Why a person is needed, in one sentence. */
  headline: string
  result: RunResult
  /** The flow's windows not yet recovered (this one included), oldest first. */
  missing: RunResult[]
}

export interface Recovery {
  flowId: string
  flowName?: string
  /** The failed runs whose windows were seen recovered (an open issue may name others). */
  settled: string[]
  /** The runs that recovered them. */
  recoveredBy: string[]
}

/** True when Adobe's refusal concerns the run itself, not the credential or the rate (401/403/429). */
const refusedForTheRun = (r: RunResult): boolean =>
  !!r.refusal &&
  r.refusal.status >= 400 &&
  r.refusal.status < 500 &&
  ![401, 403, 429].includes(r.refusal.status)

function headline(r: RunResult): string | undefined {
  if (r.state === 'needs-fix')
    return `its run failed with ${r.skippedFor}, an error \`skip-errors\` lists as needing a fix, so it is not retried`
  if (r.state === 'retries-exhausted')
    return `its retries are exhausted (${r.earlierRetries?.length ?? 0} made, all failed)`
  if (r.finalStatus === 'failed' || r.finalStatus === 'cancelled')
    return `its re-triggered run ${r.newRunId} finished "${r.finalStatus}"`
  if (refusedForTheRun(r))
    return `Adobe refused to re-trigger run ${r.runId} (HTTP ${r.refusal!.status}${r.refusal!.code ? ` ${r.refusal!.code}` : ''})`
  return undefined
}

/** The window's data is in: its newest run succeeded. */
export function recovered(r: RunResult): boolean {
  return (
    r.finalStatus === 'success' ||
    (r.state === 'already-retriggered' && r.adoptedStatus === 'success' && !r.finalStatus)
  )
}

/** What escalation reads of the step: its results and the flows a sweep looked at. */
export interface Seen {
  results: RunResult[]
  sweptFlows: { flowId: string; flowName?: string }[]
}

/** What escalation has to do in GitHub, and what it reads there for the summary. */
export interface Escalations {
  incidents: Incident[]
  /** Flows with a failed window seen, every one of them recovered: their issue is closed. */
  recoveries: Recovery[]
  /**
   * Swept flows with no failed window within `lookback`: nothing to report of them, but an open
   * issue of theirs is settled (closed, or kept open naming the windows that left `lookback`).
   * Never named as work not done: they did not fail.
   */
  quiet: Recovery[]
  /** Flows with a failed window not (yet) recovered: their open issue is linked in the summary. */
  failing: string[]
}

/** Nothing to do in GitHub: no request is made. */
export const nothingToEscalate = (work: Escalations): boolean =>
  work.incidents.length + work.recoveries.length + work.quiet.length + work.failing.length === 0

/** The flows that need a person and the flows seen recovered, one entry per flow. */
export function escalations(report: Seen): Escalations {
  const byFlow = new Map<string, { flowName?: string; results: RunResult[] }>()
  for (const f of report.sweptFlows) byFlow.set(f.flowId, { flowName: f.flowName, results: [] })
  for (const r of report.results) {
    if (!r.flowId) continue
    const flow = byFlow.get(r.flowId) ?? { flowName: r.flowName, results: [] }
    flow.results.push(r)
    byFlow.set(r.flowId, flow)
  }
  const incidents: Incident[] = []
  const recoveries: Recovery[] = []
  const quiet: Recovery[] = []
  const failing: string[] = []
  for (const [flowId, { flowName, results }] of byFlow) {
    if (results.some(r => !recovered(r))) failing.push(flowId)
    const first = results.find(r => headline(r))
    if (first) {
      incidents.push({
        flowId,
        flowName,
        headline: headline(first)!,
        result: first,
        missing: results.filter(r => !recovered(r))
      })
    } else if (results.length === 0) quiet.push({ flowId, flowName, settled: [], recoveredBy: [] })
    // A flow is recovered only when it had a failed window, and every one it had recovered.
    else if (results.every(recovered))
      recoveries.push({
        flowId,
        flowName,
        settled: results.map(r => r.runId),
        recoveredBy: results.flatMap(r => (r.newRunId ? [r.newRunId] : []))
      })
  }
  return { incidents, recoveries, quiet, failing }
}
