/**
 * What an issue says, and the hidden markers by which the action finds its issue again and knows
 * what it last said. Pure: no I/O (github-issues.ts sends it). Server text here is data for
 * people: escaped, clipped, redacted first, and unable to mention anyone or link an issue
 * (markdown.ts), and every body and title stays within GitHub's limits.
 */
import { createHash } from 'node:crypto'
import type { Incident, Recovery } from './escalation.js'
import { UUID } from '../inputs/ids.js'
import { oneLine } from '../text/log.js'
import { code, inert, unlinked } from '../text/markdown.js'
import type { RunResult } from '../step/result.js'
import { windowLabel } from '../aep/runs.js'
import { redact } from '../text/secrets.js'
import { shownTime } from '../text/time.js'

export interface IssueContext {
  sandbox: string
  /**
   * The step swept several sandboxes: titles name the sandbox and markers carry it, so each
   * (sandbox, flow) has its own issue. One sandbox's issues are written as they always were.
   */
  several?: boolean
  /** `max-retries`, for what the next sweep will do. */
  maxRetries: number
  runUrl?: string
}

/** What the action last wrote in an open issue of its own, read back from the body's markers. */
export interface IssueMarks {
  flowId?: string
  /** The sandbox marker, on issues filed by a step that swept several sandboxes. */
  sandbox?: string
  state?: string
  missing: string[]
}

const FLOW = /<!-- aep-flow: ([0-9a-f-]{36}) -->/
const SANDBOX = /<!-- aep-sandbox: ([a-z0-9][a-z0-9-]{0,255}) -->/
const STATE = /<!-- aep-state: ([\w:-]{1,100}) -->/
const MISSING = /<!-- aep-missing: ([0-9a-f,-]*) -->/
const MAX_MISSING_IDS = 500
// The windows listed in an issue's table, and those whose errors it spells out; the marker and
// the job summary hold the rest.
const MAX_WINDOW_ROWS = 50
const MAX_ERROR_WINDOWS = 10
/** GitHub refuses a body over 65,536 characters; a title over 256. */
export const MAX_BODY = 60_000
const MAX_TITLE_NAME = 100

export function readMarks(body: string): IssueMarks {
  return {
    flowId: FLOW.exec(body)?.[1],
    sandbox: SANDBOX.exec(body)?.[1],
    state: STATE.exec(body)?.[1],
    missing: (MISSING.exec(body)?.[1] ?? '').split(',').filter(id => UUID.test(id))
  }
}

/** The markers a body starts with: the flow, a digest of what it says, the missing windows. */
export function marks(flowId: string, state: string, missing: string[], sandbox?: string): string {
  return [
    `<!-- aep-flow: ${flowId} -->`,
    ...(sandbox ? [`<!-- aep-sandbox: ${sandbox} -->`] : []),
    `<!-- aep-state: ${state} -->`,
    `<!-- aep-missing: ${missing.slice(0, MAX_MISSING_IDS).join(',')} -->`
  ].join('\n')
}

/** A short digest of what an incident says, times left out: equal digests, nothing new to say. */
export function digest(incident: Incident): string {
  const parts = [
    incident.headline.replace(/"[^"]*"/g, ''),
    ...incident.missing.map(r => `${r.runId}:${r.state}:${r.newRunId ?? ''}:${r.finalStatus ?? ''}`)
  ]
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16)
}

/** The digest of "these windows left `lookback` unrecovered". */
export const goneDigest = (gone: string[]): string =>
  `gone-${createHash('sha256').update(gone.join(',')).digest('hex').slice(0, 12)}`

/** The issue's title: the flow's name redacted, flattened, clipped, unable to mention or link. */
export function title(incident: Incident, sandbox?: string): string {
  const name = incident.flowName ? oneLine(incident.flowName) : ''
  const shown = name.length > MAX_TITLE_NAME ? `${name.slice(0, MAX_TITLE_NAME)}…` : name
  return unlinked(
    `AEP dataflow ${shown ? `"${shown}" ` : ''}(${incident.flowId})${sandbox ? ` in sandbox ${sandbox}` : ''} needs attention`
  )
}

