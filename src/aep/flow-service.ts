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
import { parseRun, reading, runFromAnswer, type Reading, type RunInfo } from './runs.js'

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
// The server text (run errors, their messages, the connector's text) one listing keeps for
// showing, in characters: about four times what a job summary can show (the runner refuses one
// over 1 MiB), so a listing's memory is bounded by what the step reports, not by what it read.
// Past it, runs keep what decisions need (ids, times, statuses, codes) and say their text was not
// kept. 20,000 failures with errors of Adobe's usual size (~200 characters) fit.
const LISTING_TEXT_CHARS = 4 * 2 ** 20

/** The Flow Service calls this action makes: read a run, list a flow's runs, re-trigger a run. */
export class FlowService {
  private readonly base: string
  /** Server clock minus runner clock, learned from `Date` headers, for time windows Adobe compares. */
  private clockOffsetMs = 0
  /** The same, however far off (within a month): what the retry schedule compares run times to. */
  private runClockOffsetMs: number | undefined
  /** Flows read by id, once each: several runs named in `run-id` often share one. */
  private readonly flows = new Map<string, Promise<FlowInfo>>()

  constructor(private readonly config: FlowServiceConfig) {
    this.base = `${config.platformUrl}/data/foundation/flowservice`
  }

  /** A moment of the runner's clock in the server's clock (±1 s), from the last `Date` header seen. */
  serverTime(local = Date.now()): number {
    return local + this.clockOffsetMs
  }

  /**
   * Now on the clock that dates the runs: the last `Date` header (±1 s), believed even when far
   * from the runner's. Only the spacing of retries (decide.ts) reads it: a wrong clock there can
   * delay a retry or send it early, never send one twice.
   */
  serverNow(local = Date.now()): number {
    return local + (this.runClockOffsetMs ?? this.clockOffsetMs)
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

  /** `GET /flows/{id}` (a list of one, as for runs): what kind of flow it is, and its name. */
  getFlow(flowId: string): Promise<FlowInfo> {
    let flow = this.flows.get(flowId)
    if (!flow) {
      flow = this.readFlow(flowId)
      // A failed read is not kept: another run of the flow asks again.
      flow.catch(() => this.flows.delete(flowId))
      this.flows.set(flowId, flow)
    }
    return flow
  }

  private async readFlow(flowId: string): Promise<FlowInfo> {
    const what = `Reading flow ${flowId}`
    const res = await this.send('GET', `${this.base}/flows/${flowId}`, what)
    const answer = Object(parseJsonAnswer(res, what)) as { items?: unknown }
    const flow = Array.isArray(answer.items)
      ? answer.items.map(parseFlow).find(f => f?.id === flowId)
      : parseFlow(answer)
    if (!flow) throw new Error(`${what}: the answer does not describe flow ${flowId}`)
    return flow
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
      // A run of ours listed with no time it could have had is kept: the server filtered it by
      // `createdAt`, and dropping a running retry would get its window re-triggered again.
      run =>
        run.createdClient === createdClient &&
        (run.createdAt === undefined || run.createdAt >= createdSince),
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
    return runs.filter(keep).sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))
  }

  /**
   * The sandbox's source dataflows whose last run started at or after `startedSince` (server
   * clock; undefined: all of them), every page; `onPage` sees each page as it arrives, so work on
   * it can start at once. Destination and Adobe's internal flows are left out (`isSourceFlow`),
   * here and by the server.
   */
  listSourceFlows(
    startedSince: number | undefined,
    onPage?: (flows: FlowInfo[]) => void
  ): Promise<FlowInfo[]> {
    const query = new URLSearchParams([
      ['property', 'inheritedAttributes.properties.isSourceFlow==true'],
      ['limit', String(PAGE_SIZE)]
    ])
    if (startedSince !== undefined)
      query.append('property', `lastRunDetails.startedAtUTC>=${Math.floor(startedSince)}`)
    const sources = (page: FlowInfo[]): FlowInfo[] => page.filter(f => f.isSourceFlow)
    return this.list(
      `/flows?${query.toString()}`,
      'Listing the source dataflows of the sandbox',
      parseFlow,
      onPage && (page => onPage(sources(page)))
    ).then(sources)
  }

  /**
   * Every page of a listing, bounded in pages, items, time and kept text whatever the server
   * sends: a listing that would exceed them fails with a message that says how to narrow it.
   * Items that do not parse (an id that is not a UUID) are counted and left out. The one place
   * items are deduplicated: an item listed again (on the next page as the listing shifted, or a
   * page served twice) is the same flow or run, kept once (the first time), so a flow is never
   * handled twice and a sweep counts each once.
   */
  private async list<T extends { id: string }>(
    path: string,
    what: string,
    parse: (item: unknown, r: Reading) => T | undefined,
    onPage?: (items: T[]) => void,
    /** Ends this listing early (a sibling listing failed, so its answer is not needed). */
    signal?: AbortSignal
  ): Promise<T[]> {
    const deadline = Date.now() + this.listTimeoutMs()
    const items: T[] = []
    const seen = new Set<string>()
    const r = reading(LISTING_TEXT_CHARS)
    let skipped = 0
    let repeated = 0
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
        const item = parse(raw, r)
        if (item === undefined) skipped++
        else if (seen.has(item.id)) repeated++
        else {
          seen.add(item.id)
          parsed.push(item)
        }
      }
      for (const item of parsed) items.push(item)
      onPage?.(parsed)
      const next = answer._links?.next?.href
      url = this.nextPage(typeof next === 'string' ? next : undefined)
    }
    if (skipped > 0) log.warning(`${what}: left out ${skipped} item(s) without a valid id`)
    if (repeated > 0)
      log.info(`${what}: ${repeated} item(s) were listed again on a later page; each is kept once`)
    if (r.doubtful > 0)
      log.warning(
        `${what}: ${r.doubtful} item(s) carry a time before 2000 or more than a day ahead of this runner's clock; such a time is read as unknown (a failed run with no time left is not swept)`
      )
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
          origin: { input: 'platform-url', url: this.config.platformUrl },
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
    if (Number.isNaN(date)) return
    const offset = date - Date.now()
    if (Math.abs(offset) < 3_600_000) this.clockOffsetMs = offset
    if (Math.abs(offset) < 31 * 24 * 3_600_000) this.runClockOffsetMs = offset
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
