/**
 * Escalation through GitHub: one open issue per failing flow, found by the first label and a
 * hidden marker with the flow id; commented while the flow keeps failing, closed when it
 * recovers. Loaded only when `issue-on-failure` is on (a dynamic import: its own chunk of dist/,
 * with Octokit and, on first request, undici), so no other run pays for it at start-up.
 * GitHub refusing never changes the step's verdict: it is a warning that says what to fix.
 */
import { getOctokit } from '@actions/github'
import { createHash } from 'node:crypto'
import type { Incident, Recovery } from './escalation.js'
import type { IssueSettings } from './inputs.js'
import type { RunResult } from './result.js'
import * as log from './log.js'
import { oneLine } from './log.js'
import type { Report } from './report.js'
import { escape } from './report.js'
import { windowLabel } from './runs.js'
import { redact } from './secrets.js'
import { UUID } from './ids.js'

type Octokit = ReturnType<typeof getOctokit>

export interface IssueContext {
  sandbox: string
  /** `max-retries`, for what the next sweep will do. */
  maxRetries: number
  runUrl?: string
  requestTimeoutMs: number
  signal: AbortSignal
}

const marker = (flowId: string): string => `<!-- aep-flow: ${flowId} -->`
const MARKER = /<!-- aep-flow: ([0-9a-f-]{36}) -->/
// What the issue last said, so a sweep comments only when something changed: a digest of the
// state, and the failed runs whose windows are still missing (to know one that left `lookback`).
const stateMarker = (state: string, missing: string[]): string =>
  `<!-- aep-state: ${state} -->\n<!-- aep-missing: ${missing.slice(0, MAX_MISSING_IDS).join(',')} -->`
const STATE = /<!-- aep-state: ([\w:-]{1,100}) -->/
const MISSING = /<!-- aep-missing: ([0-9a-f,-]*) -->/
const MAX_MISSING_IDS = 500
// The windows listed in an issue's table; the marker holds more.
const MAX_WINDOW_ROWS = 50

interface OpenIssue {
  number: number
  url: string
  state?: string
  missing: string[]
}

/** A short digest of what an incident says, times left out: equal digests, nothing new to say. */
function digest(incident: Incident): string {
  const parts = [
    incident.headline.replace(/"[^"]*"/g, ''),
    ...incident.missing.map(r => `${r.runId}:${r.state}:${r.newRunId ?? ''}:${r.finalStatus ?? ''}`)
  ]
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 16)
}
// One list call covers 100 open issues; a repository with more of ours is read up to this many pages.
const MAX_PAGES = 10

