import type { IssueAction } from '../github/issues.js'
import type { Inputs } from '../inputs/inputs.js'
import type { LedgerFigures } from '../ledger/session.js'
import type { RunResult } from '../step/result.js'
import type { SweepFindings } from '../step/sweep.js'

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
  /** The retry ledger's restore and save, when there was one. */
  ledger?: LedgerFigures
  /** What escalation did in GitHub, for the summary. */
  issues: IssueAction[]
  /** A failure of the whole step (inputs, authentication, selection), not of one run. */
  stepError?: string
  /**
   * False until the step has looked at what it was asked to: authenticated, read the runs named
   * in `run-id` and, with `flow-id`, listed the sandbox. False at the end: it stopped before
   * (inputs, credentials, a host, a listing), and its results say nothing of the sandbox's health.
   */
  looked?: boolean
  cancelled?: boolean
}

export interface CauseGroup {
  code: string
  runs: number
  flows: number
  example: string
}

/** The failed runs handled, grouped by Adobe's error code: most runs first. */
export function groupByCause(results: RunResult[]): CauseGroup[] {
  const groups = new Map<string, { runs: number; flows: Set<string>; example: string }>()
  for (const r of results)
    for (const cause of r.previousCauses ?? []) {
      const group = groups.get(cause.code) ?? { runs: 0, flows: new Set(), example: cause.message }
      group.runs++
      group.flows.add(r.flowId ?? r.runId)
      groups.set(cause.code, group)
    }
  return [...groups.entries()]
    .map(([code, g]) => ({ code, runs: g.runs, flows: g.flows.size, example: g.example }))
    .sort((a, b) => b.runs - a.runs || a.code.localeCompare(b.code))
}

/** The link to this workflow run, from the runner's environment. */
export function workflowRunUrl(env = process.env): string | undefined {
  const ok = (v: string | undefined): v is string => !!v && /^[\w./:-]+$/.test(v)
  return ok(env.GITHUB_REPOSITORY) && ok(env.GITHUB_RUN_ID)
    ? `${ok(env.GITHUB_SERVER_URL) ? env.GITHUB_SERVER_URL : 'https://github.com'}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
    : undefined
}