/** A body within GitHub's limit: cut at a line, saying so, the closing line kept. */
export function fit(lines: string[], limit = MAX_BODY): string {
  const text = redact(lines.join('\n'))
  if (text.length <= limit) return text
  const footer =
    "\n\n_Cut to GitHub's size limit for an issue; the job summary and the `results` output hold everything._"
  const cut = text.slice(0, limit - footer.length)
  return cut.slice(0, Math.max(0, cut.lastIndexOf('\n'))) + footer
}

/** Comment for windows that left `lookback` unrecovered: the issue stays open for a person. */
export function goneText(gone: string[], runUrl?: string): string {
  return fit([
    `The failed window(s) of run(s) ${gone.map(id => `\`${id}\``).join(', ')} left the sweep's \`lookback\` without a run that succeeded: the action no longer retries them, and their data is missing. Recover them by hand (\`run-id\` with \`force: true\`, once the cause is fixed), then close this issue.${runUrl ? `\n\nSeen by [this workflow run](${runUrl}).` : ''}`
  ])
}

/** Comment when every window the sweep saw has been ingested: the issue is closed with it. */
export function recoveredText(recovery: Recovery, ctx: IssueContext): string {
  const by = recovery.recoveredBy
  return fit([
    `Every failed window of dataflow \`${recovery.flowId}\` in sandbox \`${ctx.sandbox}\` that the action saw has been ingested${by.length ? ` (by run${by.length === 1 ? '' : 's'} ${by.map(id => `\`${id}\``).join(', ')})` : ''}: the flow has recovered. Closing.${ctx.runUrl ? `\n\nSeen by [this workflow run](${ctx.runUrl}).` : ''}`
  ])
}

/** An issue body or comment: what happened, the runs, Adobe's codes and texts, where and when. */
export function describe(incident: Incident, ctx: IssueContext): string {
  const r = incident.result
  const rows: [string, string][] = [
    [
      'Dataflow',
      `${incident.flowName ? `${inert(incident.flowName, 200)} ` : ''}\`${incident.flowId}\``
    ],
    ['Sandbox', `\`${ctx.sandbox}\``],
    ['Failed run', `\`${r.runId}\``],
    ...(r.newRunId
      ? ([['New run', `\`${r.newRunId}\`${r.finalStatus ? ` (${inert(r.finalStatus)})` : ''}`]] as [
          string,
          string
        ][])
      : []),
    ...(r.earlierRetries?.length
      ? ([['Retries made', r.earlierRetries.map(id => `\`${id}\``).join(', ')]] as [
          string,
          string
        ][])
      : []),
    ['When', new Date().toISOString()],
    ...(ctx.runUrl
      ? ([['Workflow run', `[${ctx.runUrl}](${ctx.runUrl})`]] as [string, string][])
      : [])
  ]
  const lines = [
    `**This dataflow needs a person:** ${inert(incident.headline)}.`,
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    ...(r.error ? ['', `**What the action saw:** ${inert(r.error, 2000, { code: true })}`] : []),
    ...(incident.missing.length
      ? [
          '',
          `**Failed windows not yet recovered (${incident.missing.length})**`,
          '',
          '| Failed run | Window | State |',
          '|---|---|---|',
          ...incident.missing
            .slice(0, MAX_WINDOW_ROWS)
            .map(
              m => `| \`${m.runId}\` | ${inert(windowLabel(m) || '—')} | ${inert(stateOf(m))} |`
            ),
          ...(incident.missing.length > MAX_WINDOW_ROWS
            ? [`| … | ${incident.missing.length - MAX_WINDOW_ROWS} more | |`]
            : [])
        ]
      : []),
    ...errorsByRun(incident.missing.length ? incident.missing : [r]),
    ...nextSteps(incident, ctx),
    '',
    '_Filed by the AEP dataflow retry action. It comments here when something changes and closes this issue once every failed window of the flow has been ingested._'
  ]
  return fit(lines)
}

