import * as core from '@actions/core'
import { formatDuration } from '../inputs/duration.js'
import { code, escape, fitBytes } from '../text/markdown.js'
import { groupByCause, workflowRunUrl, type Report } from './report.js'
import { isFailure, type RunResult } from '../step/result.js'
import { recovered } from '../github/escalation.js'
import type { IssueAction } from '../github/issues.js'
import { windowLabel } from '../aep/runs.js'
import { redact } from '../text/secrets.js'
import { shownTime } from '../text/time.js'

// The runner refuses a step summary over 1 MiB; stay well below it whatever the number of runs.
const SUMMARY_LIMIT = 900 * 1024
/** The whole summary, in UTF-8 bytes (what the runner counts): cut with a note, never refused. */
export const SUMMARY_BYTES = 1000 * 1024

/** The job summary: what was asked, what happened to each run, and totals. */
export function renderSummary(report: Report, runUrl: string | undefined): string {
  const { inputs, results } = report
  const lines: string[] = ['## AEP dataflow run re-trigger', '']
  if (inputs) {
    lines.push(
      `Sandbox \`${inputs.sandbox}\`${inputs['dry-run'] ? ' · **dry run: nothing was re-triggered**' : ''}${runUrl ? ` · [workflow run](${runUrl})` : ''}`,
      ''
    )
  }
  if (report.stepError)
    lines.push(
      `> [!CAUTION]`,
      // Whole, and our own backticks render as code: the caution is what a person reads first.
      ...report.stepError.split('\n').map(line => `> ${escape(line, 4000, { code: true })}`),
      ''
    )
  if (report.cancelled)
    lines.push('> [!WARNING]', '> The job was cancelled; this is what was done until then.', '')

  // A window whose retry succeeded is recovered: not a failure, listed once, compactly, below.
  const recoveredWindows = results.filter(r => r.source === 'flow-id' && recovered(r))
  const shownResults = results.filter(r => !recoveredWindows.includes(r))
  const sweeping = !!inputs && (inputs['flow-id'].all || inputs['flow-id'].ids.length > 0)
  if (inputs && report.looked === false && !report.cancelled)
    lines.push(notLooked(report, sweeping), '')
  else if (report.sweptFlows.length > 0 || sweeping) {
    const windows = results.filter(r => r.source === 'flow-id')
    const count = (f: (r: RunResult) => boolean): number => windows.filter(f).length
    const parts = [
      `${count(r => r.state === 'retriggered' || r.state === 'would-retrigger')} ${inputs?.['dry-run'] ? 'to re-trigger' : 're-triggered'}`,
      `${recoveredWindows.length} recovered (a retry succeeded)`,
      `${count(r => r.state === 'already-retriggered' && !recovered(r))} with a retry still running`,
      `${count(r => isFailure(r, inputs?.['fail-on-run-failure'] ?? true))} need attention`
    ]
    lines.push(
      `Swept ${report.sweptFlows.length} source dataflow(s) with a run within \`lookback\`${inputs ? ` (${formatDuration(inputs.lookback)})` : ''}: ${windows.length} failed window(s) found${windows.length ? ` — ${parts.join(', ')}` : ''}.`,
      ''
    )
    // Said right under the count: the count is of what was read, not of the sandbox.
    if (report.unread?.length)
      lines.push(
        '> [!WARNING]',
        '> **Not everything was read**: more failed windows may exist than these.',
        ...report.unread.map(u => `> - ${escape(u, 2000, { code: true })}`),
        ''
      )
  }
  if (report.sandboxes) lines.push(...bySandbox(report), '')
  const causes = groupByCause(results)
  if (causes.length > 0) {
    // What was done, from each run's state: never a guess at what a retry might do.
    lines.push(
      '### Failures by cause',
      '',
      '| Error code | Runs | Flows | What was done | Example |',
      '|---|---|---|---|---|',
      ...causes
        .slice(0, 50)
        .map(
          c =>
            `| ${code(c.code)} | ${c.runs} | ${c.flows} | ${escape(c.done.join('; '), 400, { code: true })} | ${escape(c.example)} |`
        ),
      ''
    )
  }
  if (results.length > 0) {
    const waited = shownResults.some(r => r.finalStatus)
    const windows = shownResults.some(r => r.window || r.startedAt)
    // Several sandboxes: rows grouped by sandbox (in the order swept), each naming its own.
    const several = !!report.sandboxes
    if (several) {
      const order = new Map(report.sandboxes!.map((s, i) => [s, i]))
      shownResults.sort((a, b) => (order.get(a.sandbox!) ?? 0) - (order.get(b.sandbox!) ?? 0))
    }
    const header = [
      ...(several ? ['Sandbox'] : []),
      'Run',
      'Flow',
      ...(windows ? ['Window'] : []),
      'Previous status',
      'Result',
      'New run',
      'ETag',
      ...(waited ? ['New run status', 'Duration', 'Records ingested'] : [])
    ]
    const table = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`]
    let size = table.join('\n').length
    let shown = 0
    for (const r of shownResults) {
      const row = `| ${[
        ...(several ? [code(r.sandbox)] : []),
        code(r.runId),
        `${r.flowName ? `${escape(r.flowName)} ` : ''}${code(r.flowId)}`,
        ...(windows ? [escape(windowLabel(r))] : []),
        escape(r.previousStatus ?? ''),
        outcome(r),
        code(r.newRunId),
        code(r.etag),
        ...(waited
          ? [
              escape(r.finalStatus ?? ''),
              r.durationSeconds === undefined ? '' : `${r.durationSeconds}s`,
              r.recordsIngested ?? ''
            ]
          : [])
      ].join(' | ')} |`
      if (size + row.length > SUMMARY_LIMIT) break
      table.push(row)
      size += row.length + 1
      shown++
    }
    if (shownResults.length > 0) lines.push(...table)
    if (shown < shownResults.length) {
      lines.push(
        '',
        `_${shownResults.length - shown} more runs are not shown to keep the summary under the runner's 1 MiB limit; the \`results\` output holds them all._`
      )
    }
    lines.push('', totals(report))
    const reasons = shownResults
      .filter(r => !recovered(r))
      .flatMap(r => {
        const list = (errors: string[]): string => errors.map(e => escape(e)).join('; ')
        const d = r.diagnostics
        return [
          ...(r.previousErrors?.length
            ? [
                `- Run \`${r.runId}\`${r.window || r.startedAt ? ` (${escape(windowLabel(r))})` : ''} failed: ${list(r.previousErrors)}`
              ]
            : []),
          ...(r.retryErrors ?? []).map(
            (x, i) =>
              `  - its retry ${i + 1}, run \`${x.runId}\` (${escape(x.status)}): ${list(x.errors)}`
          ),
          ...(r.newRunErrors?.length
            ? [`  - new run \`${r.newRunId}\` failed: ${list(r.newRunErrors)}`]
            : []),
          ...(d?.errorDetail ? [`  - the connector said: ${escape(d.errorDetail, 600)}`] : []),
          ...(d?.failedRecords ? [`  - failed records: ${code(d.failedRecords)}`] : []),
          ...(d?.sampleErrors ? [`  - sample errors: ${code(d.sampleErrors)}`] : [])
        ]
      })
    if (reasons.length)
      lines.push('', '### Errors reported by Adobe', '', ...limitLines(reasons, 200))
  }
  if (recoveredWindows.length > 0)
    lines.push(
      '',
      '### Recovered',
      '',
      `${recoveredWindows.length} failed window(s) ingested by a retry that succeeded: ${limitLines(
        recoveredWindows.map(
          r =>
            `${code(r.runId)}${r.flowName ? ` (${escape(r.flowName, 100)})` : ''} by ${code(r.newRunId)}`
        ),
        20
      ).join(', ')}.`
    )
  if (report.issues.length > 0 || report.issueProblems?.length) {
    lines.push(
      '',
      '### GitHub issues',
      '',
      ...report.issues.map(
        i =>
          `- [#${i.number}](${i.url}) ${ISSUE_WORDS[i.action]}: flow ${flowLabel(i.flowId, results)}`
      )
    )
    if (report.issueProblems?.length)
      lines.push(
        ...(report.issues.length ? [''] : []),
        '> [!WARNING]',
        ...limitLines(report.issueProblems, 20).map(p => `> ${escape(p, 2000, { code: true })}`)
      )
  }
  if (report.skippedFlows.length > 0) {
    lines.push(
      '',
      '### Flows left alone',
      '',
      ...limitLines(
        report.skippedFlows.map(
          f =>
            `- ${f.flowName ? `${escape(f.flowName)} ` : ''}\`${f.flowId}\`: ${escape(f.reason, 400, { code: true })}`
        ),
        500
      )
    )
  }
  return fitBytes(
    redact(lines.join('\n') + '\n'),
    SUMMARY_BYTES,
    "_The summary was cut here to stay under the runner's 1 MiB limit; the `results` output holds every run._"
  )
}

