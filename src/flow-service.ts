import * as core from '@actions/core'
import type { TokenSource } from './auth.js'
import { AmbiguousOutcomeError, apiError, flowServiceHint, parseJsonAnswer } from './errors.js'
import type { HttpResponse, Transport } from './http.js'
import type { RateGate } from './pacing.js'
import { withRetries, type RetryBudget } from './retry.js'
import { parseRun, runFromAnswer, type RunInfo } from './runs.js'

export interface FlowServiceConfig {
  platformUrl: string
  sandbox: string
  orgId: string
  apiKey: string
  tokens: TokenSource
  /** Keep-alive connections for reads, which are safe to resend. */
  reads: Transport
  /** A fresh connection per re-trigger: a stale keep-alive socket must never make a POST ambiguous. */
  writes: Transport
  gate: RateGate
  budget: RetryBudget
  signal?: AbortSignal
}

export interface Retriggered {
  id: string
  etag: string
}

const MAX_PAGES = 200

/** The Flow Service calls this action makes: read a run, list a flow's runs, re-trigger a run. */
export class FlowService {
  private readonly base: string
  /** Server clock minus runner clock, learned from `Date` headers, for time windows Adobe compares. */
  private clockOffsetMs = 0

  constructor(private readonly config: FlowServiceConfig) {
    this.base = `${config.platformUrl}/data/foundation/flowservice`
  }

  /** A moment of the runner's clock in the server's clock (±1 s), from the last `Date` header seen. */
  serverTime(local = Date.now()): number {
    return local + this.clockOffsetMs
  }

  async getRun(runId: string, budget?: RetryBudget): Promise<RunInfo> {
    const res = await this.send(
      'GET',
      `${this.base}/runs/${runId}`,
      `Reading run ${runId}`,
      runId,
      budget
    )
    const run = runFromAnswer(parseJsonAnswer(res, `Reading run ${runId}`))
    if (!run) throw new Error(`Reading run ${runId}: the answer holds no run (HTTP ${res.status})`)
    return run
  }

  /** A flow's runs created after `createdAfter` (epoch ms), every page followed, newest first. */
  async listRuns(flowId: string, createdAfter: number): Promise<RunInfo[]> {
    const query = new URLSearchParams([
      ['property', `flowId==${flowId}`],
      ['property', `createdAt>${Math.floor(createdAfter)}`],
      ['orderby', '-createdAt'],
      ['limit', '100']
    ])
    let url: string | undefined = `${this.base}/runs?${query.toString()}`
    const runs: RunInfo[] = []
    for (let page = 1; url; page++) {
      if (page > MAX_PAGES)
        throw new Error(
          `Listing runs of flow ${flowId}: more than ${MAX_PAGES} pages; narrow \`lookback\``
        )
      const what = `Listing runs of flow ${flowId}`
      const answer = parseJsonAnswer(await this.send('GET', url, what), what) as {
        items?: unknown[]
        _links?: { next?: { href?: string } }
      }
      runs.push(...(Array.isArray(answer.items) ? answer.items : []).map(parseRun))
      url = this.nextPage(answer._links?.next?.href)
    }
    // Sorted here too: the order is what makes "the latest run" safe, so it is not left to the server.
    return runs.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))
  }

  /**
   * POST …/runs/{id}/action?op=re-trigger. Sent again only when the answer proves it was not
   * processed (see `verdict` in retry.ts); otherwise an AmbiguousOutcomeError.
   */
  async retrigger(runId: string): Promise<Retriggered> {
    const what = `Re-triggering run ${runId}`
    const res = await this.send(
      'POST',
      `${this.base}/runs/${runId}/action?op=re-trigger`,
      what,
      runId
    )
    let answer: Record<string, unknown> = {}
    try {
      answer = Object(JSON.parse(res.body)) as Record<string, unknown>
    } catch {
      // Adobe accepted (2xx) but the answer cannot be read: the run was re-triggered, its id is unknown.
    }
    const id = typeof answer.id === 'string' && answer.id ? answer.id : undefined
    if (!id) {
      throw new AmbiguousOutcomeError(
        `${what}: HTTP ${res.status} but the answer carries no run id`,
        'yes'
      )
    }
    const header = res.headers.etag
    const etag =
      [answer.etag, answer.eTag, header].find((v): v is string => typeof v === 'string') ?? ''
    return { id, etag }
  }

  private async send(
    method: 'GET' | 'POST',
    url: string,
    what: string,
    runId?: string,
    budget = this.config.budget
  ): Promise<HttpResponse> {
    const { tokens, sandbox } = this.config
    const transport = method === 'GET' ? this.config.reads : this.config.writes
    const refused = (res: HttpResponse): Error =>
      apiError(
        what,
        res,
        flowServiceHint(res.status, { runId, sandbox, oauth: tokens.kind === 'oauth' })
      )
    let token = await tokens.token()
    let renewed = false
    for (;;) {
      core.debug(`${method} ${url}`)
      const res = await withRetries(
        () =>
          transport.request({
            method,
            url,
            headers: this.headers(token),
            signal: this.config.signal
          }),
        {
          what,
          // Reads are idempotent; the re-trigger is not.
          idempotent: method === 'GET',
          budget,
          gate: this.config.gate,
          signal: this.config.signal,
          fail: refused
        }
      )
      this.learnClock(res)
      if (res.status >= 200 && res.status < 300) return res
      // A 401 was refused at the gateway, so nothing was done: a renewed token may be sent again.
      if (res.status === 401 && !renewed) {
        const fresh = await tokens.renew()
        if (fresh) {
          core.info(`${what}: access token refused (HTTP 401); fetched a new one`)
          token = fresh
          renewed = true
          continue
        }
      }
      if (res.status >= 300 && res.status < 400) {
        throw apiError(
          what,
          res,
          `Adobe answered with a redirect to ${res.headers.location ?? '(no location)'}, which is not followed so the token stays with \`platform-url\`: check \`platform-url\`.`
        )
      }
      throw refused(res)
    }
  }

  private headers(token: string): Record<string, string> {
    return {
      authorization: `Bearer ${token}`,
      'x-api-key': this.config.apiKey,
      'x-gw-ims-org-id': this.config.orgId,
      'x-sandbox-name': this.config.sandbox,
      'content-type': 'application/json',
      accept: 'application/json'
    }
  }

  private learnClock(res: HttpResponse): void {
    const date = Date.parse(res.headers.date ?? '')
    if (!Number.isNaN(date)) this.clockOffsetMs = date - Date.now()
  }

  /** The next page's URL, only ever on `platform-url`'s origin: the token must not travel elsewhere. */
  private nextPage(href: string | undefined): string | undefined {
    if (!href) return undefined
    const origin = new URL(this.config.platformUrl).origin
    const url = href.startsWith('/runs') ? new URL(this.base + href) : new URL(href, origin)
    if (url.origin !== origin)
      throw new Error(
        `Listing runs: the next page points to ${url.origin}, not ${origin}; refusing to send the token there`
      )
    return url.href
  }
}
