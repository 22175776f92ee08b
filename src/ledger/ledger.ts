/**
 * The retry ledger: what this action re-triggered, kept between workflow runs (store.ts keeps it
 * in the Actions cache). Pure: parsing, signing, admitting, de-duplicating and bounding; no I/O.
 * It holds ids, times and windows only: never a secret, never server text.
 *
 * Anyone who can run a workflow in the repository can write the cache under the ledger's key (the
 * cache is not a security boundary), so a restored entry is a claim, not a fact. Each entry is
 * signed with an HMAC keyed by a key derived from the secret only the sweep holds (the OAuth client
 * secret, or the static token): an entry without a valid signature is not used (`admitEntries`).
 * Even a signed entry is used only where it agrees with what Adobe lists (decide.ts).
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto'
import { asUuid } from '../inputs/ids.js'
import type { RunWindow } from '../aep/runs.js'

export interface LedgerEntry {
  sandbox: string
  flowId: string
  /** The run the re-trigger was sent to: a failure, or an earlier retry of it. */
  retried: string
  /** The run Adobe created. */
  newRun: string
  /** When (epoch ms, runner clock). */
  at: number
  window?: RunWindow
  /** HMAC-SHA256 of the entry (hex), keyed by `ledgerKey`; absent in unsigned (version 1) ledgers. */
  mac?: string
}

/** An entry the decision did not use because Adobe's listings say otherwise (decide.ts), and why. */
export interface Disputed {
  entry: LedgerEntry
  why: string
}

/** Version 2: entries are signed. Version 1 ledgers (unsigned) are still read, as claims only. */
export const LEDGER_VERSION = 2
const READABLE_VERSIONS = new Set([1, LEDGER_VERSION])
/** Entries older than the longest `lookback` can never answer a question: dropped on save. */
export const LEDGER_MAX_AGE_MS = 31 * 24 * 3_600_000
/**
 * How far ahead of this runner's clock an entry may be dated (another runner's clock): beyond it
 * an entry is refused, so entries dated a year ahead cannot crowd real ones out of the bound.
 */
export const LEDGER_MAX_SKEW_MS = 10 * 60_000
/** A size cap whatever the history (see `boundLedger` for which are kept). */
export const LEDGER_MAX_ENTRIES = 20_000
/** A stored ledger larger than this is not read (20,000 entries take about 6 MB). */
export const LEDGER_MAX_BYTES = 8 * 1024 * 1024

const isTime = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const MAC = /^[0-9a-f]{64}$/

function parseEntry(value: unknown, sandbox: string, signed: boolean): LedgerEntry | undefined {
  if (!value || typeof value !== 'object') return undefined
  const e = value as Record<string, unknown>
  const flowId = asUuid(e.flowId)
  const retried = asUuid(e.retried)
  const newRun = asUuid(e.newRun)
  if (e.sandbox !== sandbox || !flowId || !retried || !newRun || !isTime(e.at)) return undefined
  const w = e.window as Record<string, unknown> | undefined
  if (w !== undefined && !(w && isTime(w.start) && isTime(w.end) && w.start < w.end))
    return undefined
  if (e.mac !== undefined && !(typeof e.mac === 'string' && MAC.test(e.mac))) return undefined
  return {
    sandbox,
    flowId,
    retried,
    newRun,
    at: e.at,
    ...(w ? { window: { start: w.start as number, end: w.end as number } } : {}),
    // A version 1 ledger has no signatures: whatever it holds under `mac` is not one of ours.
    ...(signed && typeof e.mac === 'string' ? { mac: e.mac } : {})
  }
}

/**
 * A stored ledger's entries for `sandbox`, or why it cannot be read. Any entry out of shape makes
 * the whole ledger unreadable. Entries come back as claims: `admitEntries` decides which are used.
 */
export function parseLedger(
  text: string,
  sandbox: string
): { entries: LedgerEntry[] } | { problem: string } {
  if (text.length > LEDGER_MAX_BYTES) return { problem: `larger than ${LEDGER_MAX_BYTES} bytes` }
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch {
    return { problem: 'not JSON' }
  }
  const doc = (data ?? {}) as Record<string, unknown>
  if (typeof doc.version !== 'number' || !READABLE_VERSIONS.has(doc.version))
    return { problem: `not a version ${[...READABLE_VERSIONS].join(' or ')} ledger` }
  if (!Array.isArray(doc.entries)) return { problem: 'no entries list' }
  if (doc.entries.length > LEDGER_MAX_ENTRIES)
    return { problem: `more than ${LEDGER_MAX_ENTRIES} entries` }
  const signed = doc.version >= 2
  const entries: LedgerEntry[] = []
  for (const raw of doc.entries) {
    const entry = parseEntry(raw, sandbox, signed)
    if (!entry) return { problem: `an entry out of shape (${entries.length + 1})` }
    entries.push(entry)
  }
  return { entries }
}