/** Several sandboxes: one line each, with what its sweep found, or why it could not be swept. */
function bySandbox(report: Report): string[] {
  const failed = new Map((report.sandboxFailures ?? []).map(f => [f.sandbox, f.error]))
  const rows = report.sandboxes!.slice(0, 200).map(sandbox => {
    const windows = report.results.filter(r => r.sandbox === sandbox)
    const sent = windows.filter(r => r.state === 'retriggered' || r.state === 'would-retrigger')
    const attention = windows.filter(r =>
      isFailure(r, report.inputs?.['fail-on-run-failure'] ?? true)
    )
    const problem = failed.get(sandbox)
    return `| ${code(sandbox)} | ${windows.length} | ${sent.length} | ${attention.length} | ${problem ? `**not swept**: ${escape(problem, 600, { code: true })}` : 'swept'} |`
  })
  return [
    `### By sandbox (${report.sandboxes!.length})`,
    '',
    `| Sandbox | Failed windows | ${report.inputs?.['dry-run'] ? 'To re-trigger' : 'Re-triggered'} | Need attention | |`,
    '|---|---|---|---|---|',
    ...rows,
    ...(report.sandboxes!.length > 200
      ? ['', `_${report.sandboxes!.length - 200} more sandboxes are in the \`sandboxes\` output._`]
      : [])
  ]
}

