/**
 * A stand-in for the part of GitHub's REST API that escalation uses (issues: list, create,
 * comment, update), on loopback, pointed at by GITHUB_API_URL. Records every request, checks the
 * token, and refuses on demand (403 without `issues: write`, 404, 429). Faults on demand too
 * (`fault`): rate limits, a 5xx, a proxy's HTML page, an answer cut short, a redirect. As GitHub,
 * it refuses a body over 65,536 characters (422) and a comment on a locked issue (403). Never
 * part of the bundle.
 *
 * Every answer is typed with GitHub's published OpenAPI schema (@octokit/openapi-types, the types
 * Octokit's own requests are checked against): an issue, a comment or an error that drifts from
 * what GitHub sends fails the type-check instead of passing the tests against a kinder GitHub.
 * The fields the action never reads are filled too, with the values GitHub gives an issue opened
 * with a workflow's GITHUB_TOKEN. Type-only imports: nothing of the package is loaded.
 */
import * as http from 'node:http'
import type { components } from '@octokit/openapi-types'
import { LoopbackServer } from './loopback.js'

type Schemas = components['schemas']
/** An issue as GitHub answers it (list, create, update). */
type GitHubIssue = Schemas['issue']
/** A comment as GitHub answers its creation. */
type GitHubIssueComment = Schemas['issue-comment']
/** GitHub's error body (401, 403, 404, 429, 5xx, a redirect's). */
type GitHubError = Schemas['basic-error']
/** GitHub's 422 body. */
type GitHubValidationError = Schemas['validation-error']
type Label = Exclude<GitHubIssue['labels'][number], string>
type StateReason = NonNullable<GitHubIssue['state_reason']>
const STATE_REASONS: readonly StateReason[] = ['completed', 'reopened', 'not_planned', 'duplicate']

export interface StandInIssue {
  number: number
  title: string
  body: string
  labels: string[]
  state: 'open' | 'closed'
  state_reason?: StateReason | null
  comments: string[]
  /** Locked conversation: a comment is refused with 403, as GitHub does. */
  locked?: boolean
  /** ISO 8601 times, as GitHub gives them; the stand-in's start when a test leaves them out. */
  createdAt?: string
  updatedAt?: string
  closedAt?: string
}

export interface GitHubRequest {
  method: string
  path: string
  authorization?: string
  body: string
}

/** What GitHub (or something between) may answer instead, on demand: see `GitHubStandIn.fault`. */
export type GitHubFault =
  /** This status with GitHub's message (a 502; a 403 of another kind). */
  | { kind: 'status'; status: number; message?: string; headers?: Record<string, string> }
  /** GitHub's secondary rate limit: 403 (or 429) with `retry-after` (1 s unless given). */
  | { kind: 'secondary-rate-limit'; retryAfter?: number; status?: 403 | 429 }
  /** The primary rate limit used up: `x-ratelimit-remaining: 0`, reset `resetIn` s (3600) on. */
  | { kind: 'primary-rate-limit'; resetIn?: number; status?: 403 | 429 }
  /** A 200 HTML page, as a proxy's login page. */
  | { kind: 'html' }
  /** The usual answer cut off mid-body: `content-length` promises more, the connection closes. */
  | { kind: 'cut-short' }
  /** A redirect to `location` (another server's URL, or a path here). */
  | { kind: 'redirect'; location: string; status?: 301 | 302 | 307 | 308 }
  /** The usual answer with these headers added (`deprecation`, `sunset`, `link`). */
  | { kind: 'headers'; headers: Record<string, string> }

/** Which requests a fault answers: by method and path, the next `times` (1) of them. */
export interface FaultMatch {
  method?: string
  path?: RegExp
  times?: number
}

const MAX_BODY_CHARS = 65536
const DOCS = 'https://docs.github.com/rest'

/** Now, to the second, as GitHub writes times. */
const now = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z')

