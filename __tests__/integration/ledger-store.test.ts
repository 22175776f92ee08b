// The retry ledger in the Actions cache, through the real @actions/cache and the cache stand-in:
// restored by prefix, saved under a new key each time, and never a cost to the step.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CacheService } from '../../sim/cache-service.js'
import { ledgerPrefix, restoreLedger, saveLedger } from '../../src/ledger/store.js'
import type { LedgerEntry } from '../../src/ledger/ledger.js'

const scope = { orgId: '5C1328435BF324E90A49402A@AdobeOrg', sandbox: 'prod' }
const entry: LedgerEntry = {
  sandbox: 'prod',
  flowId: '00000000-0000-4000-8000-000000000001',
  retried: '00000000-0000-4000-8000-000000000002',
  newRun: '00000000-0000-4000-8000-000000000003',
  at: Date.now()
}
let cache: CacheService
let temp: string
const saved = { ...process.env }

beforeAll(async () => {
  cache = await new CacheService().start()
})
afterAll(() => cache.stop())
beforeEach(() => {
  temp = mkdtempSync(join(tmpdir(), 'aep-ledger-'))
  Object.assign(process.env, cache.env('v2'), { RUNNER_TEMP: temp, GITHUB_RUN_ID: '7' })
})
afterEach(() => {
  cache.recover()
  process.env = { ...saved }
  rmSync(temp, { recursive: true, force: true })
})

describe('the ledger store', () => {
  it('restores nothing at first, then the newest entry saved for the org and sandbox', async () => {
    expect(await restoreLedger(scope, 5000)).toMatchObject({ entries: [] })
    const first = await saveLedger(scope, [entry], 5000)
    expect(first).toMatchObject({
      key: expect.stringMatching(/^aep-retry-ledger-v1-[0-9a-f]{16}-7-/)
    })
    const second = { ...entry, newRun: '00000000-0000-4000-8000-000000000004', at: Date.now() }
    await new Promise(resolve => setTimeout(resolve, 5))
    await saveLedger(scope, [entry, second], 5000)
    const restored = await restoreLedger(scope, 5000)
    expect(restored).toMatchObject({ entries: [entry, second] })
    // Another sandbox of the org has a ledger of its own.
    expect(ledgerPrefix({ ...scope, sandbox: 'dev' })).not.toBe(ledgerPrefix(scope))
    expect(await restoreLedger({ ...scope, sandbox: 'dev' }, 5000)).toMatchObject({ entries: [] })
  })

  it('the org id is not in the key: it names a customer', () => {
    expect(ledgerPrefix(scope)).not.toContain('AdobeOrg')
  })

  it('no cache service: a problem to warn about, no request', async () => {
    delete process.env.ACTIONS_RESULTS_URL
    delete process.env.ACTIONS_CACHE_URL
    const before = cache.requests.length
    expect(await restoreLedger(scope, 5000)).toMatchObject({
      problem: expect.stringMatching(/no Actions cache service/)
    })
    expect(await saveLedger(scope, [entry], 5000)).toMatchObject({ problem: expect.any(String) })
    expect(cache.requests.length).toBe(before)
  })

  it('a hung service is given up on within the time limit, and said so', async () => {
    cache.hangAll()
    const started = Date.now()
    const restored = await restoreLedger(scope, 300)
    expect(restored).toMatchObject({
      problem: expect.stringMatching(/did not finish within/),
      abandoned: true
    })
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('the cache refusing the save is a problem, not a throw', async () => {
    cache.fault('reserve', { status: 400, message: 'bad' }, 10)
    expect(await saveLedger(scope, [entry], 5000)).toMatchObject({ problem: expect.any(String) })
  })
})
