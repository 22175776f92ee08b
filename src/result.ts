import type { Cause, Diagnostics, RunStatus, RunWindow } from './runs.js'

export type ResultState =
  | 'pending'
  | 'retriggered'
  | 'already-retriggered'
  | 'would-retrigger'
  | 'retries-exhausted'
  | 'needs-fix'
  | 'partial-ingestion'
  | 'error'

/** What happened to one requested run: the unit of outputs, summary and the step's verdict. */
export interface RunResult {
  runId: string
  flowId?: string
  /** The flow's name, when a sandbox sweep listed it. */
  flowName?: string
  /** How the run was chosen: named in `run-id`, or found by a `flow-id` sweep. */
  source: 'run-id' | 'flow-id'
  previousStatus?: string
  /** The window of source files the failed run covers, when Adobe reports it. */
  window?: RunWindow
  /** When the failed run started (epoch ms), for a window Adobe does not report. */
  startedAt?: number
  /** Why the previous run failed, as Adobe reported it. */
  previousErrors?: string[]
  /** The same, as Adobe's codes with one message each, for grouping by cause. */
  previousCauses?: Cause[]
  state: ResultState
  newRunId?: string
  etag?: string
  /** The run the POST went to, when it was an earlier retry of `runId` (a retry of a retry). */
  retriggeredRunId?: string
  /** Retries of `runId` this action had made before this step (its retry chain), oldest first. */
  earlierRetries?: string[]
  /** What Adobe said of each earlier retry that failed, oldest first. */
  retryErrors?: { runId: string; status: string; errors: string[] }[]
  /** Beyond the failed run's codes: the connector's text and the diagnostics links Adobe gives. */
  diagnostics?: Diagnostics
  /** With `needs-fix`: the error code that `skip-errors` matched. */
  skippedFor?: string
  /** With `already-retriggered`: the adopted retry's status when it was found. */
  adoptedStatus?: RunStatus
  /** Adobe refused the re-trigger itself (a 4xx to the POST): status and Adobe's code. */
  refusal?: { status: number; code?: string }
  /** True when the new run was found by listing after an answer that did not say. */
  adopted?: boolean
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
  if (['error', 'pending', 'retries-exhausted', 'needs-fix'].includes(result.state)) return true
  if (result.finalStatus === 'timeout') return true
  return failOnRunFailure && (result.finalStatus === 'failed' || result.finalStatus === 'cancelled')
}
