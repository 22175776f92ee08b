/**
 * A stand-in for the GitHub Actions cache service on loopback, for @actions/cache (6.x) to save to
 * and restore from: both of its protocols, v2 (twirp + Azure Blob, github.com) and v1 (the
 * artifactcache REST API, GHES), with the real service's rules: entries are immutable per key and
 * version, a reserved key stays taken, the newest prefix match wins. Its tests drive it with the
 * real library, so a drift from the protocol fails there. Faults on demand. Never part of the
 * bundle: src/ must not import it.
 */
import { execFileSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import type * as http from 'node:http'
import { createGzip, gzipSync } from 'node:zlib'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
// Node's own timers: tests may speed up the library's retry sleeps by patching the global ones.
import { clearTimeout, setTimeout } from 'node:timers'
import { LoopbackServer } from './loopback.js'

export type CacheProtocol = 'v1' | 'v2'

/** The calls a fault can hit; `upload` is a blob PUT (v2) or a chunk PATCH (v1). */
export type CacheCall = 'lookup' | 'reserve' | 'upload' | 'commit' | 'download'

export interface CacheFault {
  /** Answer with this status (and the protocol's error body) instead of serving. */
  status?: number
  /** Answer 307 to this URL instead (another origin: `svc.elsewhere.url`). */
  redirect?: string
  /** Serve this many bytes instead of the answer (a JSON string's worth of padding). */
  bodyBytes?: number
  /** A lookup's hit answers with this key instead of the entry's (CR/LF, `::error::`). */
  matchedKey?: string
  /** Error text in the body, e.g. the `cache read denied:` or `insufficient usage` the library looks for. */
  message?: string
  /** Never answer; `stop()` ends the connection. */
  hang?: boolean
  /** Wait this long first, then serve (or refuse, with `status`). */
  delayMs?: number
}

export interface CacheEntryInfo {
  key: string
  version: string
  size: number
  createdAt: Date
}

export interface CacheRequest {
  method: string
  path: string
  at: number
  kind?: CacheCall
  /** When its body was all in: from then on it is answered, or hangs. */
  receivedAt?: number
}

interface Entry {
  id: number
  key: string
  version: string
  /** Signature of the entry's blob URLs: the blob store trusts the URL, not a token. */
  sig: string
  chunks: { start: number; data: Buffer }[]
  blocks: Map<string, Buffer>
  data?: Buffer
  committedAt?: Date
}

type Surface = 'twirp' | 'v1' | 'blob'

const TWIRP = '/twirp/github.actions.results.api.v1.CacheService/'
const V1 = '/v1/_apis/artifactcache/'
const BLOB = /^\/storage\/cache\/(\d+)$/
const SCOPE = 'refs/heads/main'

/** Twirp error codes of the statuses a test asks for (twirp's own table). */
const TWIRP_CODES: Record<number, string> = {
  400: 'invalid_argument',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  409: 'already_exists',
  429: 'resource_exhausted',
  503: 'unavailable',
  504: 'deadline_exceeded'
}

export class CacheService {
  url = ''
  readonly token: string
  readonly requests: CacheRequest[] = []
  private readonly store: Entry[] = []
  private readonly faults = new Map<CacheCall, CacheFault[]>()
  private everything?: CacheFault
  private readonly timers = new Set<NodeJS.Timeout>()
  private readonly hung = new Map<http.ServerResponse, Surface>()
  private readonly server: LoopbackServer
  /** Another origin, for redirects: it records what arrives there and serves a miss. */
  readonly elsewhere = new Elsewhere()

  constructor(token = 'eyJhbGciOiJSUzI1NiJ9.Q2FjaGVTdGFuZElu.runtime-token-stand-in') {
    this.token = token
    this.server = new LoopbackServer((req, res) => this.receive(req, res))
  }

  async start(port?: number): Promise<this> {
    this.url = await this.server.start(port)
    await this.elsewhere.start()
    return this
  }

  /**
   * Ends every connection, hung ones included, so a pending library call settles. A hung request
   * is first refused with a 400, which neither protocol retries: a connection reset would have
   * @actions/cache v1 retry a chunk upload into the closed port, and that retry's read stream can
   * still be reading the archive after the library has closed its file (EBADF, thrown from a
   * stream's 'error' listener: uncaught). A loaded machine made that race real.
   */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t)
    for (const [res, surface] of this.hung) refuse(res, surface, 400, 'the stand-in is stopping')
    this.hung.clear()
    await Promise.all([this.server.stop(), this.elsewhere.stop()])
  }

  /**
   * Commits `archive` (tar + gzip or zstd, see `tarball`) under `key` and `version` as a save
   * would: what anyone who can run a workflow in the repository can put in the cache.
   */
  plant(key: string, version: string, archive: Buffer): this {
    const entry = this.reserve(key, version)
    if (!entry) throw new Error(`key ${key} is taken`)
    this.commit(entry, archive)
    return this
  }

  /**
   * The variables a runner gives an action for this protocol. The blanks matter: inherited from a
   * real runner, ACTIONS_CACHE_SERVICE_V2 would make the library speak v2 to the v1 URL, and a GHES
   * GITHUB_SERVER_URL would force v1.
   */
  env(protocol: CacheProtocol): Record<string, string> {
    const common = { ACTIONS_RUNTIME_TOKEN: this.token, ACTIONS_CACHE_MODE: 'write' }
    return protocol === 'v2'
      ? {
          ...common,
          ACTIONS_CACHE_SERVICE_V2: 'True',
          ACTIONS_RESULTS_URL: `${this.url}/`,
          ACTIONS_CACHE_URL: '',
          GITHUB_SERVER_URL: 'https://github.com'
        }
      : {
          ...common,
          ACTIONS_CACHE_SERVICE_V2: '',
          ACTIONS_RESULTS_URL: '',
          ACTIONS_CACHE_URL: `${this.url}/v1/`
        }
  }

  /** Queues a fault for the next `times` requests of a kind. */
  fault(kind: CacheCall, fault: CacheFault, times = 1): this {
    const queue = this.faults.get(kind) ?? []
    for (let i = 0; i < times; i++) queue.push(fault)
    this.faults.set(kind, queue)
    return this
  }

  /** The whole service (blob store included) answers `status` to everything. */
  failAll(status = 503): this {
    this.everything = { status }
    return this
  }

  /** The whole service stops answering. */
  hangAll(): this {
    this.everything = { hang: true }
    return this
  }

  /** Back to normal: no blanket failure, no queued faults. */
  recover(): this {
    this.everything = undefined
    this.faults.clear()
    return this
  }

  count(kind: CacheCall): number {
    return this.requests.filter(r => r.kind === kind).length
  }

  /** Committed entries, oldest first. */
  entries(): CacheEntryInfo[] {
    return this.committed().map(e => ({
      key: e.key,
      version: e.version,
      size: e.data!.length,
      createdAt: e.committedAt!
    }))
  }

  /** The stored archive (tar + zstd or gzip, as the library made it) of the newest entry of a key. */
  archive(key: string): Buffer {
    const entry = this.committed()
      .filter(e => e.key === key)
      .pop()
    if (!entry) throw new Error(`no cache entry for key ${key}`)
    return entry.data!
  }

  /**
   * What a key's archive holds: member path (relative to the saving workspace, `../` included for
   * paths outside it) → content. Read member by member with the system tar, the library's own
   * tool, so no member can land outside a temp dir.
   */
  files(key: string): Record<string, string> {
    const dir = mkdtempSync(join(tmpdir(), 'cache-archive-'))
    try {
      const file = join(dir, 'archive')
      writeFileSync(file, this.archive(key))
      const tar = (...args: string[]): string =>
        execFileSync('tar', [...args, '-P', '-f', file], { encoding: 'utf8' })
      const members = tar('-t')
        .split('\n')
        .filter(m => m && !m.endsWith('/'))
      return Object.fromEntries(members.map(m => [m, tar('-xO', m)]))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  private committed(): Entry[] {
    return this.store
      .filter(e => e.committedAt)
      .sort((a, b) => a.committedAt!.getTime() - b.committedAt!.getTime())
  }

  /**
   * GitHub's order: the exact key, then the key as a prefix, then each restore key as a prefix;
   * the newest entry wins within a step; the version must match throughout.
   */
  private match(keys: string[], version: string): Entry | undefined {
    const same = this.committed().filter(e => e.version === version)
    const [primary, ...restoreKeys] = keys
    const exact = same.filter(e => e.key === primary).pop()
    if (exact) return exact
    for (const prefix of [primary, ...restoreKeys]) {
      const hit = same.filter(e => e.key.startsWith(prefix)).pop()
      if (hit) return hit
    }
    return undefined
  }

  /** A key and version stay taken once reserved, finished or not (GitHub frees them after 24 h). */
  private reserve(key: string, version: string): Entry | undefined {
    if (this.store.some(e => e.key === key && e.version === version)) return undefined
    const entry: Entry = {
      id: this.store.length + 1,
      key,
      version,
      sig: randomBytes(18).toString('base64url'),
      chunks: [],
      blocks: new Map()
    }
    this.store.push(entry)
    return entry
  }

  private commit(entry: Entry, data: Buffer): void {
    entry.data = data
    // Strictly increasing, so "newest" is well defined within one millisecond too.
    const last = this.committed().pop()?.committedAt?.getTime() ?? 0
    entry.committedAt = new Date(Math.max(Date.now(), last + 1))
  }

  private blobUrl(entry: Entry): string {
    return `${this.url}/storage/cache/${entry.id}?sv=2025-01-05&sr=b&sp=rw&sig=${entry.sig}`
  }

  private classify(method: string, url: URL): [Surface, CacheCall | undefined] {
    const path = url.pathname
    if (path.startsWith(TWIRP)) {
      const kinds: Record<string, CacheCall> = {
        GetCacheEntryDownloadURL: 'lookup',
        CreateCacheEntry: 'reserve',
        FinalizeCacheEntryUpload: 'commit'
      }
      return ['twirp', kinds[path.slice(TWIRP.length)]]
    }
    if (path.startsWith(V1)) {
      const resource = path.slice(V1.length)
      if (method === 'GET' && resource === 'cache') return ['v1', 'lookup']
      if (method === 'POST' && resource === 'caches') return ['v1', 'reserve']
      if (method === 'PATCH' && /^caches\/\d+$/.test(resource)) return ['v1', 'upload']
      if (method === 'POST' && /^caches\/\d+$/.test(resource)) return ['v1', 'commit']
      return ['v1', undefined]
    }
    if (BLOB.test(path) && method === 'PUT') return ['blob', 'upload']
    if (BLOB.test(path) && (method === 'GET' || method === 'HEAD')) return ['blob', 'download']
    return ['blob', undefined]
  }

  /** Records the request and picks its fault on arrival; answers once the body is in. */
  private receive(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x')
    const method = req.method ?? ''
    const [surface, kind] = this.classify(method, url)
    const request: CacheRequest = { method, path: url.pathname + url.search, at: Date.now(), kind }
    this.requests.push(request)
    const fault = this.everything ?? (kind && this.faults.get(kind)?.shift())
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      request.receivedAt = Date.now()
      if (fault?.hang) {
        this.hung.set(res, surface)
        res.on('close', () => this.hung.delete(res))
        return
      }
      const answer = (): void => {
        if (fault?.status) return refuse(res, surface, fault.status, fault.message)
        if (fault?.redirect) {
          res.writeHead(307, { location: fault.redirect })
          return void res.end()
        }
        if (fault?.bodyBytes) return padded(res, fault.bodyBytes)
        const body = Buffer.concat(chunks)
        if (surface === 'blob') return this.blob(req, res, url, method, body)
        if (req.headers.authorization !== `Bearer ${this.token}`)
          return refuse(res, surface, 401, 'invalid runtime token')
        if (surface === 'twirp')
          return this.twirp(res, url.pathname.slice(TWIRP.length), body, fault?.matchedKey)
        this.v1(res, method, url, body, req.headers['content-range'], fault?.matchedKey)
      }
      if (!fault?.delayMs) return answer()
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        answer()
      }, fault.delayMs)
      this.timers.add(timer)
    })
  }

  /** v2: the three twirp JSON calls, with proto field names as the library sends them. */
  private twirp(res: http.ServerResponse, rpc: string, raw: Buffer, matchedKey?: string): void {
    const body = parse(raw)
    const key = text(body.key)
    const version = text(body.version)
    if (!key || !version) return refuse(res, 'twirp', 400, 'key and version are required')
    if (rpc === 'GetCacheEntryDownloadURL') {
      const keys = [key, ...((body.restore_keys as string[] | undefined) ?? [])]
      const hit = this.match(keys, version)
      return hit
        ? json(res, 200, {
            ok: true,
            signed_download_url: this.blobUrl(hit),
            matched_key: matchedKey ?? hit.key
          })
        : json(res, 200, { ok: false, signed_download_url: '', matched_key: '' })
    }
    if (rpc === 'CreateCacheEntry') {
      const entry = this.reserve(key, version)
      if (!entry)
        return refuse(
          res,
          'twirp',
          409,
          'cache entry with the same key, version, and scope already exists'
        )
      return json(res, 200, { ok: true, signed_upload_url: this.blobUrl(entry) })
    }
    if (rpc === 'FinalizeCacheEntryUpload') {
      const entry = this.store.find(e => e.key === key && e.version === version && !e.committedAt)
      if (!entry?.data) return refuse(res, 'twirp', 404, 'no uploaded cache entry to finalize')
      if (Number(body.size_bytes) !== entry.data.length)
        return refuse(res, 'twirp', 400, 'size_bytes does not match the uploaded blob')
      this.commit(entry, entry.data)
      return json(res, 200, { ok: true, entry_id: String(entry.id) })
    }
    refuse(res, 'twirp', 404, `no such method ${rpc}`)
  }

  /** v1 (GHES): the artifactcache REST resources under ACTIONS_CACHE_URL. */
  private v1(
    res: http.ServerResponse,
    method: string,
    url: URL,
    raw: Buffer,
    contentRange: string | undefined,
    matchedKey?: string
  ): void {
    const resource = url.pathname.slice(V1.length)
    const id = /^caches\/(\d+)$/.exec(resource)?.[1]
    const view = (e: Entry) => ({
      cacheKey: e.key,
      cacheVersion: e.version,
      scope: SCOPE,
      creationTime: e.committedAt!.toISOString()
    })
    if (method === 'GET' && resource === 'cache') {
      const keys = (url.searchParams.get('keys') ?? '').split(',')
      const hit = this.match(keys, url.searchParams.get('version') ?? '')
      if (!hit) return send(res, 204)
      return json(res, 200, {
        ...view(hit),
        ...(matchedKey === undefined ? {} : { cacheKey: matchedKey }),
        archiveLocation: this.blobUrl(hit)
      })
    }
    if (method === 'GET' && resource === 'caches') {
      // Only asked for under RUNNER_DEBUG, after a miss, to list the key's other versions.
      const found = this.committed().filter(e => e.key === url.searchParams.get('key'))
      return json(res, 200, { totalCount: found.length, artifactCaches: found.map(view) })
    }
    if (method === 'POST' && resource === 'caches') {
      const body = parse(raw)
      const [key, version] = [text(body.key), text(body.version)]
      if (!key || !version) return refuse(res, 'v1', 400, 'key and version are required')
      const entry = this.reserve(key, version)
      if (!entry)
        return refuse(
          res,
          'v1',
          409,
          `Cache already exists. Scope: ${SCOPE}, Key: ${key}, Version: ${version}`
        )
      return json(res, 201, { cacheId: entry.id })
    }
    const entry = this.store.find(e => String(e.id) === id && !e.committedAt)
    if (!entry) return refuse(res, 'v1', 404, `no reserved cache ${id}`)
    if (method === 'PATCH') {
      const range = /^bytes (\d+)-(\d+)\/\*$/.exec(contentRange ?? '')
      if (!range || Number(range[2]) - Number(range[1]) + 1 !== raw.length)
        return refuse(res, 'v1', 400, `bad Content-Range ${contentRange}`)
      entry.chunks.push({ start: Number(range[1]), data: raw })
      return send(res, 204)
    }
    // Commit: the chunks must tile the archive exactly.
    const chunks = [...entry.chunks].sort((a, b) => a.start - b.start)
    let end = 0
    for (const c of chunks) end = c.start === end ? end + c.data.length : NaN
    if (Number.isNaN(end) || end !== Number(parse(raw).size))
      return refuse(res, 'v1', 400, 'uploaded chunks do not match the committed size')
    this.commit(entry, Buffer.concat(chunks.map(c => c.data)))
    send(res, 204)
  }

  /**
   * The Azure Blob REST calls the library makes on a signed URL: Put Blob (archives up to 128 MiB,
   * BlockBlobClient.uploadFile's single shot), Put Block + Put Block List (larger), and Get Blob
   * (plain GET on a loopback URL; HEAD and ranges as the SDK would use them on *.blob.core).
   */
  private blob(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    url: URL,
    method: string,
    body: Buffer
  ): void {
    const entry = this.store.find(e => String(e.id) === BLOB.exec(url.pathname)?.[1])
    if (!entry || url.searchParams.get('sig') !== entry.sig)
      return refuse(res, 'blob', 403, 'Signature did not match', 'AuthenticationFailed')
    const headers = {
      etag: `"0x${createHash('sha1').update(entry.sig).digest('hex').slice(0, 15).toUpperCase()}"`,
      'last-modified': (entry.committedAt ?? new Date()).toUTCString(),
      'x-ms-request-id': randomBytes(16).toString('hex'),
      'x-ms-version': String(req.headers['x-ms-version'] ?? '2025-01-05')
    }
    if (method === 'PUT') {
      if (entry.committedAt)
        return refuse(res, 'blob', 409, 'The blob is committed', 'BlobImmutable')
      const comp = url.searchParams.get('comp')
      if (comp === 'block') entry.blocks.set(url.searchParams.get('blockid') ?? '', body)
      else if (comp === 'blocklist') {
        const ids = [...body.toString().matchAll(/<(?:Latest|Uncommitted)>([^<]*)</g)].map(
          m => m[1]
        )
        if (ids.some(i => !entry.blocks.has(i)))
          return refuse(
            res,
            'blob',
            400,
            'The block list names an unknown block',
            'InvalidBlockList'
          )
        entry.data = Buffer.concat(ids.map(i => entry.blocks.get(i)!))
      } else if (req.headers['x-ms-blob-type'] !== 'BlockBlob')
        return refuse(res, 'blob', 400, 'x-ms-blob-type must be BlockBlob', 'InvalidHeaderValue')
      else entry.data = body
      const md5 = comp === 'block' ? {} : { 'content-md5': md5Of(entry.data!) }
      res.writeHead(201, { ...headers, ...md5, 'x-ms-request-server-encrypted': 'true' })
      return void res.end()
    }
    if (!entry.committedAt || !entry.data)
      return refuse(res, 'blob', 404, 'No such blob', 'BlobNotFound')
    const data = entry.data
    const range = /^bytes=(\d+)-(\d*)$/.exec(
      String(req.headers['x-ms-range'] ?? req.headers.range ?? '')
    )
    const start = range ? Number(range[1]) : 0
    const end = range && range[2] ? Math.min(Number(range[2]), data.length - 1) : data.length - 1
    res.writeHead(range ? 206 : 200, {
      ...headers,
      'content-type': 'application/octet-stream',
      'content-length': end - start + 1,
      'accept-ranges': 'bytes',
      'x-ms-blob-type': 'BlockBlob',
      ...(range ? { 'content-range': `bytes ${start}-${end}/${data.length}` } : {})
    })
    res.end(method === 'HEAD' ? undefined : data.subarray(start, end + 1))
  }
}

