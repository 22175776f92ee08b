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
import { parseRun, reading, runFromAnswer, runOrder, type Reading, type RunInfo } from './runs.js'
import { planSlices, type Slice } from './slices.js'
import { isoTime } from '../text/time.js'

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
  /**
   * How many of a sandbox-wide run listing's time slices are read at once (`concurrency`; 1:
   * one slice after another). Each listing is cut into SLICES_PER_READER times as many slices,
   * so readers that finish a sparse slice take the next: runs bunched in time still spread.
   */
  listConcurrency?: number
}

/** A listing as far as its bounds let it read: `unread` says what was left, when something was. */
export interface Listed<T> {
  items: T[]
  unread?: string
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
// Slices per reader: more slices than readers balance runs bunched in time (each costs a request).
const SLICES_PER_READER = 4
// Pages a listing follows before it is split in slices: a listing of a few pages costs no more
// than it did (slices cost a request each, at least).
const SPLIT_AFTER_PAGES = 4

/** How a big listing's rest is read: time slices, their listings, and whether a run is in one. */
interface Split<T> {
  slices: Slice[]
  paths: string[]
  inSlice: (item: T, slice: number) => boolean
}

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
  async listRuns(flowId: string, createdAfter: number): Promise<RunInfo[]> {
    const query = runQuery([`flowId==${flowId}`, `createdAt>${Math.floor(createdAfter)}`])
    const { items } = await this.list(
      [`/runs?${query}`],
      `Listing runs of flow ${flowId}`,
      parseRun
    )
    return newestFirst(items.filter(run => run.flowId === undefined || run.flowId === flowId))
  }

  /**
   * The sandbox's failed runs, of every flow, that started at or after `startedSince` (server
   * clock): the sandbox-wide listing, as Adobe's own SDK reads flow errors, read in time slices
   * side by side. The filters are applied again here (status compared case-insensitively),
   * whatever the server did with them. Past the listing's bounds it returns what it read and
   * says what it did not (`unread`): each failure read can be decided alone, and one not read is
   * reported as possibly there, never as absent.
   */
  async listFailedRuns(
    startedSince: number,
    signal?: AbortSignal,
    /** Where the planned slices end (the open last one starts before it): now, by default. */
    until?: number
  ): Promise<Listed<RunInfo>> {
    const listed = await this.listSliced(
      ['metrics.statusSummary.status==failed'],
      'metrics.durationSummary.startedAtUTC',
      run => run.startedAt,
      startedSince,
      'Listing the failed runs of the sandbox',
      { signal, partial: true, until }
    )
    const items = listed.items.filter(
      run => run.status === 'failed' && (run.startedAt ?? run.createdAt ?? 0) >= startedSince
    )
    return { items: newestFirst(items), unread: listed.unread }
  }

  /**
   * The sandbox's runs created by `createdClient` (this credential) since `createdSince`, in time
   * slices side by side. Never partial: a retry of ours not seen could get its window
   * re-triggered again, so past its bounds this listing fails.
   */
  async listRunsCreatedBy(
    createdClient: string,
    createdSince: number,
    signal?: AbortSignal
  ): Promise<RunInfo[]> {
    const { items } = await this.listSliced(
      [`createdClient==${createdClient}`],
      'createdAt',
      run => run.createdAt,
      createdSince,
      'Listing the runs this credential created',
      { signal }
    )
    // Dated as decisions date runs (runs.ts): a run of ours listed without a time is kept (the
    // server filtered it by `createdAt`; dropping a running retry would get its window re-sent).
    return newestFirst(
      items.filter(run => run.createdClient === createdClient && runOrder(run) >= createdSince)
    )
  }

  /**
   * A sandbox-wide run listing of `filters` and `field >= since`. Its first page is read as one
   * listing; only when there is more (a big sandbox) is the rest read as half-open time slices of
   * `[since, until)` (slices.ts), the last open-ended, each its own filtered listing, read
   * `listConcurrency` at a time: together exactly the runs one listing returns, and a small
   * listing costs what it did (one request a page). `until`: now, on the server's clock.
   */
  private listSliced(
    filters: string[],
    field: string,
    /** The run's value of `field`, to check the server applied the slices' filters. */
    value: (run: RunInfo) => number | undefined,
    since: number,
    what: string,
    options: { signal?: AbortSignal; partial?: boolean; until?: number }
  ): Promise<Listed<RunInfo>> {
    const path = (from: number, to?: number): string =>
      `/runs?${runQuery([...filters, `${field}>=${from}`, ...(to === undefined ? [] : [`${field}<${to}`])])}`
    const readers = this.readers()
    const split = (): Split<RunInfo> | undefined => {
      if (readers === 1) return undefined
      const slices = planSlices(
        since,
        options.until ?? this.serverTime(),
        readers * SLICES_PER_READER
      )
      if (slices.length === 1) return undefined
      return {
        slices,
        paths: slices.map(s => path(s.from, s.to)),
        inSlice: (run, k) => {
          const v = value(run)
          const { from, to } = slices[k]
          return v !== undefined && v >= from && (to === undefined || v < to)
        }
      }
    }
    return this.list([path(Math.floor(since))], what, parseRun, { ...options, split })
  }

