/**
 * Where the retry ledger lives between workflow runs: the GitHub Actions cache, through
 * `@actions/cache` (as GitHub's actions/stale keeps its state; no `permissions:` needed). Loaded by
 * dynamic import only when a sweep or a run-id has a failure to decide, so it is its own chunk of
 * dist/ and no other run pays for it. Entries are immutable per key: each save is a new entry
 * under a key unique to the workflow run attempt, and a restore takes the newest by prefix.
 *
 * Nothing here can cost the step or a duplicate: a ledger that cannot be read, is out of shape or
 * too large, or a cache service that fails or hangs, is a warning, and the decision goes on with
 * copy-activity windows and timing (decide.ts).
 */
import * as cache from '@actions/cache'
import { createHash } from 'node:crypto'
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { errorMessage } from '../aep/errors.js'
import { LEDGER_MAX_BYTES, parseLedger, serialiseLedger, type LedgerEntry } from './ledger.js'

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
 * The ledger's file. The cache's version is derived from this path, so it must read the same on
 * every run: RUNNER_TEMP is the runner's own, the same on every GitHub-hosted runner.
 */
function ledgerDir(env = process.env): string {
  return join(env.RUNNER_TEMP || tmpdir(), 'aep-retry-ledger')
}
const FILE = 'ledger.json'

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

export async function restoreLedger(scope: LedgerScope, timeoutMs: number): Promise<Restored> {
  const started = Date.now()
  const ms = (): number => Date.now() - started
  if (!cache.isFeatureAvailable())
    return { problem: 'no Actions cache service in this environment', ms: ms(), unavailable: true }
  const dir = ledgerDir()
  try {
    await rm(dir, { recursive: true, force: true })
    await mkdir(dir, { recursive: true })
    const prefix = ledgerPrefix(scope)
    const key = await within(
      timeoutMs,
      'Restoring the retry ledger',
      cache.restoreCache([dir], `${prefix}none`, [prefix])
    )
    if (!key) return { entries: [], ms: ms() }
    const file = join(dir, FILE)
    const size = (await stat(file)).size
    if (size > LEDGER_MAX_BYTES)
      return { problem: `entry ${key} is larger than ${LEDGER_MAX_BYTES} bytes`, ms: ms() }
    const parsed = parseLedger(await readFile(file, 'utf8'), scope.sandbox)
    if ('problem' in parsed) return { problem: `entry ${key}: ${parsed.problem}`, ms: ms() }
    return { entries: parsed.entries, key, ms: ms() }
  } catch (err) {
    return problem(err, ms())
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
  // Unique to the workflow run attempt, the job and the moment: a re-run or a second step saves anew.
  const attempt = [env.GITHUB_RUN_ID, env.GITHUB_RUN_ATTEMPT, env.GITHUB_JOB]
    .map(part => (part ?? '').replace(/[^\w.-]/g, '').slice(0, 64) || '0')
    .join('-')
  const key = `${ledgerPrefix(scope)}${attempt}-${Date.now()}`
  const dir = ledgerDir(env)
  try {
    await mkdir(dir, { recursive: true })
    await writeFile(join(dir, FILE), serialiseLedger(entries, Date.now()))
    const id = await within(timeoutMs, 'Saving the retry ledger', cache.saveCache([dir], key))
    // The library reports its own failures as warnings and answers -1.
    if (id === -1) return { problem: 'the cache service did not take it', ms: ms() }
    return { key, ms: ms() }
  } catch (err) {
    return problem(err, ms())
  }
}
