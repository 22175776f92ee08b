/**
 * The restore half of the Actions cache protocol, spoken here rather than by @actions/cache: its
 * restoreCache extracts the archive with `tar -P` into the workspace (any path, any link, any
 * FIFO), follows redirects with the runtime token to any host, and reads answers of any size.
 * This module only looks an entry up and fetches its archive into memory (store.ts reads the one
 * file out of it): the same requests the library makes (v2: twirp `GetCacheEntryDownloadURL` on
 * ACTIONS_RESULTS_URL; v1, GHES: `_apis/artifactcache/cache` on ACTIONS_CACHE_URL), the same
 * version hash, and three rails the library lacks:
 *
 * - no redirect is followed from the cache service (it never sends one; one that does is not
 *   sent the token again, anywhere), and the archive's signed URL gets no Authorization header;
 *   a same-origin redirect of the archive download is followed once;
 * - every answer is read up to a cap (a lookup 64 KiB, an archive `maxBytes`) and no further;
 * - the key an entry is matched by must be one of ours before anything uses or shows it.
 *
 * Every request ends when the step's signal aborts: a restore given up on leaves no socket.
 */
import { HttpClient } from '@actions/http-client'
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import * as http from 'node:http'
import * as https from 'node:https'

export type CacheProtocolVersion = 'v1' | 'v2'

export interface CacheServiceConfig {
  version: CacheProtocolVersion
  /** Where the twirp or REST calls go; the runtime token goes there and nowhere else. */
  url: string
  token: string
  /** ACTIONS_CACHE_MODE allows reading (unset or unknown: yes, as the library reads it). */
  readable: boolean
}

/** A lookup's answer is a few hundred bytes of JSON. */
export const MAX_LOOKUP_BYTES = 64 * 1024
const USER_AGENT = 'aep-retry-dataflow-run'
const TWIRP = 'twirp/github.actions.results.api.v1.CacheService/GetCacheEntryDownloadURL'
/** Both protocols retry a 5xx; so do we, twice, a second apart (reads: safe to repeat). */
const ATTEMPTS = 3
const RETRY_PAUSE_MS = 1000

export class CacheClientError extends Error {}

/** As @actions/cache's config.ts decides it: GHES speaks v1, github.com v2 when flagged. */
export function cacheServiceConfig(env = process.env): CacheServiceConfig | undefined {
  const host = new URL(env.GITHUB_SERVER_URL || 'https://github.com').hostname
    .trimEnd()
    .toUpperCase()
  const ghes = host !== 'GITHUB.COM' && !host.endsWith('.GHE.COM') && !host.endsWith('.LOCALHOST')
  const version = !ghes && env.ACTIONS_CACHE_SERVICE_V2 ? 'v2' : 'v1'
  const url =
    version === 'v2' ? env.ACTIONS_RESULTS_URL : env.ACTIONS_CACHE_URL || env.ACTIONS_RESULTS_URL
  if (!url) return undefined
  const mode = (env.ACTIONS_CACHE_MODE || '').trim().toLowerCase()
  const readable =
    !['none', 'read', 'write', 'write-only'].includes(mode) || ['read', 'write'].includes(mode)
  return { version, url, token: env.ACTIONS_RUNTIME_TOKEN || '', readable }
}

/**
 * The library's compression: zstd where `zstd --quiet --version` answers anything, else gzip.
 * It is part of the entry's version, so it is asked exactly as the library asks it.
 */
export function compressionMethod(): Promise<'zstd-without-long' | 'gzip'> {
  return new Promise(resolve => {
    execFile('zstd', ['--quiet', '--version'], { timeout: 10_000 }, (err, stdout, stderr) =>
      resolve(!err && `${stdout}${stderr}`.trim() ? 'zstd-without-long' : 'gzip')
    )
  })
}

/** The cache version @actions/cache derives from the path list and the compression. */
export function cacheVersion(paths: readonly string[], compression: string): string {
  const components = [...paths, compression]
  if (process.platform === 'win32') components.push('windows-only')
  components.push('1.0')
  return createHash('sha256').update(components.join('|')).digest('hex')
}

export interface Found {
  /** The key the service says it matched; checked by the caller before use. */
  key: string
  url: string
}

/** The newest entry whose key starts with one of `keys` (GitHub's order), or undefined. */
export async function lookUp(
  config: CacheServiceConfig,
  keys: readonly string[],
  version: string,
  signal: AbortSignal
): Promise<Found | undefined> {
  const auth = { authorization: `Bearer ${config.token}`, 'user-agent': USER_AGENT }
  if (config.version === 'v2') {
    const [key, ...restoreKeys] = keys
    const body = JSON.stringify({ key, restore_keys: restoreKeys, version })
    const answer = await retried(() =>
      request(
        new URL(`/${TWIRP}`, config.url),
        { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body },
        MAX_LOOKUP_BYTES,
        signal
      )
    )
    expectStatus(answer, 'the cache lookup')
    const json = parseObject(answer.body)
    if (json.ok !== true) return undefined
    return found(json.matched_key, json.signed_download_url)
  }
  const url = new URL(
    `${config.url}_apis/artifactcache/cache?keys=${encodeURIComponent(keys.join(','))}&version=${version}`
  )
  const answer = await retried(() =>
    request(
      url,
      { method: 'GET', headers: { ...auth, accept: 'application/json;api-version=6.0-preview.1' } },
      MAX_LOOKUP_BYTES,
      signal
    )
  )
  if (answer.status === 204) return undefined
  expectStatus(answer, 'the cache lookup')
  const json = parseObject(answer.body)
  return found(json.cacheKey, json.archiveLocation)
}

