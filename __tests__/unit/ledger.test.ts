// The retry ledger's model: what is trusted, what is kept, and how it is bounded.
import { describe, expect, it } from '@jest/globals'
import {
  LEDGER_MAX_AGE_MS,
  LEDGER_MAX_BYTES,
  LEDGER_MAX_ENTRIES,
  LEDGER_MAX_SKEW_MS,
  admitEntries,
  boundLedger,
  ledgerKey,
  parseLedger,
  serialiseLedger,
  signEntry,
  uniqueEntries,
  verifyEntry,
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
    ['another version', JSON.stringify({ version: 3, entries: [] }), 'not a version 1 or 2 ledger'],
    [
      'a signature that is not one',
      JSON.stringify({ version: 2, entries: [{ ...entry(1), mac: 'x'.repeat(64) }] }),
      'an entry out of shape (1)'
    ],
    ['no entries', JSON.stringify({ version: 1 }), 'no entries list'],
    [
      'an id that is not a UUID',
      JSON.stringify({ version: 2, entries: [{ ...entry(1), newRun: '../../x' }] }),
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

describe('signed entries: a restored entry is used only with a valid signature', () => {
  const scope = { orgId: '5C1328435BF324E90A49402A@AdobeOrg', sandbox: 'prod' }
  const key = ledgerKey('client-secret-of-the-sweep', scope)

  it('an entry signed with the key verifies; any field changed, or another key, does not', () => {
    const signed = signEntry({ ...entry(1), window: { start: 1, end: 2 } }, key)
    expect(signed.mac).toMatch(/^[0-9a-f]{64}$/)
    expect(verifyEntry(signed, key)).toBe(true)
    for (const forged of [
      { ...signed, retried: id(9999) },
      { ...signed, newRun: id(9998) },
      { ...signed, flowId: id(9997) },
      { ...signed, at: signed.at + 1 },
      { ...signed, window: { start: 1, end: 3 } },
      { ...signed, window: undefined },
      { ...signed, mac: undefined }
    ])
      expect(verifyEntry(forged, key)).toBe(false)
    for (const other of [
      ledgerKey('another-secret', scope),
      ledgerKey('client-secret-of-the-sweep', { ...scope, sandbox: 'dev' }),
      ledgerKey('client-secret-of-the-sweep', { ...scope, orgId: 'X@AdobeOrg' })
    ])
      expect(verifyEntry(signed, other)).toBe(false)
  })

  it('neither the secret nor the key is in what is saved', () => {
    const text = serialiseLedger([signEntry(entry(1), key)], NOW)
    expect(text).not.toContain('client-secret-of-the-sweep')
    expect(text).not.toContain(key.toString('hex'))
    expect(text).not.toContain(key.toString('base64'))
    expect(JSON.parse(text).version).toBe(2)
  })

  it('a version 1 ledger is read as unsigned claims, whatever it holds as "mac"', () => {
    const signed = signEntry(entry(1), key)
    const parsed = parseLedger(JSON.stringify({ version: 1, entries: [signed] }), 'prod')
    expect(parsed).toEqual({ entries: [entry(1)] })
    expect(admitEntries((parsed as { entries: LedgerEntry[] }).entries, key, NOW)).toEqual({
      trusted: [],
      unsigned: 1,
      future: 0
    })
  })

  it('admits signed entries newest first; refuses unsigned, forged and future-dated ones', () => {
    const a = signEntry(entry(1), key)
    const b = signEntry(entry(2), key)
    const ahead = signEntry(entry(3, NOW + LEDGER_MAX_SKEW_MS + 1), key)
    const justAhead = signEntry(entry(4, NOW + LEDGER_MAX_SKEW_MS), key)
    const forged = { ...signEntry(entry(5), key), retried: id(77) }
    const round = parseLedger(
      serialiseLedger([b, a, ahead, justAhead, forged, entry(6)], NOW),
      'prod'
    )
    expect(admitEntries((round as { entries: LedgerEntry[] }).entries, key, NOW)).toEqual({
      trusted: [justAhead, a, b],
      unsigned: 2,
      future: 0
    })
    expect(admitEntries([ahead, a], key, NOW)).toEqual({ trusted: [a], unsigned: 0, future: 1 })
  })
})

describe('bounding and duplicates: one rule for the decision and the save', () => {
  it("20,000 entries dated a year ahead do not crowd out this step's own entry", () => {
    const own = entry(1, NOW)
    const flood = Array.from({ length: LEDGER_MAX_ENTRIES }, (_, i) =>
      entry(100 + i, NOW + 365 * 24 * 3_600_000)
    )
    expect(boundLedger([own, ...flood], NOW)).toEqual([own])
    expect(boundLedger([...flood, own], NOW)).toEqual([own])
  })

  it("past the cap, the entries listed first (this step's own, then the newest) are kept", () => {
    const own = entry(1, NOW - 5000)
    const newer = Array.from({ length: LEDGER_MAX_ENTRIES }, (_, i) => entry(100 + i, NOW - i))
    const bounded = boundLedger([own, ...newer], NOW)
    expect(bounded).toHaveLength(LEDGER_MAX_ENTRIES)
    expect(bounded).toContainEqual(own)
  })

  it('two entries for one run: the first is kept, the disagreeing one named; agreeing repeats collapse', () => {
    const first = entry(1)
    const other = { ...entry(1), retried: id(4242) }
    expect(uniqueEntries([first, { ...first }, other])).toEqual({
      entries: [first],
      conflicting: [other]
    })
    expect(boundLedger([first, other], NOW)).toEqual([first])
    expect(boundLedger([other, first], NOW)).toEqual([other])
  })
})
