/**
 * Where the retry ledger lives between workflow runs: the GitHub Actions cache (as GitHub's
 * actions/stale keeps its state; no `permissions:` needed). Loaded by dynamic import only when a
 * sweep or a run-id has a failure to decide, so it is its own chunk of dist/ and no other run pays
 * for it. Entries are immutable per key: each save is a new entry under a key unique to the
 * workflow run attempt, and a restore takes the newest by prefix.
 *
 * A cache entry is anyone's to write (every workflow of the repository can save under our key),
 * so a restore is hostile input: it is looked up and fetched by cache-client.ts, decompressed in
 * memory with a cap (unpack.ts), and its one file read out of the tar (tar.ts); nothing of it is
 * ever written to disk. The save writes only into a private folder made fresh for it
 * (private-folder.ts) and hands that to @actions/cache, in the rails of library-rails.ts.
 *
 * Nothing here can cost the step or a duplicate: a ledger that cannot be read, is out of shape or
 * too large, an entry refused, or a cache service that fails or hangs, is a warning, and the
 * decision goes on with copy-activity windows and timing (decide.ts).
 */
import * as cache from '@actions/cache'
import { createHash } from 'node:crypto'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { errorMessage } from '../aep/errors.js'
import {
  cacheServiceConfig,
  cacheVersion,
  compressionMethod,
  download,
  lookUp
} from './cache-client.js'
import { LEDGER_MAX_BYTES, parseLedger, serialiseLedger, type LedgerEntry } from './ledger.js'
import { railed } from './library-rails.js'
import { removePrivate, writePrivate } from './private-folder.js'
import { LEDGER_FILE, LEDGER_FOLDER, ledgerFromTar } from './tar.js'
import { unpack } from './unpack.js'

export interface LedgerScope {
  orgId: string
  sandbox: string
}

export type Restored = { entries: LedgerEntry[]; key?: string; ms: number } | Problem

/** Why the cache did not serve; `abandoned` when a call was given up on while still pending. */
export interface Problem {
  problem: string
  ms: number
  abandoned?: boolean
  /** No cache service at all (not a GitHub runner): nothing to restore from or save to. */
  unavailable?: boolean
}

const problem = (err: unknown, ms: number): Problem => ({
  problem: errorMessage(err),
  ms,
  ...(err instanceof AbandonedError ? { abandoned: true } : {})
})

/** The key prefix of one org's sandbox: the org id is hashed, it names a customer. */
export function ledgerPrefix({ orgId, sandbox }: LedgerScope): string {
  const scope = createHash('sha256').update(`${orgId}\n${sandbox}`).digest('hex').slice(0, 16)
  return `aep-retry-ledger-v1-${scope}-`
}

/**
 * The ledger's folder. The cache's version is derived from this path, so it must read the same on
 * every run: RUNNER_TEMP is the runner's own, the same on every GitHub-hosted runner.
 */
function ledgerDir(env = process.env): string {
  return join(env.RUNNER_TEMP || tmpdir(), LEDGER_FOLDER)
}

/** What a restore downloads at most: a whole ledger compresses to far less. */
export const MAX_ARCHIVE_BYTES = LEDGER_MAX_BYTES + 1024 * 1024
/** What it decompresses at most: the ledger, its folder and their tar headers. */
export const MAX_TAR_BYTES = LEDGER_MAX_BYTES + 64 * 1024

/**
 * A key saveLedger could have made for this scope: the prefix, then word characters, dots and
 * hyphens. Checked before a matched key is used or shown: the service (or whoever answers in its
 * name) chose it.
 */
export function isOurKey(key: string, scope: LedgerScope): boolean {
  const prefix = ledgerPrefix(scope)
  return key.length <= 512 && key.startsWith(prefix) && /^[\w.-]+$/.test(key.slice(prefix.length))
}

/** Thrown when a cache call is given up on: its connection may still hold the process open. */
class AbandonedError extends Error {}

