import type { IssueAction } from '../github/issues.js'
import type { Inputs } from '../inputs/inputs.js'
import type { LedgerFigures } from '../ledger/session.js'
import type { RunResult } from '../step/result.js'
import type { SweepFindings } from '../step/sweep.js'
import { recovered } from '../github/escalation.js'

/** Everything the step did, as the outputs, the summary and the verdict read it. Built once, at the end. */
export interface Report {
  inputs?: Inputs
  results: RunResult[]
  /** Flows a sweep looked at and left alone, with why; `failed` when that is a failure of the step. */
  skippedFlows: SweepFindings['skippedFlows']
  /** How many runs a sweep selected when that was more than `max-runs` (so it re-triggered none). */
  maxRunsExceeded?: number
  /** Flows a sweep looked at (source flows with a run within the lookback, matching its filters). */
  sweptFlows: SweepFindings['sweptFlows']
  /** What a sweep's listings past their bounds did not read: failed windows may be there. */
  unread?: string[]
  /** The retry ledger's restore and save, when there was one. */
  ledger?: LedgerFigures
  /** What escalation did in GitHub, for the summary. */
  issues: IssueAction[]
  /** What GitHub kept escalation from doing (its refusals), for the summary. */
  issueProblems?: string[]
  /** A failure of the whole step (inputs, authentication, selection), not of one run. */
  stepError?: string
  /**
   * False until the step has looked at what it was asked to: authenticated, read the runs named
   * in `run-id` and, with `flow-id`, listed the sandbox. False at the end: it stopped before
   * (inputs, credentials, a host, a listing), and its results say nothing of the sandbox's health.
   */
  looked?: boolean
  cancelled?: boolean
  /** With several sandboxes (or `all`): the ones swept, in order. */
  sandboxes?: string[]
  /** With several sandboxes: those that refused or failed (the others were swept), with why. */
  sandboxFailures?: { sandbox: string; error: string }[]
}

export interface CauseGroup {
  code: string
  runs: number
  flows: number
  example: string
  /** What became of its runs, in this step's words: `2 re-triggered`, `1 retries exhausted`. */
  done: string[]
}

/**
 * The failed runs still wrong, grouped by Adobe's error code: most runs first. A window whose
 * retry succeeded is not here: it is recovered (`recovered` in escalation.ts), not a failure.
 */
export function groupByCause(results: RunResult[]): CauseGroup[] {
  const groups = new Map<
    string,
    { runs: number; flows: Set<string>; example: string; states: Map<string, number> }
  >()
  for (const r of results) {
    if (recovered(r)) continue
    for (const cause of r.previousCauses ?? []) {
      const group = groups.get(cause.code) ?? {
        runs: 0,
        flows: new Set(),
        example: cause.message,
        states: new Map()
      }
      group.runs++
      group.flows.add(r.flowId ?? r.runId)
      const said = stateWords(r)
      group.states.set(said, (group.states.get(said) ?? 0) + 1)
      groups.set(cause.code, group)
    }
  }
  return [...groups.entries()]
    .map(([code, g]) => ({
      code,
      runs: g.runs,
      flows: g.flows.size,
      example: g.example,
      done: [...g.states.entries()].map(([said, n]) => `${n} ${said}`)
    }))
    .sort((a, b) => b.runs - a.runs || a.code.localeCompare(b.code))
}

/**
 * What was done about a run, in the words every place uses (summary, annotations, issue): what
 * happened, never a guess about what a retry might do.
 */
export function stateWords(r: RunResult): string {
  if (r.finalStatus === 'timeout') return 'retry still running at `wait-timeout`'
  if (r.finalStatus === 'failed' || r.finalStatus === 'cancelled')
    return `retry ${r.finalStatus} again`
  switch (r.state) {
    case 'retriggered':
      return 're-triggered'
    case 'would-retrigger':
      return 'would be re-triggered'
    case 'already-retriggered':
      return 'retry already running'
    case 'retries-exhausted':
      return 'retries exhausted (`max-retries`): not retried again'
    case 'needs-fix':
      return 'not retried: `skip-errors` lists it as needing a fix'
    case 'partial-ingestion':
      return 'partly ingested: not retried'
    case 'pending':
      return 'not sent'
    default:
      return 'not re-triggered (error)'
  }
}

/** The link to this workflow run, from the runner's environment. */
export function workflowRunUrl(env = process.env): string | undefined {
  const ok = (v: string | undefined): v is string => !!v && /^[\w./:-]+$/.test(v)
  return ok(env.GITHUB_REPOSITORY) && ok(env.GITHUB_RUN_ID)
    ? `${ok(env.GITHUB_SERVER_URL) ? env.GITHUB_SERVER_URL : 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
    : undefined
}
