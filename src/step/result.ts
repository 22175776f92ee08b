import type { Cause, Diagnostics, RunStatus, RunWindow } from '../aep/runs.js'

export type ResultState =
  | 'pending'
  | 'retriggered'
  | 'already-retriggered'
  | 'would-retrigger'
  | 'retries-exhausted'
  | 'needs-fix'
  | 'waiting'
  | 'partial-ingestion'
  | 'error'

/** What is known of the failed run itself: from the pre-check read or the sweep's listing. */
export interface RunFacts {
  flowId?: string
  /** The flow's name, when a sandbox sweep listed it. */
  flowName?: string
  previousStatus?: string
  /** The window of source files the failed run covers, when Adobe reports it. */
  window?: RunWindow
  /** When the failed run started (epoch ms), for a window Adobe does not report. */
  startedAt?: number
  /** Why the previous run failed, as Adobe reported it. */
  previousErrors?: string[]
  /** The same, as Adobe's codes with one message each, for grouping by cause. */
  previousCauses?: Cause[]
  /** Beyond the failed run's codes: the connector's text and the diagnostics links Adobe gives. */
  diagnostics?: Diagnostics
}

/** The retry chain the decision saw (decide.ts). */
export interface ChainFacts {
  /**
   * The failure whose window this is, when the run handled was a later retry of it (an event
   * names the failed retry): the window's row is named by its original run, whoever woke the step.
   */
  windowRunId?: string
  /** Retries of the run this action had made before this step (its retry chain), oldest first. */
  earlierRetries?: string[]
  /** What Adobe said of each earlier retry that failed, oldest first. */
  retryErrors?: { runId: string; status: string; errors: string[] }[]
}

/**
 * What handling one run came to: handle-run.ts returns it, and only the step's results
 * (step-results.ts) turn it into the run's row. One variant per state, each with what that
 * state needs, so a row can never say "re-triggered" without its new run.
 */
export type Outcome = RunFacts &
  ChainFacts &
  (
    | {
        state: 'retriggered'
        newRunId: string
        etag: string
        /** The run the POST went to, when it was an earlier retry (a retry of a retry). */
        retriggeredRunId?: string
        /** True when the new run was found by listing after an answer that did not say. */
        foundByListing?: boolean
      }
    | { state: 'would-retrigger'; retriggeredRunId?: string }
    | {
        state: 'already-retriggered'
        newRunId: string
        etag: string
        /** The adopted retry's status when it was found. */
        adoptedStatus: RunStatus
      }
    | { state: 'retries-exhausted'; error: string }
    /** The next retry waits for `retry-backoff`: due at `nextRetryAt` (epoch ms). Not a failure. */
    | { state: 'waiting'; nextRetryAt: number; retriggeredRunId?: string }
    /** `skippedFor`: the error code that `skip-errors` matched. */
    | { state: 'needs-fix'; error: string; skippedFor: string }
    | { state: 'partial-ingestion'; recordsIngested?: number; recordsFailed?: number }
    | {
        state: 'error'
        error: string
        /** Adobe refused the re-trigger itself (a 4xx to the POST): status and Adobe's code. */
        refusal?: { status: number; code?: string }
      }
    /** Stopped (cancelled) before anything was sent. */
    | { state: 'pending' }
  )

/** What waiting for a new run came to (wait.ts). */
export type Waited =
  | {
      finalStatus: RunStatus | 'timeout'
      durationSeconds?: number
      recordsIngested?: number
      recordsFailed?: number
      newRunErrors?: string[]
    }
  | { error: string }

/** Everything the step learned of one requested run: the unit of outputs, summary and verdict. */
export interface RunResult extends RunFacts, ChainFacts {
  runId: string
  /** The sandbox the run lives in, when the step swept several (main.ts); else `sandbox` itself. */
  sandbox?: string
  /** How the run was chosen: named in `run-id`, or found by a `flow-id` sweep. */
  source: 'run-id' | 'flow-id'
  state: ResultState
  newRunId?: string
  etag?: string
  retriggeredRunId?: string
  skippedFor?: string
  adoptedStatus?: RunStatus
  refusal?: { status: number; code?: string }
  foundByListing?: boolean
  /** When the window's next retry is due (`waiting`), epoch ms on Adobe's clock. */
  nextRetryAt?: number
  /** The run named in `run-id` when it was a later retry of this window's failure. */
  namedRunId?: string
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