/** A promise that gives up after `ms`: the cache service may hang, the step must not. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AbandonedError(`${what} did not finish within ${Math.round(ms / 1000)} s`)),
      ms
    )
  })
  try {
    return await Promise.race([work, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The newest ledger saved for the scope, read without @actions/cache's restore: looked up,
 * downloaded into memory (capped), decompressed (capped) and its one regular file taken out of
 * the tar. Nothing is written anywhere; everything else an entry holds refuses it. On a time-out
 * every request and the zstd pipe are ended, so nothing is left pending.
 */
export async function restoreLedger(scope: LedgerScope, timeoutMs: number): Promise<Restored> {
  const started = Date.now()
  const ms = (): number => Date.now() - started
  const config = cacheServiceConfig()
  if (!config)
    return { problem: 'no Actions cache service in this environment', ms: ms(), unavailable: true }
  if (!config.readable)
    return { problem: "this job's cache mode does not allow reading the cache", ms: ms() }
  const stop = new AbortController()
  try {
    const work = async (): Promise<Restored> => {
      const prefix = ledgerPrefix(scope)
      const version = cacheVersion([ledgerDir()], await compressionMethod())
      const hit = await lookUp(config, [`${prefix}none`, prefix], version, stop.signal)
      if (!hit) return { entries: [], ms: ms() }
      if (!isOurKey(hit.key, scope))
        return {
          problem: 'the cache service matched a key that is not one of this ledger',
          ms: ms()
        }
      const entry = `entry ${hit.key}`
      const archive = await download(hit.url, config.url, MAX_ARCHIVE_BYTES, stop.signal)
      const tar = await unpack(archive, MAX_TAR_BYTES, stop.signal).catch((err: unknown) => {
        throw new Error(`${entry} refused: ${errorMessage(err)}`)
      })
      const file = ledgerFromTar(tar, LEDGER_MAX_BYTES)
      if ('problem' in file) return { problem: `${entry} refused: ${file.problem}`, ms: ms() }
      const parsed = parseLedger(file.data.toString('utf8'), scope.sandbox)
      if ('problem' in parsed) return { problem: `${entry}: ${parsed.problem}`, ms: ms() }
      return { entries: parsed.entries, key: hit.key, ms: ms() }
    }
    return await within(timeoutMs, 'Restoring the retry ledger', work())
  } catch (err) {
    // Ended, not abandoned: no request of ours outlives the abort.
    return { problem: errorMessage(err), ms: ms() }
  } finally {
    stop.abort()
  }
}

/** Saves the ledger as a new entry; returns its key, or why it was not saved. */
export async function saveLedger(
  scope: LedgerScope,
  entries: readonly LedgerEntry[],
  timeoutMs: number,
  env = process.env
): Promise<{ key: string; ms: number } | Problem> {
  const started = Date.now()
  const ms = (): number => Date.now() - started
  if (!cache.isFeatureAvailable())
    return { problem: 'no Actions cache service in this environment', ms: ms() }
  // Unique to the workflow run attempt, the job and the moment: a re-run or a second step saves
  // anew. Word characters, dots and hyphens only: the key is ours, safe in any log line.
  const attempt = [env.GITHUB_RUN_ID, env.GITHUB_RUN_ATTEMPT, env.GITHUB_JOB]
    .map(part => (part ?? '').replace(/[^\w.-]/g, '').slice(0, 64) || '0')
    .join('-')
  const key = `${ledgerPrefix(scope)}${attempt}-${Date.now()}`
  const dir = ledgerDir(env)
  let abandoned = false
  try {
    await writePrivate(dir, LEDGER_FILE, serialiseLedger(entries, Date.now()))
    const services = [env.ACTIONS_RESULTS_URL ?? '', env.ACTIONS_CACHE_URL ?? '']
    const saving = railed(services, env.ACTIONS_RUNTIME_TOKEN ?? '', () =>
      cache.saveCache([dir], key)
    )
    const id = await within(timeoutMs, 'Saving the retry ledger', saving).catch((err: unknown) => {
      abandoned = err instanceof AbandonedError
      throw err
    })
    // The library reports its own failures as warnings and answers -1.
    if (id === -1) return { problem: 'the cache service did not take it', ms: ms() }
    return { key, ms: ms() }
  } catch (err) {
    return problem(err, ms())
  } finally {
    // A save given up on may still be reading it.
    if (!abandoned) await removePrivate(dir).catch(() => undefined)
  }
}
