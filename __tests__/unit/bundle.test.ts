// Guards the one liberty the bundle takes (src/shims/undici.ts): undici is not in the main chunk,
// because the toolkit uses it only for fetch-based clients (Octokit), which only escalation loads.
// If an upgrade changes how the toolkit uses undici, fail here.
import { describe, expect, it } from '@jest/globals'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const read = (path: string): string => readFileSync(join(root, path), 'utf8')
const undiciUses = (dir: string): string[] =>
  (readdirSync(dir, { recursive: true }) as string[])
    .filter(f => f.endsWith('.js'))
    .filter(f => readFileSync(join(dir, f), 'utf8').includes('undici'))

describe('the bundle without undici in its main chunk', () => {
  it('@actions/http-client uses undici only for ProxyAgent in getProxyAgentDispatcher', () => {
    const entry = join(root, 'node_modules/@actions/http-client/lib/index.js')
    const lib = readFileSync(entry, 'utf8')
    expect(lib.match(/undici/g)).toEqual(['undici'])
    expect(lib).toMatch(/^import \{ ProxyAgent \} from 'undici';$/m)
    const uses = [...lib.matchAll(/new ProxyAgent\(/g)].map(m => m.index)
    expect(uses).toHaveLength(1)
    const start = lib.indexOf('_getProxyAgentDispatcher(parsedUrl, proxyUrl) {')
    expect(uses[0]).toBeGreaterThan(start)
    expect(uses[0] - start).toBeLessThan(600)
    expect(undiciUses(dirname(entry))).toEqual(['index.js'])
  })

  it('@actions/github uses undici only for fetch, with http-client for the proxy dispatcher', () => {
    const dir = join(root, 'node_modules/@actions/github/lib')
    expect(undiciUses(dir)).toEqual(['internal/utils.js'])
    const utils = readFileSync(join(dir, 'internal/utils.js'), 'utf8')
    expect(utils.match(/undici/g)).toEqual(['undici'])
    expect(utils).toMatch(/^import \{ fetch \} from 'undici';$/m)
  })

  it('no source file calls getAgentDispatcher; the main chunk holds no undici code, a lazy chunk does', () => {
    for (const file of readdirSync(join(root, 'src'), { recursive: true }) as string[]) {
      if (file.endsWith('.ts'))
        expect(read(join('src', file))).not.toMatch(/\.get(Proxy)?AgentDispatcher\(/)
    }
    const entry = process.env.ACTION_ENTRY ?? join(root, 'dist/index.js')
    const main = readFileSync(entry, 'utf8')
    expect(main).not.toContain('UND_ERR') // undici's error codes
    const chunks = readdirSync(dirname(entry)).filter(f => /^\d+\.index\.js$/.test(f))
    const withUndici = chunks.filter(f =>
      readFileSync(join(dirname(entry), f), 'utf8').includes('UND_ERR')
    )
    expect(withUndici).toHaveLength(1)
  })
})
