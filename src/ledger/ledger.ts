/**
 * The retry ledger: what this action re-triggered, kept between workflow runs (ledger-store.ts
 * keeps it in the Actions cache). It is the first answer to "was this failure retried already?",
 * before equal copy-activity windows and the timing rule (decide.ts). Pure: parsing, adding and
 * bounding; no I/O. It holds ids, times and windows only: never a secret, never server text.
 */
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
}

export const LEDGER_VERSION = 1
/** Entries older than the longest `lookback` can never answer a question: dropped on save. */
export const LEDGER_MAX_AGE_MS = 31 * 24 * 3_600_000
/** A size cap whatever the history: the newest entries are kept. */
export const LEDGER_MAX_ENTRIES = 20_000
/** A stored ledger larger than this is not read (20,000 entries take about 4 MB). */
export const LEDGER_MAX_BYTES = 8 * 1024 * 1024

const isTime = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0

function parseEntry(value: unknown, sandbox: string): LedgerEntry | undefined {
  if (!value || typeof value !== 'object') return undefined
  const e = value as Record<string, unknown>
  const flowId = asUuid(e.flowId)
  const retried = asUuid(e.retried)
  const newRun = asUuid(e.newRun)
  if (e.sandbox !== sandbox || !flowId || !retried || !newRun || !isTime(e.at)) return undefined
  const w = e.window as Record<string, unknown> | undefined
  if (w !== undefined && !(w && isTime(w.start) && isTime(w.end) && w.start < w.end))
    return undefined
  return {
    sandbox,
    flowId,
    retried,
    newRun,
    at: e.at,
    ...(w ? { window: { start: w.start as number, end: w.end as number } } : {})
  }
}

/**
 * A stored ledger's entries for `sandbox`, or why it cannot be trusted. Any entry out of shape
 * makes the whole ledger untrusted: it is ours, so damage anywhere means damage we cannot see.
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
  if (doc.version !== LEDGER_VERSION) return { problem: `not a version ${LEDGER_VERSION} ledger` }
  if (!Array.isArray(doc.entries)) return { problem: 'no entries list' }
  if (doc.entries.length > LEDGER_MAX_ENTRIES)
    return { problem: `more than ${LEDGER_MAX_ENTRIES} entries` }
  const entries: LedgerEntry[] = []
  for (const raw of doc.entries) {
    const entry = parseEntry(raw, sandbox)
    if (!entry) return { problem: `an entry out of shape (${entries.length + 1})` }
    entries.push(entry)
  }
  return { entries }
}

/** The entries worth keeping at `now`: recent enough, newest `LEDGER_MAX_ENTRIES`, no repeats. */
export function boundLedger(entries: readonly LedgerEntry[], now: number): LedgerEntry[] {
  const seen = new Set<string>()
  const kept = entries
    .filter(e => e.at >= now - LEDGER_MAX_AGE_MS)
    .filter(e => !seen.has(e.newRun) && !!seen.add(e.newRun))
    .sort((a, b) => a.at - b.at)
  return kept.slice(Math.max(0, kept.length - LEDGER_MAX_ENTRIES))
}

export function serialiseLedger(entries: readonly LedgerEntry[], now: number): string {
  return JSON.stringify({ version: LEDGER_VERSION, entries: boundLedger(entries, now) })
}
