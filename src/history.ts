import type { FlowService } from './flow-service.js'
import type { RunInfo } from './runs.js'

/**
 * Each flow's runs, listed once per step (every page) and kept current with the runs this step
 * creates. Callers hold the flow's lock (see KeyedLock in pool.ts) while they read it, decide and
 * re-trigger, so a second failure of the same flow sees the first one's retry.
 */
export class FlowHistories {
  private readonly flows = new Map<string, { since: number; runs: RunInfo[] }>()

  constructor(private readonly flowService: FlowService) {}

  /** The flow's runs created after `since` (server clock) or earlier, newest first. */
  async runs(flowId: string, since: number): Promise<RunInfo[]> {
    const cached = this.flows.get(flowId)
    if (cached && cached.since <= since) return cached.runs
    const runs = await this.flowService.listRuns(flowId, since)
    this.flows.set(flowId, { since, runs })
    return runs
  }

  /** Records a run this step created (or adopted), so later decisions on the flow count it. */
  add(flowId: string, run: RunInfo): void {
    const cached = this.flows.get(flowId)
    if (cached && !cached.runs.some(r => r.id === run.id)) cached.runs.unshift(run)
  }
}