/** The archive behind a signed URL, whole, at most `maxBytes`; no token goes with it. */
export async function download(
  location: string,
  service: string,
  maxBytes: number,
  signal: AbortSignal
): Promise<Buffer> {
  let url = signedUrl(location, service)
  for (let hop = 0; ; hop++) {
    const answer = await retried(() =>
      request(url, { method: 'GET', headers: { 'user-agent': USER_AGENT } }, maxBytes, signal)
    )
    const location = answer.headers.location
    if (answer.status >= 300 && answer.status < 400 && typeof location === 'string' && hop === 0) {
      const next = new URL(location, url)
      if (next.origin !== url.origin)
        throw new CacheClientError(
          `the archive download redirects to another origin (not followed)`
        )
      url = next
      continue
    }
    expectStatus(answer, 'the archive download')
    return answer.body
  }
}

function found(key: unknown, location: unknown): Found {
  if (typeof key !== 'string' || typeof location !== 'string' || !location)
    throw new CacheClientError('the cache lookup answered without a key and an archive address')
  return { key, url: location }
}

/** An http(s) URL, and https when the service is: nothing else is fetched. */
function signedUrl(location: string, service: string): URL {
  let url: URL
  try {
    url = new URL(location)
  } catch {
    throw new CacheClientError('the archive address is not a URL')
  }
  const https = new URL(service).protocol === 'https:'
  if (url.protocol !== 'https:' && (https || url.protocol !== 'http:'))
    throw new CacheClientError(`the archive address is not ${https ? 'https' : 'http(s)'}`)
  if (url.username || url.password)
    throw new CacheClientError('the archive address holds credentials')
  return url
}

function parseObject(body: Buffer): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'))
    if (value && typeof value === 'object' && !Array.isArray(value))
      return value as Record<string, unknown>
  } catch {
    // said below
  }
  throw new CacheClientError('the cache lookup answered something other than a JSON object')
}

interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

/** A 2xx, or an error naming the status only: a refusal's text is the server's, never shown. */
function expectStatus(answer: Answer, what: string): void {
  if (answer.status >= 300 && answer.status < 400)
    throw new CacheClientError(`${what} answered ${answer.status}, a redirect (not followed)`)
  if (answer.status < 200 || answer.status >= 300)
    throw new CacheClientError(`${what} answered ${answer.status}`)
}

class Retryable extends CacheClientError {}

async function retried(send: () => Promise<Answer>): Promise<Answer> {
  for (let attempt = 1; ; attempt++) {
    let answer: Answer | undefined
    let error: unknown
    try {
      answer = await send()
      if (answer.status < 500 || answer.status === 501) return answer
    } catch (err) {
      if (!(err instanceof Retryable)) throw err
      error = err
    }
    if (attempt >= ATTEMPTS) {
      if (answer) return answer
      throw error
    }
    await new Promise(resolve => setTimeout(resolve, RETRY_PAUSE_MS * attempt).unref())
  }
}

/**
 * One request, never redirected, its answer read up to `maxBytes`: past that the socket is
 * destroyed and the request fails. Through the toolkit's agent, so HTTPS_PROXY and NO_PROXY
 * apply as in every other action; no keep-alive, so nothing lingers after.
 */
function request(
  url: URL,
  init: { method: 'GET' | 'POST'; headers: Record<string, string>; body?: string },
  maxBytes: number,
  signal: AbortSignal
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(new CacheClientError('cancelled'))
    const lib = url.protocol === 'https:' ? https : http
    const headers = { ...init.headers }
    if (init.body !== undefined) headers['content-length'] = String(Buffer.byteLength(init.body))
    const req = lib.request(url, {
      method: init.method,
      headers,
      agent: new HttpClient(USER_AGENT, [], { keepAlive: false }).getAgent(url.href)
    })
    let settled = false
    const fail = (err: CacheClientError): void => {
      if (settled) return
      settled = true
      signal.removeEventListener('abort', onAbort)
      req.destroy()
      reject(err)
    }
    const onAbort = (): void => fail(new CacheClientError('cancelled'))
    signal.addEventListener('abort', onAbort, { once: true })
    req.on('error', err =>
      fail(new Retryable(`the cache service could not be reached (${errCode(err)})`))
    )
    req.on('response', res => {
      const declared = Number(res.headers['content-length'])
      if (declared > maxBytes)
        return fail(new CacheClientError(`an answer of ${declared} bytes, more than ${maxBytes}`))
      const chunks: Buffer[] = []
      let size = 0
      res.on('data', (chunk: Buffer) => {
        size += chunk.length
        if (size > maxBytes) fail(new CacheClientError(`an answer of more than ${maxBytes} bytes`))
        else chunks.push(chunk)
      })
      res.on('error', () => undefined)
      res.on('close', () => {
        if (settled) return
        if (!res.complete) return fail(new Retryable('the answer was cut short'))
        settled = true
        signal.removeEventListener('abort', onAbort)
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })
      })
    })
    req.end(init.body)
  })
}

const errCode = (err: NodeJS.ErrnoException): string =>
  typeof err.code === 'string' && /^[A-Z_]{1,40}$/.test(err.code) ? err.code : 'network error'