/**
 * The headline of a step that stopped before it had looked (credentials refused, a host that does
 * not resolve, a listing that failed): it says so, never "0 failed windows".
 */
function notLooked(report: Report, sweeping: boolean): string {
  const why = report.stepError ? ' (why is said above)' : ''
  if (!sweeping) return `**No run was read: the step stopped before it could look${why}.**`
  const sandbox = code(report.inputs?.sandbox)
  const found = report.results.filter(r => r.source === 'flow-id').length
  return found > 0
    ? `**Sweep incomplete: the step stopped before it had listed all of sandbox ${sandbox}${why}.** The ${found} failed window(s) below are what it had found by then; the rest of the sandbox was not looked at.`
    : `**Not swept: the step stopped before it could list sandbox ${sandbox}${why}.** Nothing is known of its dataflows: this is not the report of a healthy sandbox.`
}

export async function writeSummary(report: Report): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  await core.summary.addRaw(renderSummary(report, workflowRunUrl())).write()
}

function totals(report: Report): string {
  const { results, inputs } = report
  const count = (f: (r: RunResult) => boolean): number => results.filter(f).length
  const parts = [
    `${results.length} run${results.length === 1 ? '' : 's'} selected`,
    inputs?.['dry-run']
      ? `${count(r => r.state === 'would-retrigger')} would be re-triggered`
      : `${count(r => r.state === 'retriggered')} re-triggered`,
    ...(count(r => r.state === 'already-retriggered' && !recovered(r))
      ? [
          `${count(r => r.state === 'already-retriggered' && !recovered(r))} already re-triggered earlier`
        ]
      : []),
    ...(count(r => r.state === 'already-retriggered' && recovered(r))
      ? [`${count(r => r.state === 'already-retriggered' && recovered(r))} recovered`]
      : []),
    ...(count(r => r.state === 'retries-exhausted')
      ? [`${count(r => r.state === 'retries-exhausted')} past \`max-retries\``]
      : []),
    ...(count(r => r.state === 'partial-ingestion')
      ? [`${count(r => r.state === 'partial-ingestion')} partly ingested (records failed)`]
      : []),
    ...(count(r => r.state === 'needs-fix')
      ? [`${count(r => r.state === 'needs-fix')} need a fix (\`skip-errors\`)`]
      : []),
    ...(count(r => r.state === 'waiting')
      ? [`${count(r => r.state === 'waiting')} waiting for their next retry (\`retry-backoff\`)`]
      : []),
    `${count(r => r.state === 'error')} not re-triggered`,
    ...(count(r => r.state === 'pending')
      ? [
          `${count(r => r.state === 'pending')} not sent${report.maxRunsExceeded ? ' (over `max-runs`)' : report.cancelled ? ' (cancelled)' : ''}`
        ]
      : [])
  ]
  if (results.some(r => r.finalStatus)) {
    parts.push(
      `${count(r => r.finalStatus === 'success')} succeeded`,
      `${count(r => r.finalStatus === 'failed' || r.finalStatus === 'cancelled')} failed`,
      `${count(r => r.finalStatus === 'timeout')} timed out`
    )
  }
  const failed = count(r => isFailure(r, inputs?.['fail-on-run-failure'] ?? true))
  return `**Totals:** ${parts.join(' · ')}${failed ? ` · **${failed} need attention**` : ''}`
}

