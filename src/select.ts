import type { FlowService } from './flow-service.js'
import type { RunInfo } from './runs.js'

export type FlowSelection =
  { flowId: string; run: RunInfo } | { flowId: string; run?: undefined; reason: string }

/**
 * The run a sweep retries for a flow: its latest run, if that failed and started within the
 * lookback. Only ever the latest: once re-triggered, the latest run is the retry, so repeating
 * the sweep never re-triggers the same failure twice.
 */
export async function selectFromFlow(
  flowService: FlowService,
  flowId: string,
  lookbackMs: number
): Promise<FlowSelection> {
  const since = flowService.serverTime() - lookbackMs
  const [latest] = await flowService.listRuns(flowId, since)
  if (!latest) return { flowId, reason: 'no run within the lookback' }
  if (latest.status !== 'failed')
    return { flowId, reason: `latest run ${latest.id} is "${latest.rawStatus}", not failed` }
  if ((latest.startedAt ?? latest.createdAt ?? 0) < since) {
    return { flowId, reason: `latest run ${latest.id} failed, but started before the lookback` }
  }
  return { flowId, run: latest }
}
