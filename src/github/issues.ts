/**
 * Escalation through GitHub: one open issue per failing flow, found by the first label and a
 * hidden marker with the flow id; commented when what it says changes, closed once every failed
 * window of the flow has been ingested. Loaded only when `issue-on-failure` is on (a dynamic
 * import: its own chunk of dist/, with Octokit), so no other run pays for it at start-up.
 *
 * GitHub is a server too: its answers are checked before they are trusted, each flow's
 * escalation stands alone (one refusal does not stop the others), and a listing that cannot be
 * read, or was cut, means "do not know": nothing is opened that may already exist. GitHub
 * refusing never changes the step's verdict: it is a warning that says what GitHub said.
 */
import type { Escalations, Incident, Recovery } from './escalation.js'
import {
  checked,
  createGitHubClient,
  describeGitHubRefusal,
  isIssue,
  isIssueList,
  type GitHubClient
} from './client.js'
import type { IssueSettings } from '../inputs/inputs.js'
import {
  describe,
  digest,
  goneDigest,
  goneText,
  marks,
  readMarks,
  recoveredText,
  title,
  type IssueContext
} from './issue-body.js'
import * as log from '../text/log.js'

export type { IssueContext } from './issue-body.js'

export interface IssueIo {
  requestTimeoutMs: number
  signal: AbortSignal
}

interface OpenIssue {
  number: number
  url: string
  state?: string
  missing: string[]
}

/** The open issues of this action by flow, and whether the listing was cut before its end. */
interface OpenIssues {
  byFlow: Map<string, OpenIssue>
  cut: boolean
}

// One list call covers 100 open issues; a repository with more of ours is read up to this many pages.
const MAX_PAGES = 10

/**
 * What escalation did in GitHub, one entry per issue of a flow seen: `unchanged` when the flow
 * needs a person and its open issue already says so (nothing sent), `open` when a failing flow
 * has an open issue this step had nothing to add to.
 */
export interface IssueAction {
  flowId: string
  number: number
  url: string
  action: 'opened' | 'commented' | 'closed' | 'unchanged' | 'open'
}

/** What escalation did, and what GitHub kept it from doing (said in the log and the summary). */
export interface IssueReport {
  actions: IssueAction[]
  /** Each warning escalation gave: GitHub's refusals, with what was not done. */
  problems: string[]
}

