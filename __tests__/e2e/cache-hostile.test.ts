/**
 * A hostile cache entry through the bundled action, run as a runner runs it: anyone who can run a
 * workflow in the repository can save under the ledger's key. Each entry is planted in the cache
 * stand-in before a run-id step that needs the ledger; the step must re-trigger the failure once
 * (its job), warn that the ledger was not read, write nothing outside its own folder (HOME, the
 * workspace, RUNNER_TEMP and a sibling `_actions` under one temp root), run no command the entry
 * or the service wrote, and send the runtime token nowhere but the cache service.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CacheService, compress, tarball, type TarMember } from '../../sim/cache-service.js'
import { failure } from '../../sim/scenarios.js'
import type { Simulator } from '../../sim/simulator.js'
import { cacheVersion, compressionMethod } from '../../src/ledger/cache-client.js'
import { ledgerPrefix } from '../../src/ledger/store.js'
import { act, shownText, startSimulator, staticInputs, stopAll } from '../helpers/e2e.js'

let sim: Simulator
let cache: CacheService
let root: string
let home: string

beforeEach(async () => {
  ;[sim, cache] = await Promise.all([startSimulator(), new CacheService().start()])
  root = realpathSync(mkdtempSync(join(tmpdir(), 'aep-cache-hostile-')))
  home = join(root, 'home')
  for (const dir of ['work/repo/repo', 'work/_temp', 'work/_actions'])
    mkdirSync(join(home, dir), { recursive: true })
  writeFileSync(join(home, '.bashrc'), 'original bashrc\n')
})
afterEach(async () => {
  await stopAll(sim, cache)
  rmSync(root, { recursive: true, force: true })
})

const runnerTemp = (): string => join(home, 'work/_temp')
const runner = (): Record<string, string> => ({
  ...cache.env('v2'),
  HOME: home,
  GITHUB_WORKSPACE: join(home, 'work/repo/repo'),
  RUNNER_TEMP: runnerTemp(),
  GITHUB_RUN_ID: '4242',
  GITHUB_RUN_ATTEMPT: '1',
  GITHUB_JOB: 'retry'
})

/** Every path under the root, its kind and content; @actions/cache's own save folders left out. */
function snapshot(): Record<string, string> {
  const seen: Record<string, string> = {}
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name)
      const st = lstatSync(path)
      const rel = path.slice(root.length)
      if (st.isDirectory()) {
        if (dir === runnerTemp() && /^[0-9a-f-]{36}$/.test(name)) continue
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

const scope = (): { orgId: string; sandbox: string } => ({ orgId: sim.orgId, sandbox: 'prod' })
const inTemp = (file = 'ledger.json'): string => `../../_temp/aep-retry-ledger/${file}`

/** Plants `members` as the newest ledger entry, under a key of the ledger's own shape. */
async function plant(members: TarMember[]): Promise<string> {
  const method = await compressionMethod()
  const version = cacheVersion([join(runnerTemp(), 'aep-retry-ledger')], method)
  const key = `${ledgerPrefix(scope())}1-1-attacker-${Date.now()}`
  cache.plant(key, version, compress(tarball(members), method === 'gzip' ? 'gzip' : 'zstd'))
  return key
}

const ledger = JSON.stringify({ version: 1, entries: [] })

describe('a hostile ledger entry costs a warning, never the step, the disk or the token', () => {
  it.each<[string, () => TarMember[]]>([
    [
      'paths into another action, HOME and an absolute path',
      () => [
        { name: inTemp(), data: ledger },
        { name: '../../_actions/x/y/v1/dist/index.js', data: 'planted()' },
        { name: '../../../.bashrc', data: 'planted' },
        { name: join(home, 'work/_actions/abs.js'), data: 'planted' }
      ]
    ],
    [
      'ledger.json a symbolic link to ~/.bashrc',
      () => [{ name: inTemp(), type: 'symlink', target: join(home, '.bashrc') }]
    ],
    [
      'the ledger folder a symbolic link to ~',
      () => [{ name: '../../_temp/aep-retry-ledger', type: 'symlink', target: home }]
    ],
    ['ledger.json a FIFO', () => [{ name: inTemp(), type: 'fifo' }]]
  ])('%s', async (_, members) => {
    const { runId } = failure(sim)
    await plant(members())
    const before = snapshot()
    const run = await act(sim, staticInputs(sim, { 'run-id': runId }), { env: runner() })
    expect(run.code).toBe(0)
    expect(sim.count('retrigger')).toBe(1)
    expect(run.outputs['new-run-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(run.warnings.join('\n')).toMatch(/retry ledger could not be read \(entry .* refused: /)
    expect(snapshot()).toEqual(before)
    // This step's save is the newest entry now, and the next step reads it.
    const again = await act(sim, staticInputs(sim, { 'run-id': runId }), { env: runner() })
    expect(again.stdout).toMatch(/Restored the retry ledger: 1 re-trigger/)
    expect(sim.count('retrigger')).toBe(1)
  })

  it('a matched key with CR/LF and ::error::, and a lookup redirected elsewhere', async () => {
    const { runId } = failure(sim)
    await plant([{ name: inTemp(), data: ledger }])
    cache.fault('lookup', { matchedKey: `${ledgerPrefix(scope())}x\n::error::planted` })
    const keyed = await act(sim, staticInputs(sim, { 'run-id': runId }), { env: runner() })
    expect(keyed.code).toBe(0)
    expect(keyed.stdout).not.toMatch(/^::error::planted/m)
    expect(keyed.warnings.join('\n')).toMatch(/a key that is not one of this ledger/)

    cache.fault('lookup', { redirect: `${cache.elsewhere.url}/stolen` })
    const redirected = await act(sim, staticInputs(sim, { 'run-id': runId }), { env: runner() })
    expect(redirected.code).toBe(0)
    expect(redirected.warnings.join('\n')).toMatch(/answered 307, a redirect \(not followed\)/)
    expect(cache.elsewhere.requests).toEqual([])
    expect(sim.count('retrigger')).toBe(1)
    for (const run of [keyed, redirected])
      for (const text of Object.values(shownText(run))) expect(text).not.toContain(cache.token)
  })
})
