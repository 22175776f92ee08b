// The retry ledger in the Actions cache, through the real @actions/cache and the cache stand-in:
// restored by prefix, saved under a new key each time, and never a cost to the step.
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  jest
} from '@jest/globals'
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  CacheService,
  compress,
  gzipBomb,
  tarball,
  type TarMember
} from '../../sim/cache-service.js'
import { cacheVersion, compressionMethod } from '../../src/ledger/cache-client.js'
import { ledgerPrefix, restoreLedger, saveLedger } from '../../src/ledger/store.js'
import { serialiseLedger, type LedgerEntry } from '../../src/ledger/ledger.js'
import { LedgerSession } from '../../src/ledger/session.js'

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
    // The restore's own requests end with it: nothing is left pending to hold the process.
    expect(restored).toMatchObject({ problem: expect.stringMatching(/did not finish within/) })
    expect(restored).not.toHaveProperty('abandoned')
    expect(Date.now() - started).toBeLessThan(5000)
  })

  it('the cache refusing the save is a problem, not a throw', async () => {
    cache.fault('reserve', { status: 400, message: 'bad' }, 10)
    expect(await saveLedger(scope, [entry], 5000)).toMatchObject({ problem: expect.any(String) })
  })
})

// ---------------------------------------------------------------------------------------------
// A cache entry is anyone's to write: hostile entries, in-process, one per class of attack. Each
// runs on a runner's layout under a temp root (HOME, the workspace, RUNNER_TEMP, a sibling
// `_actions`) and checks: nothing under the root changed but what the save may leave (the
// library's empty archive folders), a warning was given, and the ledger still works after.

