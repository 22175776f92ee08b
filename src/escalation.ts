/**
 * What a person must look at, and what has recovered, by flow: the decision behind
 * `issue-on-failure`. Step-level problems (inputs, credentials, permissions) are not per flow and
 * are not here: they fail the step as always. GitHub is reached only in github-issues.ts.
 */
import type { Report } from './report.js'
import type { RunResult } from './result.js'

export interface Incident {
  flowId: string
  flowName?: string
  /** Why a person is needed, in one sentence. */
  headline: string
  result: RunResult
}

export interface Recovery {
  flowId: string
  flowName?: string
  /** The successful run that shows the flow recovered. */
  runId?: string
}

/** True when Adobe's refusal concerns the run itself, not the credential or the rate (401/403/429). */
const refusedForTheRun = (r: RunResult): boolean =>
  !!r.refusal &&
  r.refusal.status >= 400 &&
  r.refusal.status < 500 &&
  ![401, 403, 429].includes(r.refusal.status)

function headline(r: RunResult): string | undefined {
  if (r.state === 'retries-exhausted')
    return `its retries are exhausted (${r.earlierRetries?.length ?? 0} made, all failed)`
  if (r.finalStatus === 'failed' || r.finalStatus === 'cancelled')
    return `its re-triggered run ${r.newRunId} finished "${r.finalStatus}"`
  if (refusedForTheRun(r))
    return `Adobe refused to re-trigger run ${r.runId} (HTTP ${r.refusal!.status}${r.refusal!.code ? ` ${r.refusal!.code}` : ''})`
  return undefined
}

function recovered(r: RunResult): boolean {
  return (
    r.finalStatus === 'success' ||
    (r.state === 'already-retriggered' && r.adoptedStatus === 'success' && !r.finalStatus)
  )
}

/** The flows that need a person and the flows seen recovering, one entry per flow. */
export function escalations(report: Report): { incidents: Incident[]; recoveries: Recovery[] } {
  const incidents = new Map<string, Incident>()
  const recoveries = new Map<string, Recovery>()
  for (const r of report.results) {
    if (!r.flowId) continue
    const why = headline(r)
    if (why)
      incidents.set(r.flowId, { flowId: r.flowId, flowName: r.flowName, headline: why, result: r })
    else if (recovered(r))
      recoveries.set(r.flowId, { flowId: r.flowId, flowName: r.flowName, runId: r.newRunId })
  }
  for (const f of report.healthyFlows)
    if (!incidents.has(f.flowId) && !recoveries.has(f.flowId)) recoveries.set(f.flowId, f)
  for (const id of incidents.keys()) recoveries.delete(id)
  return { incidents: [...incidents.values()], recoveries: [...recoveries.values()] }
}