/** `{"pad":"xxx…"}` of `bytes` bytes, streamed: an answer too large to be read whole. */
function padded(res: http.ServerResponse, bytes: number): void {
  res.writeHead(200, { 'content-type': 'application/json' })
  const chunk = Buffer.alloc(1024 * 1024, 'x')
  let left = Math.max(0, bytes - 10)
  res.write('{"pad":"')
  const more = (): void => {
    while (left > 0 && !res.destroyed) {
      const piece = chunk.subarray(0, Math.min(left, chunk.length))
      left -= piece.length
      if (!res.write(piece)) return void res.once('drain', more)
    }
    if (!res.destroyed) res.end('"}')
  }
  res.on('error', () => undefined)
  more()
}

/**
 * Another origin on loopback, where a redirect points: it records whether the runtime token came
 * along, and answers a cache miss to anything.
 */
export class Elsewhere {
  url = ''
  readonly requests: { method: string; path: string; authorization?: string }[] = []
  private readonly server = new LoopbackServer((req, res) => {
    this.requests.push({
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization
    })
    req.resume()
    req.on('end', () => json(res, 200, { ok: false, signed_download_url: '', matched_key: '' }))
  })

  async start(): Promise<void> {
    this.url = await this.server.start()
  }

  stop(): Promise<void> {
    return this.server.stop()
  }
}