/** The author of what a workflow's GITHUB_TOKEN writes: the github-actions app's bot user. */
function actionsBot(api: string): NonNullable<GitHubIssue['user']> {
  const url = `${api}/users/github-actions%5Bbot%5D`
  return {
    login: 'github-actions[bot]',
    id: 41898282,
    node_id: 'MDM6Qm90NDE4OTgyODI=',
    avatar_url: 'https://avatars.githubusercontent.com/in/15368?v=4',
    gravatar_id: '',
    url,
    html_url: 'https://github.com/apps/github-actions',
    followers_url: `${url}/followers`,
    following_url: `${url}/following{/other_user}`,
    gists_url: `${url}/gists{/gist_id}`,
    starred_url: `${url}/starred{/owner}{/repo}`,
    subscriptions_url: `${url}/subscriptions`,
    organizations_url: `${url}/orgs`,
    repos_url: `${url}/repos`,
    events_url: `${url}/events{/privacy}`,
    received_events_url: `${url}/received_events`,
    type: 'Bot',
    user_view_type: 'public',
    site_admin: false
  }
}

export class GitHubStandIn {
  url = ''
  readonly token: string
  readonly issues: StandInIssue[] = []
  readonly requests: GitHubRequest[] = []
  /** Answer every request with this status (and GitHub's message) instead. */
  refuse?: { status: number; message: string }
  /** Faults still to answer with, the first that matches a request first. */
  readonly faults: (FaultMatch & { fault: GitHubFault; times: number })[] = []
  private readonly server: LoopbackServer
  /** When the stand-in started: the creation time of issues a test puts in place. */
  private readonly startedAt = now()
  /** Label ids by name, as a repository's labels keep theirs. */
  private readonly labelIds = new Map<string, number>()
  private commentIds = 0

  constructor(token = 'ghs_StandInToken0123456789abcdefABCDEF') {
    this.token = token
    this.server = new LoopbackServer((req, res) => {
      let body = ''
      req.on('data', (c: Buffer) => (body += c.toString()))
      req.on('end', () => this.handle(req, res, body))
    })
  }

  async start(): Promise<this> {
    this.url = await this.server.start()
    return this
  }

  stop(): Promise<void> {
    return this.server.stop()
  }

  /** Answers the next matching request(s) with `fault` instead (after the token check). */
  fault(fault: GitHubFault, match: FaultMatch = {}): this {
    this.faults.push({ ...match, fault, times: match.times ?? 1 })
    return this
  }

  private takeFault(method: string, path: string): GitHubFault | undefined {
    const i = this.faults.findIndex(
      f => (!f.method || f.method === method) && (!f.path || f.path.test(path))
    )
    if (i < 0) return undefined
    const found = this.faults[i]
    if (--found.times <= 0) this.faults.splice(i, 1)
    return found.fault
  }