/** Files what needs a person and closes what recovered; answers what it did. */
export async function fileIssues(
  settings: IssueSettings,
  work: Escalations,
  ctx: IssueContext & IssueIo
): Promise<IssueReport> {
  // Called only with something to do (main.ts decides, before this chunk is loaded).
  const done: IssueAction[] = []
  const problems: string[] = []
  const warn = (text: string): void => {
    problems.push(text)
    log.warning(text)
  }
  const did = (
    flowId: string,
    { number, url }: { number: number; url: string },
    action: IssueAction['action']
  ): void => {
    done.push({ flowId, number, url, action })
  }
  // Retries, throttling, redirects, timeouts per attempt and logging: github-client.ts.
  const github = createGitHubClient(settings, ctx)
  const [owner, repo] = settings.repository.split('/')
  // The client times each attempt itself; a timeout here would also count its queue and retries.
  const request = (): { signal: AbortSignal } => ({ signal: ctx.signal })
  const comment = (issue_number: number, body: string) =>
    github.rest.issues.createComment({ owner, repo, issue_number, body, request: request() })
  const rewrite = (issue_number: number, body: string) =>
    github.rest.issues.update({ owner, repo, issue_number, body, request: request() })

  // The sandbox written in markers and titles: only when the step swept several (issue-body.ts).
  const mine = ctx.several ? ctx.sandbox : undefined
  let open: OpenIssues
  try {
    open = await openIssues(github, owner, repo, settings.labels[0], request, mine)
  } catch (err) {
    // Only flows that failed or recovered are work not done; a healthy flow is nobody's loss.
    const left = [
      ...work.incidents.map(i => `an issue for flow ${i.flowId}`),
      ...work.recoveries.map(r => `closing the issue of recovered flow ${r.flowId}`)
    ]
    warn(
      `Could not file GitHub issues: this action's open issues could not be read (${describeGitHubRefusal(err)}), and without knowing which flows have one, no issue was opened, commented or closed.${left.length ? ` Not done: ${left.slice(0, 5).join('; ')}${left.length > 5 ? `; and ${left.length - 5} more` : ''}.` : ''} The step's result is unchanged.`
    )
    return { actions: done, problems }
  }
  if (open.cut)
    warn(
      `More than ${MAX_PAGES * 100} open issues carry the label "${settings.labels[0]}": only the first ${MAX_PAGES * 100} were read, so no new issue is opened (it may exist among the others). Close the ones that are done.`
    )

  const fileIncident = async (incident: Incident): Promise<void> => {
    const existing = open.byFlow.get(incident.flowId)
    const state = digest(incident)
    const missing = incident.missing.map(r => r.runId)
    const body = describe(incident, ctx)
    if (existing) {
      if (existing.state === state) {
        did(incident.flowId, existing, 'unchanged')
        log.info(`Flow ${incident.flowId}: issue #${existing.number} already says this; no comment`)
        return
      }
      await comment(existing.number, body)
      await rewrite(existing.number, `${marks(incident.flowId, state, missing, mine)}\n${body}`)
      existing.state = state
      did(incident.flowId, existing, 'commented')
      log.info(`Flow ${incident.flowId}: commented on issue #${existing.number}`)
      return
    }
    if (open.cut) return
    const { data } = await github.rest.issues.create({
      owner,
      repo,
      title: title(incident, mine),
      body: `${marks(incident.flowId, state, missing, mine)}\n${body}`,
      labels: settings.labels,
      request: request()
    })
    const created = asIssue(data)
    if (!created) {
      warn(
        `Flow ${incident.flowId}: GitHub accepted the new issue but its answer does not say which it is; the next run finds it by its marker.`
      )
      return
    }
    open.byFlow.set(incident.flowId, { ...created, state, missing })
    did(incident.flowId, created, 'opened')
    log.info(`Flow ${incident.flowId}: opened issue #${created.number}`)
    const labels: unknown[] = Array.isArray((data as { labels?: unknown }).labels)
      ? (data as { labels: unknown[] }).labels
      : []
    const labelled = labels.some(
      l =>
        (typeof l === 'string' ? l : (l as { name?: unknown } | null)?.name) === settings.labels[0]
    )
    if (!labelled)
      warn(
        `Issue #${created.number} was opened without the label "${settings.labels[0]}", so a later run cannot find it: the token may lack permission to set labels.`
      )
  }

  const closeRecovered = async (recovery: Recovery): Promise<void> => {
    const existing = open.byFlow.get(recovery.flowId)
    if (!existing) return
    // A window the issue named that this sweep no longer sees left `lookback` unrecovered.
    const gone = existing.missing.filter(id => !recovery.settled.includes(id))
    if (gone.length > 0) {
      const state = goneDigest(gone)
      if (existing.state === state) return
      const text = goneText(gone, ctx.runUrl)
      await comment(existing.number, text)
      await rewrite(
        existing.number,
        `${marks(recovery.flowId, state, existing.missing, mine)}\n${text}`
      )
      existing.state = state
      did(recovery.flowId, existing, 'commented')
      log.warning(
        `Flow ${recovery.flowId}: issue #${existing.number} stays open: ${gone.length} failed window(s) left the lookback unrecovered`
      )
      return
    }
    await comment(existing.number, recoveredText(recovery, ctx))
    await github.rest.issues.update({
      owner,
      repo,
      issue_number: existing.number,
      state: 'closed',
      state_reason: 'completed',
      request: request()
    })
    did(recovery.flowId, existing, 'closed')
    log.info(`Flow ${recovery.flowId} recovered: closed issue #${existing.number}`)
  }

  // Each flow's escalation stands alone: a locked issue or a refusal for one is that flow's.
  const tasks = [
    ...work.incidents.map(i => ({
      flowId: i.flowId,
      what: `an issue for flow ${i.flowId}`,
      run: () => fileIncident(i)
    })),
    ...work.recoveries.map(r => ({
      flowId: r.flowId,
      what: `closing the issue of recovered flow ${r.flowId}`,
      run: () => closeRecovered(r)
    })),
    ...work.quiet.map(r => ({
      flowId: r.flowId,
      what: `settling the open issue of flow ${r.flowId}, which had no failed run within \`lookback\``,
      run: () => closeRecovered(r)
    }))
  ]
  for (const task of tasks) {
    if (ctx.signal.aborted) break
    try {
      await task.run()
    } catch (err) {
      warn(
        `Could not file ${task.what} (${describeGitHubRefusal(err)}). The other flows' issues are unaffected; the step's result is unchanged.`
      )
    }
  }
  // The open issue of every flow seen failing, linked where people look, even with nothing to add.
  for (const flowId of work.failing) {
    const issue = open.byFlow.get(flowId)
    if (issue && !done.some(d => d.flowId === flowId)) did(flowId, issue, 'open')
  }
  return { actions: done, problems }
}

/** The number and link of an issue GitHub described, or undefined when the answer is not one. */
function asIssue(value: unknown): { number: number; url: string } | undefined {
  return isIssue(value) ? { number: value.number, url: value.html_url } : undefined
}

/**
 * The open issues of this action, by the flow id in their marker: one list call per 100. An
 * answer that is not a list of issues (a proxy's HTML page, a body cut short) is an error: "no
 * open issue" must never be read from an answer that cannot be read.
 */
async function openIssues(
  github: GitHubClient,
  owner: string,
  repo: string,
  label: string,
  request: () => { signal: AbortSignal },
  /** With several sandboxes: this one's issues only (another sandbox's are its own step's). */
  sandbox?: string
): Promise<OpenIssues> {
  const byFlow = new Map<string, OpenIssue>()
  for (let page = 1; page <= MAX_PAGES; page++) {
    const answer = await github.rest.issues.listForRepo({
      owner,
      repo,
      labels: label,
      state: 'open',
      per_page: 100,
      page,
      request: request()
    })
    const data = checked(answer.data as unknown, isIssueList, 'a list of issues')
    for (const issue of data) {
      if (issue.pull_request) continue
      const marked = readMarks(issue.body ?? '')
      const { flowId, state, missing } = marked
      // An issue is (sandbox, flow)'s. One without a sandbox marker was filed by a one-sandbox
      // step: it matches by its flow id alone, which is a UUID no other sandbox's flow has, so it
      // is that flow's issue in the sandbox it was filed in, whether the step now sweeps one
      // sandbox or several.
      if (sandbox && marked.sandbox && marked.sandbox !== sandbox) continue
      if (flowId && !byFlow.has(flowId))
        byFlow.set(flowId, { number: issue.number, url: issue.html_url, state, missing })
    }
    if (data.length < 100) return { byFlow, cut: false }
  }
  return { byFlow, cut: true }
}