export type TarMember =
  | { name: string; type?: 'file'; data: string | Buffer; size?: number }
  | { name: string; type: 'dir' | 'fifo' }
  | { name: string; type: 'symlink' | 'hardlink'; target: string }

/**
 * A tar archive as GNU tar writes one (ustar headers; a pax `path` record for a long name),
 * members exactly as given: `../` and absolute names, links and FIFOs included. A file's `size`
 * may claim more than its data (the rest is zeros): a bomb costs the stand-in nothing to make.
 */
export function tarball(members: TarMember[]): Buffer {
  const blocks: Buffer[] = []
  const header = (name: string, type: string, size: number, target = ''): Buffer => {
    const h = Buffer.alloc(512)
    h.write(name.slice(0, 100), 0, 'utf8')
    h.write(type === '5' ? '0000755\0' : '0000644\0', 100)
    h.write('0000000\0', 108)
    h.write('0000000\0', 116)
    h.write(`${size.toString(8).padStart(11, '0')}\0`, 124)
    h.write(
      `${Math.floor(Date.now() / 1000)
        .toString(8)
        .padStart(11, '0')}\0`,
      136
    )
    h.write(type, 156)
    h.write(target.slice(0, 100), 157, 'utf8')
    h.write('ustar\x0000', 257, 'latin1')
    h.fill(0x20, 148, 156)
    let sum = 0
    for (const b of h) sum += b
    h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
    return h
  }
  const pad = (n: number): Buffer => Buffer.alloc((512 - (n % 512)) % 512)
  for (const m of members) {
    if (Buffer.byteLength(m.name) > 100) {
      const body = (n: number): string => `${n} path=${m.name}\n`
      let length = body(0).length
      while (body(length).length !== length) length = body(length).length
      const record = Buffer.from(body(length))
      blocks.push(header('././@PaxHeader', 'x', record.length), record, pad(record.length))
    }
    const type = m.type ?? 'file'
    if (type === 'file' && 'data' in m) {
      const data = Buffer.from(m.data)
      const size = m.size ?? data.length
      blocks.push(header(m.name, '0', size), data, Buffer.alloc(size - data.length), pad(size))
    } else if (type === 'dir') blocks.push(header(m.name, '5', 0))
    else if (type === 'fifo') blocks.push(header(m.name, '6', 0))
    else if ('target' in m) blocks.push(header(m.name, type === 'symlink' ? '2' : '1', 0, m.target))
  }
  blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}

