import { newestChain } from './chain.js'
import type { FlowHistories } from './history.js'
import type { RunInfo } from './runs.js'

export type FlowSelection =
  | { flowId: string; run: RunInfo }
  | { flowId: string; run?: undefined; reason: string; healthy?: RunInfo }

/**
 * The run a sweep retries for a flow: its latest run not created by this action, if that failed
 * and started within the lookback (`since`, server clock). Our own runs after it are its retries:
 * the retry chain decides what to do with them (see chain.ts), so repeating the sweep never
 * re-triggers the same failure twice.
 */
export async function selectFromFlow(
  histories: FlowHistories,
  flowId: string,
  since: number,
  ourClient: string
): Promise<FlowSelection> {
  const { root, chain } = newestChain(await histories.runs(flowId, since), ourClient)
  if (!root)
    return {
      flowId,
      reason: chain.length
        ? 'only runs made by this action within the lookback'
        : 'no run within the lookback'
    }
  if (root.status !== 'failed')
    return {
      flowId,
      reason: `latest run ${root.id} is "${root.rawStatus}", not failed`,
      healthy: root.status === 'success' ? root : undefined
    }
  if ((root.startedAt ?? root.createdAt ?? 0) < since)
    return { flowId, reason: `latest run ${root.id} failed, but started before the lookback` }
  return { flowId, run: root }
}