/**
 * The key entries are signed with, derived (HKDF-SHA256) from the secret only the sweep holds and
 * bound to the org and sandbox. Held in memory for the step only: neither it nor the secret is
 * ever written to the cache, a log or an output.
 */
export function ledgerKey(secret: string, scope: { orgId: string; sandbox: string }): Buffer {
  return Buffer.from(
    hkdfSync('sha256', secret, 'aep-retry-ledger', `${scope.orgId}\n${scope.sandbox}`, 32)
  )
}

/** What a signature covers: every field of the entry, in a fixed order. */
function signedText(e: LedgerEntry): string {
  return JSON.stringify([
    'aep-retry-ledger/2',
    e.sandbox,
    e.flowId,
    e.retried,
    e.newRun,
    e.at,
    e.window?.start ?? null,
    e.window?.end ?? null
  ])
}

const macOf = (e: LedgerEntry, key: Buffer): string =>
  createHmac('sha256', key).update(signedText(e)).digest('hex')

/** The entry, signed. */
export function signEntry(entry: LedgerEntry, key: Buffer): LedgerEntry {
  const unsigned = { ...entry }
  delete unsigned.mac
  return { ...unsigned, mac: macOf(unsigned, key) }
}

/** Whether the entry carries a valid signature for `key`. */
export function verifyEntry(entry: LedgerEntry, key: Buffer): boolean {
  if (!entry.mac) return false
  const given = Buffer.from(entry.mac, 'hex')
  const expected = Buffer.from(macOf(entry, key), 'hex')
  return given.length === expected.length && timingSafeEqual(given, expected)
}

/** Restored entries sorted into those used and counts of those refused, with why. */
export interface Admitted {
  /** Signed with this step's key and not dated ahead: newest first. */
  trusted: LedgerEntry[]
  /** Without a valid signature: written by another workflow, an older version, or another secret. */
  unsigned: number
  /** Dated beyond `now + LEDGER_MAX_SKEW_MS`. */
  future: number
}

/** Which restored entries may be used at `now` (runner clock): see the module comment. */
export function admitEntries(entries: readonly LedgerEntry[], key: Buffer, now: number): Admitted {
  const admitted: Admitted = { trusted: [], unsigned: 0, future: 0 }
  for (const entry of entries) {
    if (!verifyEntry(entry, key)) admitted.unsigned++
    else if (entry.at > now + LEDGER_MAX_SKEW_MS) admitted.future++
    else admitted.trusted.push(entry)
  }
  admitted.trusted.sort((a, b) => b.at - a.at)
  return admitted
}

/** Two entries say the same thing about the run they created. */
const agree = (a: LedgerEntry, b: LedgerEntry): boolean =>
  a.flowId === b.flowId &&
  a.retried === b.retried &&
  a.window?.start === b.window?.start &&
  a.window?.end === b.window?.end

/**
 * One entry per new run, by the one rule the decision (decide.ts) and the save both use: the
 * first entry for a run wins. Callers list this step's own entries first, so what this step saw
 * Adobe create is never overruled; later entries for the same run that say otherwise are
 * returned as `conflicting`, to be named in a warning.
 */
export function uniqueEntries(entries: readonly LedgerEntry[]): {
  entries: LedgerEntry[]
  conflicting: LedgerEntry[]
} {
  const first = new Map<string, LedgerEntry>()
  const conflicting: LedgerEntry[] = []
  for (const entry of entries) {
    const earlier = first.get(entry.newRun)
    if (!earlier) first.set(entry.newRun, entry)
    else if (!agree(earlier, entry)) conflicting.push(entry)
  }
  return { entries: [...first.values()], conflicting }
}

/**
 * The entries worth keeping at `now`, oldest first: one per run (`uniqueEntries`), none older
 * than any lookback or dated ahead of `now` beyond the skew allowance, and at most
 * `LEDGER_MAX_ENTRIES`, taken in the order given: callers list this step's own entries first,
 * then the others newest first, so nothing restored can crowd this step's own entries out.
 */
export function boundLedger(entries: readonly LedgerEntry[], now: number): LedgerEntry[] {
  return uniqueEntries(entries)
    .entries.filter(e => e.at >= now - LEDGER_MAX_AGE_MS && e.at <= now + LEDGER_MAX_SKEW_MS)
    .slice(0, LEDGER_MAX_ENTRIES)
    .sort((a, b) => a.at - b.at)
}

export function serialiseLedger(entries: readonly LedgerEntry[], now: number): string {
  return JSON.stringify({ version: LEDGER_VERSION, entries: boundLedger(entries, now) })
}
