/**
 * A stand-in for the part of GitHub's REST API that escalation uses (issues: list, create,
 * comment, update), on loopback, pointed at by GITHUB_API_URL. Records every request, checks the
 * token, and refuses on demand (403 without `issues: write`, 404, 429). Never part of the bundle.
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
}

export interface GitHubRequest {
  method: string
  path: string
  authorization?: string
  body: string
}

export class GitHubStandIn {
  url = ''
  readonly token: string
  readonly issues: StandInIssue[] = []
  readonly requests: GitHubRequest[] = []
  /** Answer every request with this status (and GitHub's message) instead. */
  refuse?: { status: number; message: string }
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
    const send = (status: number, value: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
      res.end(JSON.stringify(value))
    }
    if (req.headers.authorization !== `token ${this.token}`)
      return send(401, { message: 'Bad credentials' })
    if (this.refuse) return send(this.refuse.status, { message: this.refuse.message })
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
