// The cache stand-in, driven in-process by the real @actions/cache over both protocols: what it
// stores and restores, and what the library does when the service fails, refuses or hangs.
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as cache from '@actions/cache'
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { setTimeout as nodeSetTimeout } from 'node:timers'
import { setTimeout as sleep } from 'node:timers/promises'
import { CacheService, type CacheCall, type CacheProtocol } from '../../sim/cache-service.js'

const savedEnv = { ...process.env }
const savedCwd = process.cwd()
const realSetTimeout = globalThis.setTimeout
// The fs module Node's read streams use, not a copy of its exports.
const realFs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs')
const undo: (() => void)[] = []
let svc: CacheService
let root: string
/** Everything @actions/core wrote: `::warning::…`, `::error::…`, plain info lines. */
let out: string

beforeEach(async () => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'cache-sim-')))
  // A real runner's variables (CI) must not point the library at the real service.
  for (const name of Object.keys(process.env))
    if (/^(ACTIONS_|CACHE_UPLOAD_|SEGMENT_DOWNLOAD_|RUNNER_DEBUG$)/.test(name))
      delete process.env[name]
  process.env.RUNNER_TEMP = join(root, 'temp')
  svc = await new CacheService().start()
  out = ''
  jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
    out += String(chunk)
    return true
  })
})

afterEach(async () => {
  for (const step of undo.splice(0)) step()
  jest.restoreAllMocks()
  globalThis.setTimeout = realSetTimeout
  await svc.stop()
  process.chdir(savedCwd)
  for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name]
  Object.assign(process.env, savedEnv)
  rmSync(root, { recursive: true, force: true })
})

/** A fresh GITHUB_WORKSPACE, also the cwd: the library globs from the cwd, tars from the workspace. */
function workspace(name: string): string {
  const dir = join(root, name)
  mkdirSync(dir, { recursive: true })
  process.env.GITHUB_WORKSPACE = dir
  process.chdir(dir)
  return dir
}

/**
 * Retry sleeps of 3 s and more (v2 twirp: 3 s, then ×1.5 with jitter, 5 attempts; Azure blob: 4 s
 * and 12 s, 4 tries; v1: 5 s, 2 attempts) take 1 ms instead; with `lapse`, every shorter timer
 * runs that many times faster too. Socket timeouts are not timers here.
 */