function outcome(r: RunResult): string {
  const via = r.retriggeredRunId ? ` (via its retry \`${r.retriggeredRunId}\`)` : ''
  switch (r.state) {
    case 'error':
      // Our own message: its code spans render; server text in it is escaped all the same.
      return `❌ ${escape(r.error ?? 'failed', 400, { code: true })}`
    case 'retries-exhausted':
      return `⛔ retries exhausted (${r.earlierRetries?.length ?? 0} made)`
    case 'partial-ingestion':
      return `⚠️ partial ingestion: ${r.recordsFailed ?? '?'} records failed, not re-triggered`
    case 'needs-fix':
      return `🛠️ needs a fix: ${code(r.skippedFor)} (\`skip-errors\`), not re-triggered`
    case 'already-retriggered':
      return recovered(r)
        ? `✅ recovered: ingested by its retry ${code(r.newRunId)}`
        : `↩️ already re-triggered (retry ${code(r.newRunId)} ${escape(r.adoptedStatus ?? '')}): nothing sent`
    case 'waiting':
      return `⏳ waiting: its retry${r.retriggeredRunId ? ` \`${r.retriggeredRunId}\`` : ''} failed; next retry due ${shownTime(r.nextRetryAt)} (\`retry-backoff\`)`
    case 'would-retrigger':
      return `would re-trigger${via}`
    case 'pending':
      return 'not done'
    default:
      return `${r.foundByListing ? '⚠️ re-triggered (found by listing)' : '✅ re-triggered'}${via}`
  }
}

/** What each escalation action means to a reader of the summary. */
const ISSUE_WORDS: Record<IssueAction['action'], string> = {
  opened: 'opened',
  commented: 'commented (something changed)',
  closed: 'closed (the flow recovered)',
  unchanged: 'already says this (unchanged; nothing sent)',
  open: 'open'
}

/** A flow as a reader knows it: its name when known, and its id. */
function flowLabel(flowId: string, results: RunResult[]): string {
  const name = results.find(r => r.flowId === flowId && r.flowName)?.flowName
  return `${name ? `${escape(name, 100)} ` : ''}\`${flowId}\``
}

function limitLines(lines: string[], max: number): string[] {
  return lines.length <= max
    ? lines
    : [...lines.slice(0, max), `- … and ${lines.length - max} more`]
}