/** Files what needs a person and closes what recovered; records each action in the report. */
export async function fileIssues(
  settings: IssueSettings,
  work: { incidents: Incident[]; recoveries: Recovery[] },
  report: Report,
  ctx: IssueContext
): Promise<void> {
  if (work.incidents.length === 0 && work.recoveries.length === 0) return
  // No `request` option here: it would replace the proxy-aware fetch @actions/github sets up.
  const github = getOctokit(settings.token, {
    baseUrl: settings.apiUrl,
    userAgent: 'aep-retry-dataflow-run'
  })
  const [owner, repo] = settings.repository.split('/')
  const request = (): { signal: AbortSignal } => ({
    signal: AbortSignal.any([ctx.signal, AbortSignal.timeout(ctx.requestTimeoutMs)])
  })
  const comment = (issue_number: number, body: string) =>
    github.rest.issues.createComment({ owner, repo, issue_number, body, request: request() })
  type Open = Awaited<ReturnType<typeof openIssues>>
  const tasks: { what: string; run: (open: Open) => Promise<void> }[] = [
    ...work.incidents.map(incident => ({
      what: `an issue for flow ${incident.flowId} (${incident.headline})`,
      run: (open: Open) => fileIncident(incident, open)
    })),
    ...work.recoveries.map(recovery => ({
      what: `closing any open issue of recovered flow ${recovery.flowId}`,
      run: (open: Open) => closeRecovered(recovery, open)
    }))
  ]

  const fileIncident = async (incident: Incident, open: Open): Promise<void> => {
    const existing = open.get(incident.flowId)
    const state = digest(incident)
    const missing = incident.missing.map(r => r.runId)
    const body = describe(incident, ctx)
    if (existing) {
      if (existing.state === state) {
        log.info(`Flow ${incident.flowId}: issue #${existing.number} already says this; no comment`)
        return
      }
      await comment(existing.number, body)
      await github.rest.issues.update({
        owner,
        repo,
        issue_number: existing.number,
        body: `${marker(incident.flowId)}\n${stateMarker(state, missing)}\n${body}`,
        request: request()
      })
      existing.state = state
      report.issues.push({ flowId: incident.flowId, ...existing, action: 'commented' })
      log.info(`Flow ${incident.flowId}: commented on issue #${existing.number}`)
      return
    }
    const { data } = await github.rest.issues.create({
      owner,
      repo,
      title: redact(
        `AEP dataflow ${incident.flowName ? `"${oneLineTitle(incident.flowName)}" ` : ''}(${incident.flowId}) needs attention`
      ),
      body: `${marker(incident.flowId)}\n${stateMarker(state, missing)}\n${body}`,
      labels: settings.labels,
      request: request()
    })
    open.set(incident.flowId, { number: data.number, url: data.html_url, state, missing })
    report.issues.push({
      flowId: incident.flowId,
      number: data.number,
      url: data.html_url,
      action: 'opened'
    })
    log.info(`Flow ${incident.flowId}: opened issue #${data.number}`)
    const labelled = (data.labels ?? []).some(
      l => (typeof l === 'string' ? l : l.name) === settings.labels[0]
    )
    if (!labelled)
      log.warning(
        `Issue #${data.number} was opened without the label "${settings.labels[0]}", so a later run cannot find it: the token may lack permission to set labels.`
      )
  }

  const closeRecovered = async (recovery: Recovery, open: Open): Promise<void> => {
    const existing = open.get(recovery.flowId)
    if (!existing) return
    // A window the issue named that this sweep no longer sees left `lookback` unrecovered.
    const gone = existing.missing.filter(id => !recovery.settled.includes(id))
    if (gone.length > 0) {
      const state = `gone-${createHash('sha256').update(gone.join(',')).digest('hex').slice(0, 12)}`
      if (existing.state === state) return
      const text = redact(
        `The failed window(s) of run(s) ${gone.map(id => `\`${id}\``).join(', ')} left the sweep's \`lookback\` without a run that succeeded: the action no longer retries them, and their data is missing. Recover them by hand (\`run-id\` with \`force: true\`, once the cause is fixed), then close this issue.${ctx.runUrl ? `\n\nSeen by [this workflow run](${ctx.runUrl}).` : ''}`
      )
      await comment(existing.number, text)
      await github.rest.issues.update({
        owner,
        repo,
        issue_number: existing.number,
        body: `${marker(recovery.flowId)}\n${stateMarker(state, existing.missing)}\n${text}`,
        request: request()
      })
      existing.state = state
      report.issues.push({ flowId: recovery.flowId, ...existing, action: 'commented' })
      log.warning(
        `Flow ${recovery.flowId}: issue #${existing.number} stays open: ${gone.length} failed window(s) left the lookback unrecovered`
      )
      return
    }
    const body = `Every failed window of dataflow \`${recovery.flowId}\` in sandbox \`${ctx.sandbox}\` that the action saw has been ingested${recovery.recoveredBy.length ? ` (by run${recovery.recoveredBy.length === 1 ? '' : 's'} ${recovery.recoveredBy.map(id => `\`${id}\``).join(', ')})` : ''}: the flow has recovered. Closing.${ctx.runUrl ? `\n\nSeen by [this workflow run](${ctx.runUrl}).` : ''}`
    await comment(existing.number, body)
    await github.rest.issues.update({
      owner,
      repo,
      issue_number: existing.number,
      state: 'closed',
      state_reason: 'completed',
      request: request()
    })
    report.issues.push({ flowId: recovery.flowId, ...existing, action: 'closed' })
    log.info(`Flow ${recovery.flowId} recovered: closed issue #${existing.number}`)
  }

  let next = 0
  try {
    const open = await openIssues(github, owner, repo, settings.labels[0], request)
    for (; next < tasks.length; next++) await tasks[next].run(open)
  } catch (err) {
    const left = tasks.slice(next).map(t => t.what)
    log.warning(
      `Could not file GitHub issues (${why(err)}). Not done: ${left.slice(0, 5).join('; ')}${left.length > 5 ? `; and ${left.length - 5} more` : ''}. The step's result is unchanged.`
    )
  }
}