function fastRetries(lapse = 1): void {
  globalThis.setTimeout = ((fn: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    realSetTimeout(
      () => fn(...args),
      ms !== undefined && ms >= 3000 ? 1 : (ms ?? 0) / lapse
    )) as typeof setTimeout
}

/**
 * Every fs.read (read streams use it) starts `ms` late, on Node's own timer, as when a loaded
 * machine runs the thread pool late; undone after each test.
 */
function slowReads(ms: number): void {
  const read = realFs.read
  const slow = (...args: unknown[]): void => {
    nodeSetTimeout(() => (read as (...a: unknown[]) => void)(...args), ms)
  }
  realFs.read = slow as typeof realFs.read
  undo.push(() => (realFs.read = read))
}

/** Until `n` requests of a kind are all in (their bodies too): at most 5 s. */
async function received(kind: CacheCall, n: number): Promise<void> {
  const count = () => svc.requests.filter(r => r.kind === kind && r.receivedAt).length
  for (let i = 0; i < 500 && count() < n; i++) await sleep(10)
}

/** A promise whose settling a test can watch without awaiting it. */
function watch<T>(promise: Promise<T>): { settled: () => boolean; result: Promise<T> } {
  let settled = false
  const result = promise.finally(() => (settled = true))
  return { settled: () => settled, result }
}

const save = (key: string, content: string): Promise<number> => {
  writeFileSync('state.json', content)
  return cache.saveCache(['state.json'], key)
}
const restore = (key: string, restoreKeys?: string[]): Promise<string | undefined> =>
  cache.restoreCache(['state.json'], key, restoreKeys)
const restored = (): string => readFileSync('state.json', 'utf8')

describe.each<CacheProtocol>(['v2', 'v1'])('the cache stand-in over %s', protocol => {
  beforeEach(() => {
    Object.assign(process.env, svc.env(protocol))
  })

  it('speaks only its protocol', async () => {
    workspace('a')
    expect(cache.isFeatureAvailable()).toBe(true)
    await save('ledger-1', '{}')
    const paths = svc.requests.map(r => r.path).join('\n')
    if (protocol === 'v2') expect(paths).toMatch(/^\/twirp\/.*CreateCacheEntry$/m)
    else expect(paths).toMatch(/^\/v1\/_apis\/artifactcache\/caches$/m)
    expect(paths).not.toContain(protocol === 'v2' ? '_apis' : 'twirp')
  })

  it('saves a file and restores it by exact key and by prefix into fresh workspaces', async () => {
    workspace('a')
    expect(await save('ledger-1', '{"n":1}')).toBeGreaterThan(0)
    expect(svc.files('ledger-1')).toEqual({ 'state.json': '{"n":1}' })
    expect(svc.entries()).toEqual([
      {
        key: 'ledger-1',
        version: expect.stringMatching(/^[0-9a-f]{64}$/),
        size: expect.any(Number),
        createdAt: expect.any(Date)
      }
    ])
    expect(svc.archive('ledger-1').length).toBe(svc.entries()[0].size)

    workspace('b')
    expect(await restore('ledger-1')).toBe('ledger-1')
    expect(restored()).toBe('{"n":1}')
    workspace('c')
    expect(await restore('ledger-2', ['ledger-'])).toBe('ledger-1')
    expect(restored()).toBe('{"n":1}')
    expect(out).not.toMatch(/::(warning|error)::/)
  })

  it('restores the newest of two entries under one prefix; the key itself is a prefix too', async () => {
    workspace('a')
    await save('ledger-1', 'old')
    await save('ledger-2', 'new')
    workspace('b')
    expect(await restore('ledger-9', ['ledger-'])).toBe('ledger-2')
    expect(restored()).toBe('new')
    // GitHub's order: exact key, then the key as a prefix, then the restore keys.
    expect(await restore('ledger-')).toBe('ledger-2')
    expect(await restore('ledger-1', ['ledger-'])).toBe('ledger-1')
    expect(restored()).toBe('old')
  })

  it('refuses a second save of a key: -1, logged as info, the first entry stays', async () => {
    workspace('a')
    expect(await save('ledger-1', 'first')).toBeGreaterThan(0)
    expect(await save('ledger-1', 'second')).toBe(-1)
    expect(out).toContain(
      'Failed to save: Unable to reserve cache with key ledger-1, another job may be creating this cache.'
    )
    expect(out).not.toMatch(/::(warning|error)::/)
    expect(svc.entries()).toHaveLength(1)
    expect(svc.files('ledger-1')).toEqual({ 'state.json': 'first' })
  })

  it('keys the version on the path strings: another spelling of the same file misses', async () => {
    workspace('a')
    await save('ledger-1', 'x')
    // With RUNNER_DEBUG, v1 lists the key's other versions after a miss.
    process.env.RUNNER_DEBUG = '1'
    expect(await cache.restoreCache(['./state.json'], 'ledger-1')).toBeUndefined()
    if (protocol === 'v1')
      expect(out).toMatch(/Other caches with similar key:[^]*Cache Key: ledger-1/)
    expect(await cache.saveCache(['./state.json'], 'ledger-1')).toBeGreaterThan(0)
    expect(new Set(svc.entries().map(e => e.version)).size).toBe(2)
  })

  it('stores an absolute path in RUNNER_TEMP relative to the workspace, ../ and all', async () => {
    const file = join(root, 'temp', 'state', 'ledger.json')
    mkdirSync(join(root, 'temp', 'state'), { recursive: true })
    workspace('a')
    writeFileSync(file, 'abs')
    expect(await cache.saveCache([file], 'abs-1')).toBeGreaterThan(0)
    expect(svc.files('abs-1')).toEqual({ '../temp/state/ledger.json': 'abs' })

    rmSync(file)
    workspace('b')
    expect(await cache.restoreCache([file], 'abs-1')).toBe('abs-1')
    expect(readFileSync(file, 'utf8')).toBe('abs')
    // From a workspace one level deeper the same archive lands elsewhere, not at `file`.
    rmSync(file)
    workspace('deep/ws')
    expect(await cache.restoreCache([file], 'abs-1')).toBe('abs-1')
    expect(existsSync(file)).toBe(false)
    expect(readFileSync(join(root, 'deep', 'temp', 'state', 'ledger.json'), 'utf8')).toBe('abs')
  })

  // v1 PATCHes CACHE_UPLOAD_CHUNK_SIZE (MiB) chunks; v2 uses Put Block + Put Block List past 128
  // MiB only, ~6 s here, so that one runs on demand (CACHE_SIM_LARGE=1).
  const large = protocol === 'v1' || process.env.CACHE_SIM_LARGE ? it : it.skip
  large('sends a large archive in pieces and gets it back whole', async () => {
    process.env.CACHE_UPLOAD_CHUNK_SIZE = '1'
    const data = randomBytes(protocol === 'v2' ? 130 * 2 ** 20 : 3 * 2 ** 20)
    workspace('a')
    writeFileSync('big.bin', data)
    expect(await cache.saveCache(['big.bin'], 'big-1')).toBeGreaterThan(0)
    // v1: 3 MiB and a tar header in 1 MiB chunks; v2: three 64 MiB blocks and the block list.
    expect(svc.count('upload')).toBe(4)
    workspace('b')
    expect(await cache.restoreCache(['big.bin'], 'big-1')).toBe('big-1')
    expect(readFileSync('big.bin').equals(data)).toBe(true)
  })

  it('checks the runtime token', async () => {
    workspace('a')
    process.env.ACTIONS_RUNTIME_TOKEN = 'not-the-token'
    expect(await save('ledger-1', 'x')).toBe(-1)
    expect(await restore('ledger-1')).toBeUndefined()
    expect(svc.entries()).toEqual([])
    expect(out).toMatch(
      protocol === 'v2' ? /\(401\) Unauthorized: invalid runtime token/ : /responded with 401/
    )
  })
})

describe.each<CacheProtocol>(['v2', 'v1'])(
  '@actions/cache over %s when the service fails',
  protocol => {
    const v2 = protocol === 'v2'
    beforeEach(() => {
      Object.assign(process.env, svc.env(protocol))
      fastRetries()
      workspace('a')
    })

    it('a 500 on lookup: restoreCache warns and returns undefined', async () => {
      await save('ledger-1', 'x')
      svc.fault('lookup', { status: 500 }, 5)
      expect(await restore('ledger-1')).toBeUndefined()
      expect(out).toContain(
        v2
          ? '::warning::Failed to restore: Failed to GetCacheEntryDownloadURL: Failed to make request after 5 attempts: Failed request: (500) Internal Server Error: stand-in fault 500'
          : '::warning::Failed to restore: getCacheEntry failed: Cache service responded with 500'
      )
      // v2 retries 500 (and 502, 503, 504) five times; v1 retries only 502, 503, 504, once.
      expect(svc.count('lookup')).toBe(v2 ? 5 : 1)
    })

    it('a 503 on lookup is retried and then succeeds', async () => {
      await save('ledger-1', 'x')
      svc.fault('lookup', { status: 503 })
      expect(await restore('ledger-1')).toBe('ledger-1')
      expect(svc.count('lookup')).toBe(2)
    })

    it('a 500 on reserve: saveCache returns -1 (v2: logged as info only)', async () => {
      svc.fault('reserve', { status: 500 }, 5)
      expect(await save('ledger-1', 'x')).toBe(-1)
      if (v2) {
        expect(out).toContain(
          'Failed to save: Unable to reserve cache with key ledger-1, another job may be creating this cache.'
        )
        expect(out).not.toMatch(/::(warning|error)::/)
      } else
        expect(out).toContain(
          '::warning::Failed to save: reserveCache failed: Cache service responded with 500'
        )
      expect(svc.count('reserve')).toBe(v2 ? 5 : 1)
      expect(svc.entries()).toEqual([])
    })

    it('a 500 on upload: saveCache warns, saves nothing, and the key stays reserved', async () => {
      svc.fault('upload', { status: 500 }, 4)
      // v1 returns the id it reserved even though the save failed: only -1 means anything.
      expect(await save('ledger-1', 'x')).toBe(v2 ? -1 : 1)
      expect(out).toMatch(
        v2
          ? /::warning::uploadCacheArchiveSDK: internal error uploading cache archive: stand-in fault 500\n[^]*::warning::Failed to save: stand-in fault 500/
          : /::warning::Failed to save: uploadChunk \(start: 0, end: \d+\) failed: Cache service responded with 500/
      )
      expect(svc.count('upload')).toBe(v2 ? 4 : 1) // the Azure SDK tries 4 times, v1 once
      expect(svc.count('commit')).toBe(0)
      expect(await save('ledger-1', 'x')).toBe(-1)
      expect(svc.entries()).toEqual([])
    })

    it('a 500 on commit: saveCache warns and saves nothing', async () => {
      svc.fault('commit', { status: 500 }, 5)
      expect(await save('ledger-1', 'x')).toBe(v2 ? -1 : 1)
      expect(out).toContain(
        v2
          ? '::warning::Failed to save: Failed to FinalizeCacheEntryUpload: Failed to make request after 5 attempts: Failed request: (500) Internal Server Error'
          : '::warning::Failed to save: commitCache failed: Cache service responded with 500'
      )
      expect(svc.entries()).toEqual([])
    })

    it('a 500 on download: restoreCache warns and returns undefined', async () => {
      await save('ledger-1', 'x')
      svc.fault('download', { status: 500 })
      workspace('b')
      expect(await restore('ledger-1')).toBeUndefined()
      expect(out).toContain(
        '::warning::Failed to restore: downloadCache failed: Cache service responded with 500'
      )
      expect(existsSync('state.json')).toBe(false)
    })

    it('a service down for everything: restore undefined, save -1, nothing thrown', async () => {
      svc.failAll(503)
      expect(await restore('ledger-1')).toBeUndefined()
      expect(await save('ledger-1', 'x')).toBe(-1)
      svc.recover()
      expect(await save('ledger-1', 'x')).toBeGreaterThan(0)
    })

    it('a slow answer (delayMs) is waited for', async () => {
      await save('ledger-1', 'x')
      svc.fault('lookup', { delayMs: 100 })
      const started = Date.now()
      expect(await restore('ledger-1')).toBe('ledger-1')
      expect(Date.now() - started).toBeGreaterThanOrEqual(100)
    })

    it('a service that stops answering (hangAll) holds the call until stop()', async () => {
      svc.hangAll()
      fastRetries(10)
      const restoring = watch(restore('ledger-1'))
      // From the moment it hangs, 200 ms of the library's time (its timers run 10 times faster).
      await received('lookup', 1)
      await sleep(20)
      expect(svc.count('lookup')).toBe(1)
      expect(restoring.settled()).toBe(false)
      await svc.stop()
      expect(await restoring.result).toBeUndefined()
    })

    // Neither call has a timer of its own (retry sleeps are sped up here, so even a long one would
    // have fired). What does end them: the twirp/v1 requests, @actions/http-client's 3 min socket
    // idle timeout, retried (v2: 5 attempts, ~15.5 min; v1: 2 attempts, ~6 min); the Azure SDK's
    // blob upload, nothing at all. The caller needs its own time limit.
    // The 2 s are the library's: its clock (every setTimeout it sets, the Azure SDK's per-request
    // timeout included) runs 10 times faster in this test, so 200 ms here is 2 s there. The socket
    // idle timeout is Node's own timer, on real time: 3 min, beyond either.
    // The file reads are made slow (each one starts 50 ms late), as on a loaded machine: v1
    // retries a chunk upload whose connection was reset, and that retry's read stream must not
    // outlive the file the library closes when the retry fails (EBADF, thrown uncaught). stop()
    // refuses what hangs instead of resetting it, so nothing is retried into a closed port.
    it('a hung lookup and a hung upload are still pending after 2 s; stop() releases both', async () => {
      await save('ledger-0', 'x')
      svc.fault('lookup', { hang: true }).fault('upload', { hang: true })
      slowReads(50)
      fastRetries(10)
      const restoring = watch(restore('ledger-0'))
      const saving = watch(save('ledger-1', 'y'))
      // From the moment both hang, bodies in (the save makes its archive first).
      await received('lookup', 1)
      await received('upload', 2)
      await sleep(200)
      expect(svc.count('lookup')).toBe(1)
      expect(svc.count('upload')).toBe(2) // ledger-0's, then the hung one
      expect(restoring.settled()).toBe(false)
      expect(saving.settled()).toBe(false)

      await svc.stop()
      expect(await restoring.result).toBeUndefined()
      expect(await saving.result).toBe(v2 ? -1 : 2)
      // A read started late (slowReads) lands within this test, not after it.
      await sleep(200)
      expect(out).toContain('::warning::Failed to restore: ')
      expect(out).toContain('::warning::Failed to save: ')
    })
  }
)
