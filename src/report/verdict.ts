/**
 * The step's verdict: whether it fails, with what message, and the warnings that stand for the
 * failures `fail-on` lets pass. Pure: the report in, the verdict out (main.ts says it); tested as
 * a table (__tests__/unit/verdict.test.ts).
 *
 * `fail-on: new` (the default) fails the step only for what no person has yet: with
 * `issue-on-failure`, a flow whose open issue already says what is wrong (escalation found it
 * unchanged, so nothing was sent) is a warning linking that issue, not a red run every hour.
 * Without issues nothing was handed to anyone, so `new` is `any`. A step that could not run
 * (inputs, credentials, a sweep that could not list, a cancellation) fails whatever `fail-on` says.
 */
import type { IssueAction } from '../github/issues.js'
import { isFailure, type RunResult } from '../step/result.js'
import type { Report } from './report.js'
import { flowLabel } from '../text/names.js'

export interface Verdict {
  /** The message the step fails with; undefined when it succeeds. */
  failure?: string
  /** Warnings for what `fail-on` kept from failing the step, one per issue or one in all. */
  warnings: string[]
  /**
   * One error annotation per window that needs a person and is no open issue's yet (several
   * runs; one run's message is the failure itself). Under `fail-on: never` they are warnings.
   */
  errors: string[]
}

/** The windows a person must look at (`retries-exhausted`, `needs-fix`), as annotations. */
const needingPerson = (report: Report, failures: RunResult[]): string[] =>
  report.results.length > 1
    ? failures
        .filter(r => (r.state === 'retries-exhausted' || r.state === 'needs-fix') && r.error)
        .map(r => r.error!)
    : []

export type FailOn = 'new' | 'any' | 'never'

/** The `fail-on` in effect: `new` is `any` when nothing was handed to a person. */
export function failOnInEffect(report: Report): FailOn {
  const given = (report.inputs?.['fail-on'] ?? 'any') as FailOn
  if (given !== 'new') return given
  return report.inputs?.issues && !report.inputs['dry-run'] ? 'new' : 'any'
}

export function stepVerdict(report: Report): Verdict {
  if (report.stepError) return { failure: report.stepError, warnings: [], errors: [] }
  const failOnRunFailure = report.inputs?.['fail-on-run-failure'] ?? true
  const failures = report.results.filter(r => isFailure(r, failOnRunFailure))
  const unread = report.skippedFlows.filter(f => f.failed)
  // A sandbox that could not be swept fails the step whatever `fail-on` says, as a step that
  // could not look does: the others were swept, and their rows stand.
  if (report.sandboxFailures?.length && !report.cancelled)
    return {
      failure: `${report.sandboxFailures.length} of ${report.sandboxes?.length ?? report.sandboxFailures.length} sandbox(es) could not be swept (the others were): ${report.sandboxFailures.map(f => `sandbox ${f.sandbox}: ${f.error}`).join('; ')}`,
      warnings: [],
      errors: needingPerson(report, failures)
    }
  if (report.cancelled)
    return {
      failure: `Cancelled: ${report.results.filter(r => r.newRunId).length} of ${report.results.length} run(s) were re-triggered before the job stopped.`,
      warnings: [],
      errors: needingPerson(report, failures)
    }
  const failOn = failOnInEffect(report)
  if (failOn === 'never') {
    const count = failures.length + unread.length
    return {
      warnings: [
        ...needingPerson(report, failures),
        ...(count
          ? [
              `${count} run(s) or flow(s) need attention (see the job summary); \`fail-on: never\` keeps the step from failing for them.`
            ]
          : [])
      ],
      errors: []
    }
  }
  // `new`: the failures an open, unchanged issue already says are that issue's, said once.
  const unchanged = new Map<string, IssueAction>()
  if (failOn === 'new')
    for (const action of report.issues)
      if (action.action === 'unchanged') unchanged.set(action.flowId, action)
  const known = (r: RunResult): boolean => !!r.flowId && unchanged.has(r.flowId)
  const warnings = [...unchanged.values()]
    .filter(issue => failures.some(r => r.flowId === issue.flowId))
    .map(issue => {
      const runs = failures.filter(r => r.flowId === issue.flowId)
      const name = runs.find(r => r.flowName)?.flowName
      return `Flow ${flowLabel(issue.flowId, name)} still needs a person, and its open issue #${issue.number} already says so (${runs.length} run(s), unchanged since): ${issue.url}. Not failing the step for it (\`fail-on: new\`).`
    })
  const left = failures.filter(r => !known(r))
  const errors = needingPerson(report, left)
  if (unread.length > 0 && left.length === 0)
    return {
      failure: `${unread.length} flow(s) could not be swept: ${unread.map(f => `${f.flowId}: ${f.reason}`).join('; ')}`,
      warnings,
      errors
    }
  if (left.length === 0) return { warnings, errors }
  if (report.results.length === 1) {
    const [only] = left
    if (only.error) return { failure: only.error, warnings, errors }
    return {
      failure: `New run ${only.newRunId} ${only.finalStatus === 'timeout' ? 'did not finish within `wait-timeout`' : `finished "${only.finalStatus}"`}${only.newRunErrors ? `: ${only.newRunErrors.join('; ')}` : ''}`,
      warnings,
      errors
    }
  }
  return {
    errors,
    failure: `${left.length} of ${report.results.length} runs need attention (not re-triggered, failed or timed out)${left.length < failures.length ? `; ${failures.length - left.length} more are already in open issues` : ''}; see the job summary and the \`results\` output.`,
    warnings
  }
}