  private readers(): number {
    const n = Math.floor(this.config.listConcurrency ?? 1)
    return Number.isFinite(n) && n > 1 ? n : 1
  }

  /**
   * The sandbox's source dataflows whose last run started at or after `startedSince` (server
   * clock; undefined: all of them), every page; `onPage` sees each page as it arrives, so work on
   * it can start at once. Destination and Adobe's internal flows are left out (`isSourceFlow`),
   * here and by the server. One listing, not slices: a flow's last run moves as it runs, so a
   * flow could leave a slice not yet read for one already read and be missed. Past its bounds it
   * returns what it read, with `unread` saying so.
   */
  async listSourceFlows(
    startedSince: number | undefined,
    onPage?: (flows: FlowInfo[]) => void
  ): Promise<Listed<FlowInfo>> {
    const query = new URLSearchParams([
      ['property', 'inheritedAttributes.properties.isSourceFlow==true'],
      ['limit', String(PAGE_SIZE)]
    ])
    if (startedSince !== undefined)
      query.append('property', `lastRunDetails.startedAtUTC>=${Math.floor(startedSince)}`)
    const sources = (page: FlowInfo[]): FlowInfo[] => page.filter(f => f.isSourceFlow)
    const listed = await this.list(
      [`/flows?${query.toString()}`],
      'Listing the source dataflows of the sandbox',
      parseFlow,
      { onPage: onPage && (page => onPage(sources(page))), partial: true }
    )
    return { items: sources(listed.items), unread: listed.unread }
  }