/** Adobe's errors, run by run: the failure's, each failed retry's, the new run's, and diagnostics. */
function errorsByRun(windows: RunResult[]): string[] {
  const list = (errors: string[]): string =>
    errors
      .slice(0, 5)
      .map(e => inert(e))
      .join('; ')
  const lines = windows.slice(0, MAX_ERROR_WINDOWS).flatMap(w => {
    const d = w.diagnostics
    return [
      `- Failed run \`${w.runId}\`${windowLabel(w) ? ` (${inert(windowLabel(w))})` : ''}: ${w.previousErrors?.length ? list(w.previousErrors) : 'no error reported'}`,
      ...(w.retryErrors ?? []).map(
        (x, i) =>
          `  - retry ${i + 1}, run \`${x.runId}\` (${inert(x.status)}): ${x.errors.length ? list(x.errors) : 'no error reported'}`
      ),
      ...(w.newRunErrors?.length
        ? [`  - new run \`${w.newRunId}\` (${inert(w.finalStatus ?? '')}): ${list(w.newRunErrors)}`]
        : []),
      ...(d?.errorDetail ? [`  - the connector said: ${inert(d.errorDetail, 600)}`] : []),
      ...(d?.failedRecords ? [`  - failed records: ${code(d.failedRecords)}`] : []),
      ...(d?.sampleErrors ? [`  - sample errors: ${code(d.sampleErrors)}`] : [])
    ]
  })
  return lines.length ? ['', '**Errors reported by Adobe, run by run**', '', ...lines] : []
}

/** What the action will do next on its own, and how a person retries a window once it is fixed. */
function nextSteps(incident: Incident, ctx: IssueContext): string[] {
  const manual = incident.missing.filter(
    m => m.state === 'retries-exhausted' || m.state === 'needs-fix' || m.state === 'error'
  )
  const automatic = incident.missing.filter(m => !manual.includes(m))
  const action = actionReference()
  return [
    '',
    '**What happens next**',
    '',
    ...(automatic.length
      ? [
          `- The next sweep retries ${automatic.length === 1 ? 'its window' : `${automatic.length} of these windows`} again on its own, up to \`max-retries\` (${ctx.maxRetries || 'no limit'}), while ${automatic.length === 1 ? 'it started' : 'they started'} within \`lookback\`.`
        ]
      : []),
    ...(manual.length
      ? [
          `- The action will not retry ${manual.length === 1 ? 'this window' : `these ${manual.length} windows`} again (${[...new Set(manual.map(m => (m.state === 'needs-fix' ? `its error is in \`skip-errors\`` : m.state === 'error' ? 'Adobe refused it' : '`max-retries` reached')))].join('; ')}). Once the cause is fixed, retry by hand from a workflow:`,
          '',
          '```yaml',
          `- uses: ${action}`,
          '  with:',
          `    run-id: ${manual.length === 1 ? manual[0].runId : `|\n${manual.map(m => `      ${m.runId}`).join('\n')}`}`,
          '    force: true # past max-retries and skip-errors',
          `    sandbox: ${ctx.sandbox}`,
          '    org-id: ${{ secrets.AEP_ORG_ID }}',
          '    client-id: ${{ secrets.AEP_CLIENT_ID }}',
          '    client-secret: ${{ secrets.AEP_CLIENT_SECRET }}',
          '```'
        ]
      : [])
  ]
}

/** `owner/repo@ref` of this action as the runner names it, else a placeholder to fill in. */
function actionReference(env = process.env): string {
  const repo = env.GITHUB_ACTION_REPOSITORY ?? ''
  const ref = env.GITHUB_ACTION_REF ?? ''
  return /^[\w.-]+\/[\w.-]+$/.test(repo) && /^[\w./-]{1,100}$/.test(ref)
    ? `${repo}@${ref}`
    : '<owner>/<repo>@v1'
}

/** A window's state as the issue shows it: a wait says when the next retry is due. */
function stateOf(m: RunResult): string {
  return m.state === 'waiting' ? `waiting: next retry due ${shownTime(m.nextRetryAt)}` : m.state
}
