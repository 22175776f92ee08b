/**
 * A stand-in for the part of GitHub's REST API that escalation uses (issues: list, create,
 * comment, update), on loopback, pointed at by GITHUB_API_URL. Records every request, checks the
 * token, and refuses on demand (403 without `issues: write`, 404, 429). Faults on demand too
 * (`fault`): rate limits, a 5xx, a proxy's HTML page, an answer cut short, a redirect. As GitHub,
 * it refuses a body over 65,536 characters (422) and a comment on a locked issue (403). Never
 * part of the bundle.
 */
import * as http from 'node:http'
import { LoopbackServer } from './loopback.js'

export interface StandInIssue {
  number: number
  title: string
  body: string
  labels: string[]
  state: 'open' | 'closed'
  state_reason?: string
  comments: string[]
  /** Locked conversation: a comment is refused with 403, as GitHub does. */
  locked?: boolean
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
    const send = (status: number, value: unknown, headers: Record<string, string> = {}): void => {
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
    if (req.headers.authorization !== `token ${this.token}`)
      return send(401, { message: 'Bad credentials' })
    if (this.refuse) return send(this.refuse.status, { message: this.refuse.message })
    fault = this.takeFault(req.method ?? '', url.pathname)
    if (fault?.kind === 'status')
      return send(
        fault.status,
        { message: fault.message ?? http.STATUS_CODES[fault.status] },
        fault.headers
      )
    if (fault?.kind === 'secondary-rate-limit')
      return send(
        fault.status ?? 403,
        {
          message: `You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID ${requestId}.`,
          documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits`
        },
        { 'retry-after': String(fault.retryAfter ?? 1) }
      )
    if (fault?.kind === 'primary-rate-limit')
      return send(
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
      return send(
        fault.status ?? 301,
        { message: 'Moved Permanently', url: fault.location },
        { location: fault.location }
      )
    if (fault?.kind === 'html') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      return void res.end(
        '<!doctype html><html><head><title>Sign in to continue</title></head><body><form action="/login"></form></body></html>'
      )
    }
    const m = /^\/repos\/([^/]+)\/([^/]+)\/issues(?:\/(\d+))?(\/comments)?$/.exec(url.pathname)
    if (!m) return send(404, { message: 'Not Found' })
    const [, owner, repo, num, comments] = m
    const html = (n: number): string => `https://github.com/${owner}/${repo}/issues/${n}`
    const view = (i: StandInIssue) => ({
      number: i.number,
      title: i.title,
      body: i.body,
      state: i.state,
      state_reason: i.state_reason ?? null,
      html_url: html(i.number),
      labels: i.labels.map(name => ({ name }))
    })
    const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>
    if (typeof body.body === 'string' && [...body.body].length > MAX_BODY_CHARS)
      return send(422, {
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
      const label = url.searchParams.get('labels')
      const state = url.searchParams.get('state') ?? 'open'
      const perPage = Number(url.searchParams.get('per_page') ?? 30)
      const page = Number(url.searchParams.get('page') ?? 1)
      const found = this.issues
        .filter(i => (state === 'all' || i.state === state) && (!label || i.labels.includes(label)))
        .slice((page - 1) * perPage, page * perPage)
      return send(200, found.map(view))
    }
    if (req.method === 'POST' && !num) {
      const created: StandInIssue = {
        number: this.issues.length + 1,
        title: String(body.title),
        body: typeof body.body === 'string' ? body.body : '',
        labels: (body.labels as string[] | undefined) ?? [],
        state: 'open',
        comments: []
      }
      this.issues.push(created)
      return send(201, view(created))
    }
    if (!issue) return send(404, { message: 'Not Found' })
    if (req.method === 'POST' && comments) {
      if (issue.locked)
        return send(403, {
          message: 'Unable to create comment because issue is locked.',
          documentation_url: 'https://docs.github.com/articles/locking-conversations/'
        })
      issue.comments.push(String(body.body))
      return send(201, { id: issue.comments.length, body: body.body })
    }
    if (req.method === 'PATCH') {
      if (body.state === 'closed' || body.state === 'open') issue.state = body.state
      if (typeof body.state_reason === 'string') issue.state_reason = body.state_reason
      if (typeof body.body === 'string') issue.body = body.body
      return send(200, view(issue))
    }
    send(404, { message: 'Not Found' })
  }
}