/** A tar compressed as @actions/cache compresses: zstd (`zstd` on PATH) or gzip. */
export function compress(tar: Buffer, method: 'zstd' | 'gzip'): Buffer {
  return method === 'gzip' ? gzipSync(tar) : execFileSync('zstd', ['-c', '-q'], { input: tar })
}

/**
 * A decompression bomb: a gzip'd tar whose one member, `name`, is `bytes` of zeros, made by
 * streaming so the stand-in never holds it whole (256 MiB make about 250 KB).
 */
export async function gzipBomb(name: string, bytes: number): Promise<Buffer> {
  const gzip = createGzip({ level: 9 })
  const out: Buffer[] = []
  gzip.on('data', (c: Buffer) => out.push(c))
  const done = new Promise(resolve => gzip.on('end', resolve))
  const head = tarball([{ name, data: '' }]).subarray(0, 512)
  head.write(`${bytes.toString(8).padStart(11, '0')}\0`, 124)
  head.fill(0x20, 148, 156)
  let sum = 0
  for (const b of head) sum += b
  head.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1')
  gzip.write(head)
  const zeros = Buffer.alloc(1024 * 1024)
  for (let left = bytes; left > 0; left -= zeros.length)
    if (!gzip.write(zeros.subarray(0, Math.min(left, zeros.length))))
      await new Promise(resolve => gzip.once('drain', resolve))
  gzip.end(Buffer.alloc(1024))
  await done
  return Buffer.concat(out)
}

function parse(raw: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(raw.toString() || '{}') as Record<string, unknown>
  } catch {
    return {}
  }
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : ''
}

function md5Of(data: Buffer): string {
  return createHash('md5').update(data).digest('base64')
}

function send(res: http.ServerResponse, status: number): void {
  res.writeHead(status)
  res.end()
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify(value))
}

/** An error in each surface's own shape: twirp JSON, Azure DevOps JSON, Azure Storage XML. */
function refuse(
  res: http.ServerResponse,
  surface: Surface,
  status: number,
  message = `stand-in fault ${status}`,
  code = status >= 500 ? 'InternalError' : 'Refused'
): void {
  if (surface === 'twirp')
    return json(res, status, {
      code: TWIRP_CODES[status] ?? (status >= 500 ? 'internal' : 'unknown'),
      msg: message
    })
  if (surface === 'v1')
    return json(res, status, {
      $id: '1',
      message,
      typeKey: status === 409 ? 'ArtifactCacheAlreadyExistsException' : code
    })
  res.writeHead(status, { 'content-type': 'application/xml', 'x-ms-error-code': code })
  res.end(
    `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`
  )
}
