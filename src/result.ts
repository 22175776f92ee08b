import type { RunStatus } from './runs.js'

/** What happened to one requested run: the unit of outputs, summary and the step's verdict. */
export interface RunResult {
  runId: string
  flowId?: string
  /** How the run was chosen: named in `run-id`, or found by a `flow-id` sweep. */
  source: 'run-id' | 'flow-id'
  previousStatus?: string
  /** Why the previous run failed, as Adobe reported it. */
  previousErrors?: string[]
  state: 'pending' | 'retriggered' | 'would-retrigger' | 'error'
  newRunId?: string
  etag?: string
  /** Set when the new run was found by reconciliation after an ambiguous answer. */
  adopted?: string
  /** With `wait`: the new run's final status, or `timeout`. */
  finalStatus?: RunStatus | 'timeout'
  durationSeconds?: number
  recordsIngested?: number
  recordsFailed?: number
  newRunErrors?: string[]
  error?: string
}

/** A run the step did not deliver on: the step fails if there is one. */
export function isFailure(result: RunResult, failOnRunFailure: boolean): boolean {
  if (result.state === 'error' || result.state === 'pending') return true
  if (result.finalStatus === 'timeout') return true
  return failOnRunFailure && (result.finalStatus === 'failed' || result.finalStatus === 'cancelled')
}
