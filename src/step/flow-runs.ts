import type { FlowService } from '../aep/flow-service.js'
import type { RunInfo } from '../aep/runs.js'

/**
 * The runs this step has read, by flow: listed once per flow for a named run (every page), or
 * handed over by a sweep's sandbox-wide listings. Reconciliation compares against them
 * (reconcile.ts: a new run is one not listed before the attempt).
 */
export class FlowRuns {
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

  /** Runs a sweep listed for a flow (its failures and the runs of ours). */
  seed(flowId: string, runs: RunInfo[], since: number): void {
    this.flows.set(flowId, { since, runs })
  }

  /** A run this step created: later decisions and reconciliations on the flow count it. */
  add(flowId: string, run: RunInfo): void {
    const cached = this.flows.get(flowId)
    if (cached && !cached.runs.some(r => r.id === run.id)) cached.runs.unshift(run)
  }

  /** What has been read of the flow so far. */
  known(flowId: string): RunInfo[] | undefined {
    return this.flows.get(flowId)?.runs
  }
}
