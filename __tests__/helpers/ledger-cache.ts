/**
 * Plants a retry ledger in the cache stand-in the way any workflow of the repository can (the
 * Actions cache is not a security boundary): through @actions/cache itself, under the ledger's key
 * prefix, from the folder the action restores into (store.ts: RUNNER_TEMP/aep-retry-ledger; the
 * cache's version is derived from that path, so it must be the same one). What the action then
 * restores is whatever `text` says.
 */
import * as cache from '@actions/cache'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { CacheService } from '../../sim/cache-service.js'
import { ledgerPrefix } from '../../src/ledger/store.js'

export async function plantLedger(
  service: CacheService,
  runnerTemp: string,
  scope: { orgId: string; sandbox: string },
  text: string
): Promise<string> {
  const saved = { ...process.env }
  Object.assign(process.env, service.env('v2'), { RUNNER_TEMP: runnerTemp })
  const dir = join(runnerTemp, 'aep-retry-ledger')
  // The library logs as an action would (workflow commands on stdout): not the test's output.
  const write = process.stdout.write.bind(process.stdout)
  process.stdout.write = () => true
  try {
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, 'ledger.json'), text)
    const key = `${ledgerPrefix(scope)}planted-${Date.now()}`
    if ((await cache.saveCache([dir], key)) === -1) throw new Error('the stand-in did not take it')
    return key
  } finally {
    process.stdout.write = write
    process.env = saved
    rmSync(dir, { recursive: true, force: true })
  }
}