  /**
   * Every page of a listing (of each of `paths`, its time slices, read `listConcurrency` at a
   * time), bounded in pages, items, time and kept text whatever the server sends, across all its
   * slices: a listing that would exceed them fails with a message that says how to narrow it,
   * or, when `partial`, returns what it read with `unread` saying what it did not. Items that do
   * not parse (an id that is not a UUID) are counted and left out. The one place items are
   * deduplicated: an item listed again (on the next page as the listing shifted, a page served
   * twice, or in two slices) is the same flow or run, kept once (the first time), so a flow is
   * never handled twice and a sweep counts each once.
   */
  private async list<T extends { id: string }>(
    paths: string[],
    what: string,
    parse: (item: unknown, r: Reading) => T | undefined,
    options: {
      onPage?: (items: T[]) => void
      /** Ends this listing early (a sibling listing failed, so its answer is not needed). */
      signal?: AbortSignal
      partial?: boolean
      /**
       * When the first page says there is more: the time slices (and their listings) to read
       * the rest as, side by side, instead of following the first listing's pages. The first
       * page's items are kept; the slices list them again (not counted as repeats).
       */
      split?: () => Split<T> | undefined
    } = {}
  ): Promise<Listed<T>> {
    const { onPage, signal } = options
    const deadline = Date.now() + this.listTimeoutMs()
    let maxPages = MAX_PAGES + paths.length - 1
    const items: T[] = []
    const seen = new Set<string>()
    let firstPage: Set<string> | undefined
    const r = reading(LISTING_TEXT_CHARS)
    let skipped = 0
    let repeated = 0
    let pages = 0
    // A bound reached (every reader stops at its next page), or a reader failed.
    let bound: string | undefined
    let failed = false
    let plan: Split<T> | undefined
    // Where the first listing would go on, while its slices are read: followed after all when a
    // slice answers items outside its range (the server did not apply the slice's filters).
    let rest: string | undefined
    let unfiltered = false
    const urls = paths.map(p => `${this.base}${p}`)
    const done = urls.map(() => false)
    const readPath = async (i: number): Promise<void> => {
      let url: string | undefined = urls[i]
      while (url) {
        if (bound || failed || unfiltered) return
        if (pages >= maxPages) {
          bound = `more than ${maxPages} pages`
          return
        }
        if (Date.now() > deadline) {
          bound = `still paging after ${formatDuration(this.listTimeoutMs())} (${pages} pages)`
          return
        }
        pages++
        const answer = Object(
          parseJsonAnswer(await this.send('GET', url, what, undefined, undefined, signal), what)
        ) as {
          items?: unknown
          _links?: { next?: { href?: unknown } }
        }
        if (bound || failed || unfiltered) return
        const pageItems: unknown[] = Array.isArray(answer.items) ? answer.items : []
        const room = MAX_ITEMS - items.length
        if (pageItems.length > room) {
          bound = `more than ${MAX_ITEMS} items`
          // Not partial: nothing of it is used, so nothing of it is parsed.
          if (!options.partial) return
        }
        const parsed: T[] = []
        const slice = plan && i > 0 && i <= plan.slices.length ? i - 1 : undefined
        for (let k = 0; k < Math.min(room, pageItems.length); k++) {
          const item = parse(pageItems[k], r)
          if (item !== undefined && slice !== undefined && !plan!.inSlice(item, slice)) {
            unfiltered = true
            return
          }
          if (item === undefined) skipped++
          else if (seen.has(item.id)) {
            if (!firstPage?.has(item.id)) repeated++
          } else {
            seen.add(item.id)
            parsed.push(item)
          }
        }
        for (const item of parsed) items.push(item)
        onPage?.(parsed)
        if (bound) return
        const next = answer._links?.next?.href
        url = this.nextPage(typeof next === 'string' ? next : undefined)
        // A big listing (more pages after the first few): the rest is read in time slices,
        // side by side. Its first pages' items are kept; the slices list them again.
        if (url && i === 0 && pages === SPLIT_AFTER_PAGES && options.split && !plan) {
          plan = options.split()
          if (plan) {
            rest = url
            firstPage = new Set(seen)
            urls.push(...plan.paths.map(p => `${this.base}${p}`))
            done.push(...plan.paths.map(() => false))
            // Each slice may end on a page that is not full: one page more per slice, no more.
            maxPages += plan.paths.length
            return
          }
        }
      }
      done[i] = true
    }
    // Path 0 is the first listing, read alone first; then the slices, `listConcurrency` at a time.
    let next = 1
    const reader = async (): Promise<void> => {
      while (!bound && !failed && !unfiltered && next < urls.length) await readPath(next++)
    }
    const run = async (n: number): Promise<void> => {
      await Promise.all(Array.from({ length: n }, reader)).catch((err: unknown) => {
        failed = true
        throw err
      })
    }
    // The first listing alone (its first pages say whether to split), then its slices, if any.
    await readPath(0).catch((err: unknown) => {
      failed = true
      throw err
    })
    if (next < urls.length) await run(Math.min(urls.length - next, this.readers()))
    if (unfiltered && rest && !bound) {
      // The server ignored a slice's time filter: the slices cannot be trusted to partition the
      // listing, so it is read as one after all, from where its pages were left (each item once).
      log.info(
        `${what}: the server did not apply the time-slice filters; reading the listing page by page`
      )
      maxPages = pages + MAX_PAGES
      plan = undefined
      firstPage = new Set(seen)
      next = urls.length
      urls.push(rest)
      done.push(false)
      unfiltered = false
      await run(1)
    }
    if (skipped > 0) log.warning(`${what}: left out ${skipped} item(s) without a valid id`)
    if (repeated > 0)
      log.info(`${what}: ${repeated} item(s) were listed again on a later page; each is kept once`)
    if (r.doubtful > 0)
      log.warning(
        `${what}: ${r.doubtful} item(s) carry a time before 2000 or more than a day ahead of this runner's clock; such a time is read as unknown (a failed run with no time left is not swept)`
      )
    if (!bound) return { items }
    if (!options.partial)
      throw new Error(
        `${what}: ${bound}; narrow \`lookback\`${bound.startsWith('still') ? ' or retry later' : ''}`
      )
    const left = plan ? plan.slices.filter((_, k) => !done[k + 1]) : []
    const where = left.length
      ? ` (not read to their end: ${left.length} of ${plan!.slices.length} time slices, ${left
          .slice(0, 5)
          .map(s => `${isoTime(s.from)} to ${isoTime(s.to) ?? 'now'}`)
          .join(', ')}${left.length > 5 ? ', …' : ''})`
      : ''
    return {
      items,
      unread: `${what} stopped at its bound (${bound}) after ${items.length} item(s)${where}: what was read is acted on; what was not read may hold failed windows. Narrow \`lookback\` (or sweep fewer flows) to read it all.`
    }
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

function runQuery(filters: string[]): string {
  return new URLSearchParams([
    ...filters.map((f): [string, string] => ['property', f]),
    ['orderby', '-createdAt'],
    ['limit', String(PAGE_SIZE)]
  ]).toString()
}

// Sorted here, not left to the server (nor to the order slices arrive in): the order is what
// makes "the newest retry" safe.
function newestFirst(runs: RunInfo[]): RunInfo[] {
  return runs.sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))
}