/** The open issues of this action, by the flow id in their marker: one list call per 100. */
async function openIssues(
  github: Octokit,
  owner: string,
  repo: string,
  label: string,
  request: () => { signal: AbortSignal }
): Promise<Map<string, OpenIssue>> {
  const open = new Map<string, OpenIssue>()
  for (let page = 1; page <= MAX_PAGES; page++) {
    const { data } = await github.rest.issues.listForRepo({
      owner,
      repo,
      labels: label,
      state: 'open',
      per_page: 100,
      page,
      request: request()
    })
    for (const issue of data) {
      const body = issue.body ?? ''
      const flowId = MARKER.exec(body)?.[1]
      if (flowId && !issue.pull_request && !open.has(flowId))
        open.set(flowId, {
          number: issue.number,
          url: issue.html_url,
          state: STATE.exec(body)?.[1],
          missing: (MISSING.exec(body)?.[1] ?? '').split(',').filter(id => UUID.test(id))
        })
    }
    if (data.length < 100) break
  }
  return open
}

/** An issue body or comment: what happened, the runs, Adobe's codes and texts, where and when. */
function describe(incident: Incident, ctx: IssueContext): string {
  const r = incident.result
  const rows: [string, string][] = [
    [
      'Dataflow',
      `${incident.flowName ? `${escape(incident.flowName)} ` : ''}\`${incident.flowId}\``
    ],
    ['Sandbox', `\`${ctx.sandbox}\``],
    ['Failed run', `\`${r.runId}\``],
    ...(r.newRunId
      ? ([
          ['New run', `\`${r.newRunId}\`${r.finalStatus ? ` (${escape(r.finalStatus)})` : ''}`]
        ] as [string, string][])
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
    `**This dataflow needs a person:** ${escape(incident.headline)}.`,
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    ...(r.error ? ['', `**What the action saw:** ${escape(r.error, 2000, { code: true })}`] : []),
    ...(incident.missing.length
      ? [
          '',
          `**Failed windows not yet recovered (${incident.missing.length})**`,
          '',
          '| Failed run | Window | State |',
          '|---|---|---|',
          ...incident.missing
            .slice(0, MAX_WINDOW_ROWS)
            .map(m => `| \`${m.runId}\` | ${escape(windowLabel(m) || '—')} | ${escape(m.state)} |`),
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
  return redact(lines.join('\n'))
}

// Windows whose errors an issue spells out; the rest are in the job summary.
const MAX_ERROR_WINDOWS = 10

/** Adobe's errors, run by run: the failure's, each failed retry's, the new run's, and diagnostics. */
function errorsByRun(windows: RunResult[]): string[] {
  const list = (errors: string[]): string =>
    errors
      .slice(0, 5)
      .map(e => escape(e))
      .join('; ')
  const lines = windows.slice(0, MAX_ERROR_WINDOWS).flatMap(w => {
    const d = w.diagnostics
    return [
      `- Failed run \`${w.runId}\`${windowLabel(w) ? ` (${escape(windowLabel(w))})` : ''}: ${w.previousErrors?.length ? list(w.previousErrors) : 'no error reported'}`,
      ...(w.retryErrors ?? []).map(
        (x, i) =>
          `  - retry ${i + 1}, run \`${x.runId}\` (${escape(x.status)}): ${x.errors.length ? list(x.errors) : 'no error reported'}`
      ),
      ...(w.newRunErrors?.length
        ? [
            `  - new run \`${w.newRunId}\` (${escape(w.finalStatus ?? '')}): ${list(w.newRunErrors)}`
          ]
        : []),
      ...(d?.errorDetail ? [`  - the connector said: ${escape(d.errorDetail, 600)}`] : []),
      ...(d?.failedRecords ? [`  - failed records: \`${escapeCode(d.failedRecords)}\``] : []),
      ...(d?.sampleErrors ? [`  - sample errors: \`${escapeCode(d.sampleErrors)}\``] : [])
    ]
  })
  return lines.length ? ['', '**Errors reported by Adobe, run by run**', '', ...lines] : []
}

const escapeCode = (text: string): string => oneLine(text).replace(/`/g, "'").slice(0, 500)

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

function oneLineTitle(name: string): string {
  return name.replace(/[\r\n\u0000-\u001f]+/g, ' ').slice(0, 100) // eslint-disable-line no-control-regex
}

/** GitHub's refusal in words a workflow author can act on; never a stack trace, never the token. */
function why(err: unknown): string {
  const status = (err as { status?: number }).status
  const message = redact(err instanceof Error ? err.message : String(err))
    .split('\n')[0]
    .slice(0, 300)
  if (status === 403)
    return `GitHub answered 403: add \`permissions: issues: write\` to the job (or the workflow). ${message}`
  if (status === 404)
    return `GitHub answered 404: the repository was not found with this token. ${message}`
  if (status === 429) return `GitHub is rate-limiting this token: ${message}`
  if (status === 401) return `GitHub refused the token (401): check \`github-token\`. ${message}`
  return message
}
