// The retry ledger's model: what is trusted, what is kept, and how it is bounded.
import { describe, expect, it } from '@jest/globals'
import {
  LEDGER_MAX_AGE_MS,
  LEDGER_MAX_BYTES,
  LEDGER_MAX_ENTRIES,
  boundLedger,
  parseLedger,
  serialiseLedger,
  type LedgerEntry
} from '../../src/ledger/ledger.js'

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`
const NOW = 1_800_000_000_000
const entry = (n: number, at = NOW - n * 1000): LedgerEntry => ({
  sandbox: 'prod',
  flowId: id(1),
  retried: id(1000 + n),
  newRun: id(2000 + n),
  at
})

describe('parseLedger', () => {
  it('reads back what serialiseLedger wrote, windows included', () => {
    const entries = [entry(1), { ...entry(2), window: { start: 1, end: 2 } }]
    expect(parseLedger(serialiseLedger(entries, NOW), 'prod')).toEqual({
      entries: [entries[1], entries[0]]
    })
  })

  it.each([
    ['not JSON', '{', 'not JSON'],
    ['another version', JSON.stringify({ version: 2, entries: [] }), 'not a version 1 ledger'],
    ['no entries', JSON.stringify({ version: 1 }), 'no entries list'],
    [
      'an id that is not a UUID',
      JSON.stringify({ version: 1, entries: [{ ...entry(1), newRun: '../../x' }] }),
      'an entry out of shape (1)'
    ],
    [
      'another sandbox',
      JSON.stringify({ version: 1, entries: [{ ...entry(1), sandbox: 'dev' }] }),
      'an entry out of shape (1)'
    ],
    [
      'a window backwards',
      JSON.stringify({ version: 1, entries: [{ ...entry(1), window: { start: 5, end: 1 } }] }),
      'an entry out of shape (1)'
    ],
    [
      'too many entries',
      JSON.stringify({ version: 1, entries: Array(LEDGER_MAX_ENTRIES + 1).fill(entry(1)) }),
      `more than ${LEDGER_MAX_ENTRIES} entries`
    ],
    ['too large', ' '.repeat(LEDGER_MAX_BYTES + 1), `larger than ${LEDGER_MAX_BYTES} bytes`]
  ])('a ledger with %s is not trusted at all', (_, text, problem) => {
    expect(parseLedger(text, 'prod')).toEqual({ problem })
  })
})

describe('boundLedger', () => {
  it('drops entries older than any lookback, repeats, and the oldest past the cap', () => {
    const old = entry(1, NOW - LEDGER_MAX_AGE_MS - 1)
    const kept = entry(2)
    expect(boundLedger([old, kept, { ...kept }], NOW)).toEqual([kept])
    const many = Array.from({ length: LEDGER_MAX_ENTRIES + 5 }, (_, i) => entry(i + 10))
    const bounded = boundLedger(many, NOW)
    expect(bounded).toHaveLength(LEDGER_MAX_ENTRIES)
    // The newest are kept, oldest first.
    expect(bounded.at(-1)).toEqual(entry(10))
    expect(bounded[0].at).toBeLessThan(bounded.at(-1)!.at)
  })
})
