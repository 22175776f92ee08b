/**
 * Discovery for `sandbox: all`: the sandboxes available to the credential, from the Sandbox
 * Management API (`GET /data/foundation/sandbox-management/`, no admin permission needed, no
 * `x-sandbox-name`). Paged by `limit`+`offset` through `_links.next.href` to its end, bounded in
 * pages and sandboxes whatever the server sends; a next page off `platform-url` is refused (the
 * token stays there). Only reads: retried as any read is.
 */
import type { TokenSource } from './auth.js'
import { apiError, parseJsonAnswer } from './errors.js'
import type { Transport } from './http.js'
import type { Pacer } from './pacing.js'
import { withRetries, type RetryBudget } from './retry.js'
import { MAX_SANDBOXES, type ListedSandbox } from '../inputs/sandboxes.js'

export const SANDBOX_PAGE = 50
export const MAX_SANDBOX_PAGES = 100

export interface DiscoveryConfig {
  platformUrl: string
  orgId: string
  apiKey: string
  tokens: TokenSource
  reads: Transport
  pacer: Pacer
  budget: RetryBudget
  signal?: AbortSignal
}

/** Every sandbox listed (any state; the caller chooses the active ones), each page's items checked. */
export async function listSandboxes(config: DiscoveryConfig): Promise<ListedSandbox[]> {
  const what = 'Listing the sandboxes available to the credential (Sandbox Management API)'
  const origin = new URL(config.platformUrl).origin
  const listed: ListedSandbox[] = []
  let url: string | undefined =
    `${config.platformUrl}/data/foundation/sandbox-management/?limit=${SANDBOX_PAGE}&offset=0`
  for (let page = 1; url; page++) {
    if (page > MAX_SANDBOX_PAGES)
      throw new Error(`${what}: more than ${MAX_SANDBOX_PAGES} pages; name the sandboxes instead`)
    const res = await get(config, url, what)
    const answer = Object(parseJsonAnswer(res, what)) as {
      sandboxes?: unknown
      _links?: { next?: { href?: unknown } }
    }
    const items: unknown[] = Array.isArray(answer.sandboxes) ? answer.sandboxes : []
    for (const raw of items) {
      const { name, state } = Object(raw) as Record<string, unknown>
      // Data, never a command: a name is kept only as a plain string, checked again by the chooser.
      if (typeof name === 'string' && typeof state === 'string' && name.length <= 256)
        listed.push({ name, state: state.slice(0, 32) })
    }
    if (listed.length > MAX_SANDBOXES)
      throw new Error(
        `${what}: more than ${MAX_SANDBOXES} sandboxes; name them, or split them over a matrix`
      )
    const next = answer._links?.next?.href
    if (typeof next !== 'string' || !next || items.length === 0) break
    const nextUrl = new URL(next, origin)
    if (nextUrl.origin !== origin)
      throw new Error(
        `${what}: the next page points to ${nextUrl.origin}, not ${origin}; refusing to send the token there`
      )
    url = nextUrl.href
  }
  return listed
}

async function get(config: DiscoveryConfig, url: string, what: string) {
  let token = await config.tokens.token()
  for (let renewed = false; ; renewed = true) {
    const res = await withRetries(
      () =>
        config.reads.request({
          method: 'GET',
          url,
          headers: {
            authorization: `Bearer ${token}`,
            'x-api-key': config.apiKey,
            'x-gw-ims-org-id': config.orgId,
            accept: 'application/json'
          },
          signal: config.signal
        }),
      {
        what,
        idempotent: true,
        budget: config.budget,
        pacer: config.pacer,
        signal: config.signal,
        origin: { input: 'platform-url', url: config.platformUrl },
        fail: r => apiError(what, r)
      }
    )
    if (res.status >= 200 && res.status < 300) return res
    if (res.status === 401 && !renewed) {
      const fresh = await config.tokens.renew()
      if (fresh) {
        token = fresh
        continue
      }
    }
    throw apiError(
      what,
      res,
      res.status === 403
        ? 'The credential may not list sandboxes: name them in `sandbox` instead of `all`.'
        : undefined
    )
  }
}