describe('a hostile cache entry', () => {
  let root: string
  let home: string
  let out: string
  const attackerKey = () => `${ledgerPrefix(scope)}999-1-attacker-${Date.now()}`
  const ledgerText = () => serialiseLedger([entry], Date.now())
  const inTemp = (file = 'ledger.json') => `../../_temp/aep-retry-ledger/${file}`

  beforeEach(() => {
    root = realpathSync(mkdtempSync(join(tmpdir(), 'aep-hostile-cache-')))
    home = join(root, 'home')
    for (const dir of ['work/repo/repo', 'work/_temp', 'work/_actions'])
      mkdirSync(join(home, dir), { recursive: true })
    writeFileSync(join(home, '.bashrc'), 'original bashrc\n')
    Object.assign(process.env, {
      HOME: home,
      GITHUB_WORKSPACE: join(home, 'work/repo/repo'),
      RUNNER_TEMP: join(home, 'work/_temp')
    })
    out = ''
    jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
      out += String(chunk)
      return true
    })
  })
  afterEach(() => {
    jest.restoreAllMocks()
    rmSync(root, { recursive: true, force: true })
  })

  /** Every path under the root with its kind and content; the library's own save folders left out. */
  function snapshot(): Record<string, string> {
    const seen: Record<string, string> = {}
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name)
        const st = lstatSync(path)
        const rel = path.slice(root.length)
        if (st.isDirectory()) {
          // @actions/cache's save makes its archive in RUNNER_TEMP/<uuid>/, and leaves it there.
          if (/^[0-9a-f-]{36}$/.test(name) && dir === process.env.RUNNER_TEMP) continue
          seen[rel] = 'dir'
          walk(path)
        } else if (st.isSymbolicLink()) seen[rel] = `link ${readlinkSync(path)}`
        else if (st.isFile()) seen[rel] = `file ${readFileSync(path, 'latin1').slice(0, 200)}`
        else seen[rel] = 'other'
      }
    }
    walk(root)
    return seen
  }

  async function version(): Promise<string> {
    return cacheVersion(
      [join(process.env.RUNNER_TEMP!, 'aep-retry-ledger')],
      await compressionMethod()
    )
  }
  async function plant(members: TarMember[] | Buffer): Promise<void> {
    const method = (await compressionMethod()) === 'gzip' ? 'gzip' : 'zstd'
    const archive = Buffer.isBuffer(members) ? members : compress(tarball(members), method)
    cache.plant(attackerKey(), await version(), archive)
  }

  /**
   * A step that needs the ledger: restores it (refused: a warning), re-triggers once, saves. Then
   * the next step reads what this one saved.
   */
  async function step(protocol: 'v1' | 'v2' = 'v2'): Promise<string> {
    Object.assign(process.env, cache.env(protocol))
    const before = snapshot()
    const session = new LedgerSession(scope, 10_000, 'ledger-store-test-secret')
    await session.load()
    const warnings = out
    expect(session.entries()).toEqual([])
    const mine = { ...entry, newRun: '00000000-0000-4000-8000-0000000000aa', at: Date.now() }
    session.record(mine)
    await session.save()
    expect(session.figures.saved).toMatchObject({ entries: 1 })
    expect(snapshot()).toEqual(before)
    cache.recover()
    const next = new LedgerSession(scope, 10_000, 'ledger-store-test-secret')
    await next.load()
    expect(next.entries()).toEqual([{ ...mine, mac: expect.any(String) }])
    expect(out).not.toMatch(/^::error::/m)
    return warnings
  }
  const refused = (why: RegExp) =>
    expect.stringMatching(
      new RegExp(
        `::warning::The retry ledger could not be read \\(entry ${ledgerPrefix(scope)}999-1-attacker-\\d+ refused: ${why.source}`
      )
    )

  const planted = (name: string): TarMember[] => [
    { name: '../../_temp/aep-retry-ledger/', type: 'dir' },
    { name: inTemp(), data: ledgerText() },
    { name, data: 'planted' }
  ]
  it.each<[string, () => TarMember[], RegExp]>([
    [
      'a path into another action',
      () => planted('../../_actions/x/y/v1/dist/index.js'),
      /it holds a file "\.\.\/\.\.\/_actions/
    ],
    [
      'a path into HOME',
      () => planted('../../../.bashrc'),
      /it holds a file "\.\.\/\.\.\/\.\.\/\.bashrc"/
    ],
    [
      'an absolute path',
      () => planted(join(root, 'home/work/_actions/abs.js')),
      /it holds a file "\//
    ],
    [
      'ledger.json a symbolic link to ~/.bashrc',
      () => [{ name: inTemp(), type: 'symlink', target: join(home, '.bashrc') }],
      /ledger\.json is a symbolic link, not a file/
    ],
    [
      'ledger.json a hard link to ~/.bashrc',
      () => [{ name: inTemp(), type: 'hardlink', target: join(home, '.bashrc') }],
      /ledger\.json is a hard link, not a file/
    ],
    [
      'the ledger folder a symbolic link to ~',
      () => [{ name: '../../_temp/aep-retry-ledger', type: 'symlink', target: home }],
      /it holds a symbolic link "\.\.\/\.\.\/_temp\/aep-retry-ledger"/
    ],
    [
      'ledger.json a FIFO',
      () => [{ name: inTemp(), type: 'fifo' }],
      /ledger\.json is a FIFO, not a file/
    ],
    [
      'ledger.json a symbolic link to /dev/zero',
      () => [{ name: inTemp(), type: 'symlink', target: '/dev/zero' }],
      /ledger\.json is a symbolic link, not a file/
    ]
  ])('%s: refused, nothing written, a warning, the ledger works again', async (_, members, why) => {
    await plant(members())
    expect(await step()).toEqual(refused(why))
  })

  it('a decompression bomb (256 MiB of zeros in 250 KB) stops at the cap, never on disk', async () => {
    await plant(await gzipBomb(inTemp(), 256 * 2 ** 20))
    expect(await step()).toEqual(refused(/it expands to more than \d+ bytes/))
  })

  it.each(['v1', 'v2'] as const)(
    'over %s: a matched key with CR/LF and ::error:: is refused, never logged as a line',
    async protocol => {
      Object.assign(process.env, cache.env(protocol))
      await plant([{ name: inTemp(), data: ledgerText() }])
      cache.fault('lookup', { matchedKey: `${ledgerPrefix(scope)}x\n::error::planted` })
      expect(await step(protocol)).toMatch(/not one of this ledger/)
      expect(out).not.toContain('\n::error::planted')
    }
  )

  it.each(['v1', 'v2'] as const)(
    'over %s: a lookup redirected to another origin is not followed; the token stays home',
    async protocol => {
      Object.assign(process.env, cache.env(protocol))
      cache.fault('lookup', { redirect: `${cache.elsewhere.url}/stolen` })
      expect(await step(protocol)).toMatch(/answered 307, a redirect \(not followed\)/)
      expect(cache.elsewhere.requests).toEqual([])
    }
  )

  it('a 100 MB lookup answer is cut at 64 KiB', async () => {
    cache.fault('lookup', { bodyBytes: 100 * 2 ** 20 })
    const started = Date.now()
    expect(await step()).toMatch(/an answer of more than 65536 bytes/)
    expect(Date.now() - started).toBeLessThan(20_000)
  })

  it('a 100 MB archive download is cut at the cap', async () => {
    await plant([{ name: inTemp(), data: ledgerText() }])
    cache.fault('download', { bodyBytes: 100 * 2 ** 20 })
    expect(await step()).toMatch(/an answer of more than \d+ bytes/)
  })

  it('the save: a reservation redirected to another origin does not take the token there', async () => {
    Object.assign(process.env, cache.env('v2'))
    // Once: the library's retry (3 s later) goes to the service itself and saves.
    cache.fault('reserve', { redirect: `${cache.elsewhere.url}/stolen` })
    const session = new LedgerSession(scope, 10_000, 'ledger-store-test-secret')
    session.record(entry)
    await session.save()
    expect(out).toMatch(/another origin than the cache service \(refused\)/)
    expect(cache.elsewhere.requests.filter(r => r.authorization)).toEqual([])
  })

  it("the save: a v1 refusal's text with CR/LF and ::error:: stays on one line", async () => {
    Object.assign(process.env, cache.env('v1'))
    cache.fault('reserve', { status: 409, message: 'taken\n::error::planted by the service' })
    const session = new LedgerSession(scope, 10_000, 'ledger-store-test-secret')
    session.record(entry)
    await session.save()
    expect(out).toContain('::error::planted by the service')
    expect(out).not.toMatch(/^::error::planted/m)
  })

  it('the save: a symbolic link where the ledger folder goes is refused, its target untouched', async () => {
    Object.assign(process.env, cache.env('v2'))
    symlinkSync(home, join(home, 'work/_temp/aep-retry-ledger'))
    const before = snapshot()
    const saved = cache.entries().length
    const session = new LedgerSession(scope, 10_000, 'ledger-store-test-secret')
    session.record(entry)
    await session.save()
    expect(out).toMatch(/::warning::Could not save the retry ledger \(.*is a symbolic link/)
    expect(snapshot()).toEqual(before)
    expect(cache.entries()).toHaveLength(saved)
  })
})
