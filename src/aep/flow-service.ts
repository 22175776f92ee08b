import type { TokenSource } from './auth.js'
import { formatDuration } from '../inputs/duration.js'
import {
  AmbiguousOutcomeError,
  apiError,
  flowServiceHint,
  parseJsonAnswer,
  readErrorBody
} from './errors.js'
import { parseFlow, type FlowInfo } from './flows.js'
import { asEtag, asUuid } from '../inputs/ids.js'
import * as log from '../text/log.js'
import type { HttpResponse, Transport } from './http.js'
import type { Pacer } from './pacing.js'
import { withRetries, type RetryBudget } from './retry.js'
import { oldestFirst, parseRun, runFromAnswer, runOrder, type RunInfo } from './runs.js'

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
  pacer: Pacer
  budget: RetryBudget
  requestTimeoutMs: number
  signal?: AbortSignal
}

export interface Retriggered {
  id: string
  etag: string
}

// Bounds on one listing, whatever the server sends: pages, items across pages, and time.
const PAGE_SIZE = 100
const MAX_ITEMS = 20_000
// Enough pages for MAX_ITEMS at our page size, and no more whatever a server's pages hold.
const MAX_PAGES = MAX_ITEMS / PAGE_SIZE

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
    const what = `Reading run ${runId}`
    const res = await this.send('GET', `${this.base}/runs/${runId}`, what, runId, budget)
    const run = runFromAnswer(parseJsonAnswer(res, what))
    if (!run)
      throw new Error(`${what}: the answer holds no run with a valid id (HTTP ${res.status})`)
    if (run.id !== runId) throw new Error(`${what}: the answer describes another run`)
    return run
  }

  /** A flow's runs created after `createdAfter` (epoch ms, server clock), every page, newest first. */
  listRuns(flowId: string, createdAfter: number): Promise<RunInfo[]> {
    return this.listRunsWhere(
      [`flowId==${flowId}`, `createdAt>${Math.floor(createdAfter)}`],
      `Listing runs of flow ${flowId}`,
      run => run.flowId === undefined || run.flowId === flowId
    )
  }

  /**
   * The sandbox's failed runs, of every flow, that started at or after `startedSince` (server
   * clock): the sandbox-wide listing, as Adobe's own SDK reads flow errors. The filters are
   * applied again here (status compared case-insensitively), whatever the server did with them.
   */
  listFailedRuns(startedSince: number, signal?: AbortSignal): Promise<RunInfo[]> {
    return this.listRunsWhere(
      [
        'metrics.statusSummary.status==failed',
        `metrics.durationSummary.startedAtUTC>=${Math.floor(startedSince)}`
      ],
      'Listing the failed runs of the sandbox',
      run => run.status === 'failed' && (run.startedAt ?? run.createdAt ?? 0) >= startedSince,
      signal
    )
  }

  /** The sandbox's runs created by `createdClient` (this credential) since `createdSince`. */
  listRunsCreatedBy(
    createdClient: string,
    createdSince: number,
    signal?: AbortSignal
  ): Promise<RunInfo[]> {
    return this.listRunsWhere(
      [`createdClient==${createdClient}`, `createdAt>=${Math.floor(createdSince)}`],
      'Listing the runs this credential created',
      // Dated as decisions date runs (runs.ts): a run of ours listed without `createdAt` is kept.
      run => run.createdClient === createdClient && runOrder(run) >= createdSince,
      signal
    )
  }

  private async listRunsWhere(
    filters: string[],
    what: string,
    keep: (run: RunInfo) => boolean,
    signal?: AbortSignal
  ): Promise<RunInfo[]> {
    const query = new URLSearchParams([
      ...filters.map((f): [string, string] => ['property', f]),
      ['orderby', '-createdAt'],
      ['limit', String(PAGE_SIZE)]
    ])
    const runs = await this.list(`/runs?${query.toString()}`, what, parseRun, undefined, signal)
    // Sorted here too: the order is what makes "the newest retry" safe, so it is not left to the server.
    return runs.filter(keep).sort((a, b) => oldestFirst(b, a))
  }

  /**
   * The sandbox's source dataflows whose last run started at or after `startedSince` (server
   * clock), every page; `onPage` sees each page as it arrives, so work on it can start at once.
   * Destination and Adobe's internal flows are left out (`isSourceFlow`), here and by the server.
   */
  listSourceFlows(startedSince: number, onPage?: (flows: FlowInfo[]) => void): Promise<FlowInfo[]> {
    const query = new URLSearchParams([
      ['property', 'inheritedAttributes.properties.isSourceFlow==true'],
      ['property', `lastRunDetails.startedAtUTC>=${Math.floor(startedSince)}`],
      ['limit', String(PAGE_SIZE)]
    ])
    const sources = (page: FlowInfo[]): FlowInfo[] => page.filter(f => f.isSourceFlow)
    return this.list(
      `/flows?${query.toString()}`,
      'Listing the source dataflows of the sandbox',
      parseFlow,
      onPage && (page => onPage(sources(page)))
    ).then(sources)
  }

  /**
   * Every page of a listing, bounded in pages, items and time whatever the server sends: a
   * listing that would exceed them fails with a message that says how to narrow it. Items that
   * do not parse (an id that is not a UUID) are counted and left out.
   */
  private async list<T>(
    path: string,
    what: string,
    parse: (item: unknown) => T | undefined,
    onPage?: (items: T[]) => void,
    /** Ends this listing early (a sibling listing failed, so its answer is not needed). */
    signal?: AbortSignal
  ): Promise<T[]> {
    const deadline = Date.now() + this.listTimeoutMs()
    const items: T[] = []
    let skipped = 0
    let url: string | undefined = `${this.base}${path}`
    for (let page = 1; url; page++) {
      if (page > MAX_PAGES)
        throw new Error(`${what}: more than ${MAX_PAGES} pages; narrow \`lookback\``)
      if (Date.now() > deadline)
        throw new Error(
          `${what}: still paging after ${formatDuration(this.listTimeoutMs())} (${page - 1} pages); narrow \`lookback\` or retry later`
        )
      const answer = Object(
        parseJsonAnswer(await this.send('GET', url, what, undefined, undefined, signal), what)
      ) as {
        items?: unknown
        _links?: { next?: { href?: unknown } }
      }
      const pageItems: unknown[] = Array.isArray(answer.items) ? answer.items : []
      if (items.length + pageItems.length > MAX_ITEMS)
        throw new Error(`${what}: more than ${MAX_ITEMS} items; narrow \`lookback\``)
      const parsed: T[] = []
      for (const raw of pageItems) {
        const item = parse(raw)
        if (item === undefined) skipped++
        else parsed.push(item)
      }
      for (const item of parsed) items.push(item)
      onPage?.(parsed)
      const next = answer._links?.next?.href
      url = this.nextPage(typeof next === 'string' ? next : undefined)
    }
    if (skipped > 0) log.warning(`${what}: left out ${skipped} item(s) without a valid id`)
    return items
  }

  /** How long one listing may take in all: generous for Adobe, bounded for a server that never stops. */
  private listTimeoutMs(): number {
    return Math.max(60_000, 5 * this.config.requestTimeoutMs)
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
    const id = asUuid(answer.id)
    if (!id) {
      throw new AmbiguousOutcomeError(
        `${what}: HTTP ${res.status} but the answer carries no valid run id`,
        'yes'
      )
    }
    const given = [answer.etag, answer.eTag, res.headers.etag].find(v => v !== undefined)
    const etag = asEtag(given)
    if (given !== undefined && !etag)
      log.warning(`${what}: the etag Adobe sent is not a quoted token; it is not passed on`)
    return { id, etag: etag ?? '' }
  }

  private async send(
    method: 'GET' | 'POST',
    url: string,
    what: string,
    runId?: string,
    budget = this.config.budget,
    stop?: AbortSignal
  ): Promise<HttpResponse> {
    const signal =
      stop && this.config.signal
        ? AbortSignal.any([this.config.signal, stop])
        : (stop ?? this.config.signal)
    const { tokens, sandbox } = this.config
    const transport = method === 'GET' ? this.config.reads : this.config.writes
    const refused = (res: HttpResponse): Error =>
      apiError(
        what,
        res,
        flowServiceHint(res.status, {
          runId,
          sandbox,
          oauth: tokens.kind === 'oauth',
          code: readErrorBody(res).code
        })
      )
    let token = await tokens.token()
    let renewed = false
    for (;;) {
      log.debug(`${method} ${url}`)
      const res = await withRetries(
        () =>
          transport.request({
            method,
            url,
            headers: this.headers(token),
            signal
          }),
        {
          what,
          // Reads are idempotent; the re-trigger is not.
          idempotent: method === 'GET',
          budget,
          pacer: this.config.pacer,
          signal,
          fail: refused
        }
      )
      this.learnClock(res)
      if (res.status >= 200 && res.status < 300) return res
      // A 401 was refused at the gateway, so nothing was done: a renewed token may be sent again.
      if (res.status === 401 && !renewed) {
        const fresh = await tokens.renew()
        if (fresh) {
          log.info(`${what}: access token refused (HTTP 401); fetched a new one`)
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
    // A server clock more than an hour off is not believed: it would move every lookback window.
    if (!Number.isNaN(date) && Math.abs(date - Date.now()) < 3_600_000)
      this.clockOffsetMs = date - Date.now()
  }

  /** The next page's URL, only ever on `platform-url`'s origin: the token must not travel elsewhere. */
  private nextPage(href: string | undefined): string | undefined {
    if (!href) return undefined
    const origin = new URL(this.config.platformUrl).origin
    const url = /^\/(runs|flows)\b/.test(href) ? new URL(this.base + href) : new URL(href, origin)
    if (url.origin !== origin)
      throw new Error(
        `Listing runs: the next page points to ${url.origin}, not ${origin}; refusing to send the token there`
      )
    return url.href
  }
}