  /** Everything GitHub was sent: bodies of issues and comments included, for leak scans. */
  sentText(): string {
    return this.requests.map(r => `${r.path}\n${r.body}`).join('\n')
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
    const url = new URL(req.url ?? '/', 'http://x')
    this.requests.push({
      method: req.method ?? '',
      path: url.pathname + url.search,
      authorization: req.headers.authorization,
      body: raw
    })
    const requestId = `STANDIN:${this.requests.length}`
    let fault: GitHubFault | undefined = undefined
    const write = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
      const text = JSON.stringify(value)
      res.writeHead(status, {
        'content-type': 'application/json; charset=utf-8',
        'x-github-request-id': requestId,
        ...(fault?.kind === 'headers' ? fault.headers : {}),
        ...(fault?.kind === 'cut-short'
          ? { 'content-length': String(Buffer.byteLength(text)) }
          : {}),
        ...headers
      })
      if (fault?.kind !== 'cut-short') return void res.end(text)
      res.write(text.slice(0, Math.floor(text.length / 2)), () => res.destroy())
    }
    // What GitHub answers, held to its schema: a success, an error, a validation failure.
    const send = (status: number, value: GitHubIssue | GitHubIssue[] | GitHubIssueComment): void =>
      write(status, value)
    const fail = (status: number, value: GitHubError, headers?: Record<string, string>): void =>
      write(status, { ...value, status: String(status) } satisfies GitHubError, headers)
    const invalid = (value: GitHubValidationError): void => write(422, value)
    if (req.headers.authorization !== `token ${this.token}`)
      return fail(401, { message: 'Bad credentials', documentation_url: DOCS })
    if (this.refuse) return fail(this.refuse.status, { message: this.refuse.message })
    fault = this.takeFault(req.method ?? '', url.pathname)
    if (fault?.kind === 'status')
      return fail(
        fault.status,
        { message: fault.message ?? http.STATUS_CODES[fault.status] },
        fault.headers
      )
    if (fault?.kind === 'secondary-rate-limit')
      return fail(
        fault.status ?? 403,
        {
          message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
          documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits`
        },
        { 'retry-after': String(fault.retryAfter ?? 1) }
      )
    if (fault?.kind === 'primary-rate-limit')
      return fail(
        fault.status ?? 403,
        {
          message: 'API rate limit exceeded for installation ID 1.',
          documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api`
        },
        {
          'x-ratelimit-limit': '5000',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-used': '5000',
          'x-ratelimit-resource': 'core',
          'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + (fault.resetIn ?? 3600))
        }
      )
    if (fault?.kind === 'redirect')
      return fail(
        fault.status ?? 301,
        {
          message: 'Moved Permanently',
          url: fault.location,
          documentation_url: `${DOCS}/guides/best-practices-for-using-the-rest-api#follow-redirects`
        },
        { location: fault.location }
      )
    if (fault?.kind === 'html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      return void res.end(
        '<!doctype html><html><head><title>Sign in to continue</title></head><body><form action="/login"></form></body></html>'
      )
    }
    const m = /^\/repos\/([^/]+)\/([^/]+)\/issues(?:\/(\d+))?(\/comments)?$/.exec(url.pathname)
    if (!m) return fail(404, { message: 'Not Found', documentation_url: DOCS })
    const [, owner, repo, num, comments] = m
    const notFound = (): void =>
      fail(404, { message: 'Not Found', documentation_url: `${DOCS}/issues/issues#get-an-issue` })
    const api = `${this.url}/repos/${owner}/${repo}`
    const html = `https://github.com/${owner}/${repo}`
    const bot = actionsBot(this.url)
    const reactions = (url: string): GitHubIssue['reactions'] => ({
      url: `${url}/reactions`,
      total_count: 0,
      '+1': 0,
      '-1': 0,
      laugh: 0,
      confused: 0,
      heart: 0,
      hooray: 0,
      eyes: 0,
      rocket: 0
    })
    const label = (name: string): Label => {
      const id = this.labelIds.get(name) ?? 7_100_000_000 + this.labelIds.size + 1
      this.labelIds.set(name, id)
      return {
        id,
        node_id: `LA_kwDOStandIn${id}`,
        url: `${api}/labels/${encodeURIComponent(name)}`,
        name,
        // A label the issue creates is made with GitHub's default colour and no description.
        color: 'ededed',
        default: false,
        description: null
      }
    }
    const view = (i: StandInIssue): GitHubIssue => {
      const url = `${api}/issues/${i.number}`
      return {
        url,
        repository_url: api,
        labels_url: `${url}/labels{/name}`,
        comments_url: `${url}/comments`,
        events_url: `${url}/events`,
        html_url: `${html}/issues/${i.number}`,
        id: 3_100_000_000 + i.number,
        node_id: `I_kwDOStandIn${i.number}`,
        number: i.number,
        title: i.title,
        user: bot,
        labels: i.labels.map(label),
        state: i.state,
        locked: Boolean(i.locked),
        assignee: null,
        assignees: [],
        milestone: null,
        comments: i.comments.length,
        created_at: i.createdAt ?? this.startedAt,
        updated_at: i.updatedAt ?? i.createdAt ?? this.startedAt,
        closed_at: i.state === 'closed' ? (i.closedAt ?? i.updatedAt ?? this.startedAt) : null,
        author_association: 'NONE',
        active_lock_reason: i.locked ? 'resolved' : null,
        // GitHub sends null, not "", for an issue without a body.
        body: i.body === '' ? null : i.body,
        reactions: reactions(url),
        timeline_url: `${url}/timeline`,
        state_reason: i.state_reason ?? null
      }
    }
    const commentView = (i: StandInIssue, id: number, text: string, at: string) => {
      const url = `${api}/issues/comments/${id}`
      const comment: GitHubIssueComment = {
        url,
        html_url: `${html}/issues/${i.number}#issuecomment-${id}`,
        issue_url: `${api}/issues/${i.number}`,
        id,
        node_id: `IC_kwDOStandIn${id}`,
        user: bot,
        created_at: at,
        updated_at: at,
        author_association: 'NONE',
        body: text,
        reactions: reactions(url)
      }
      return comment
    }
    const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>
    if (typeof body.body === 'string' && [...body.body].length > MAX_BODY_CHARS)
      return invalid({
        message: 'Validation Failed',
        errors: [
          {
            resource: comments ? 'IssueComment' : 'Issue',
            code: 'custom',
            field: 'body',
            message: `body is too long (maximum is ${MAX_BODY_CHARS} characters)`
          }
        ],
        documentation_url: `${DOCS}/issues`
      })
    const issue = num ? this.issues.find(i => i.number === Number(num)) : undefined
    if (req.method === 'GET' && !num) {
      const wanted = url.searchParams.get('labels')
      const state = url.searchParams.get('state') ?? 'open'
      const perPage = Number(url.searchParams.get('per_page') ?? 30)
      const page = Number(url.searchParams.get('page') ?? 1)
      const found = this.issues
        .filter(
          i => (state === 'all' || i.state === state) && (!wanted || i.labels.includes(wanted))
        )
        .slice((page - 1) * perPage, page * perPage)
      return send(200, found.map(view))
    }
    if (req.method === 'POST' && !num) {
      const at = now()
      const created: StandInIssue = {
        number: this.issues.length + 1,
        title: String(body.title),
        body: typeof body.body === 'string' ? body.body : '',
        labels: (body.labels as string[] | undefined) ?? [],
        state: 'open',
        comments: [],
        createdAt: at,
        updatedAt: at
      }
      this.issues.push(created)
      return send(201, view(created))
    }
    if (!issue) return notFound()
    if (req.method === 'POST' && comments) {
      if (issue.locked)
        return fail(403, {
          message: 'Unable to create comment because issue is locked.',
          documentation_url: 'https://docs.github.com/articles/locking-conversations/'
        })
      const at = now()
      issue.comments.push(String(body.body))
      issue.updatedAt = at
      return send(201, commentView(issue, 9_100_000_000 + ++this.commentIds, String(body.body), at))
    }
    if (req.method === 'PATCH') {
      const reason = body.state_reason
      if (reason !== undefined && reason !== null && !STATE_REASONS.includes(reason as StateReason))
        return invalid({
          message: 'Validation Failed',
          errors: [{ resource: 'Issue', code: 'invalid', field: 'state_reason' }],
          documentation_url: `${DOCS}/issues/issues#update-an-issue`
        })
      const at = now()
      if (body.state === 'closed' && issue.state !== 'closed') issue.closedAt = at
      if (body.state === 'closed' || body.state === 'open') issue.state = body.state
      if (reason !== undefined) issue.state_reason = reason as StateReason | null
      if (typeof body.body === 'string') issue.body = body.body
      issue.updatedAt = at
      return send(200, view(issue))
    }
    notFound()
  }
}
