// Guards the one liberty the bundle takes (src/shims/undici.ts): undici is left out because the
// toolkit uses it only for a method this action never calls. If an upgrade changes that, fail here.
import { describe, expect, it } from '@jest/globals'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
const read = (path: string): string => readFileSync(join(root, path), 'utf8')

describe('the bundle without undici', () => {
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
    for (const other of readdirSync(dirname(entry)).filter(f => f.endsWith('.js'))) {
      if (join(dirname(entry), other) !== entry)
        expect(readFileSync(join(dirname(entry), other), 'utf8')).not.toContain('undici')
    }
  })

  it('no source file calls getAgentDispatcher, and the bundle holds no undici code', () => {
    for (const file of readdirSync(join(root, 'src'), { recursive: true }) as string[]) {
      if (file.endsWith('.ts'))
        expect(read(join('src', file))).not.toMatch(/\.get(Proxy)?AgentDispatcher\(/)
    }
    const bundle = readFileSync(process.env.ACTION_ENTRY ?? join(root, 'dist/index.js'), 'utf8')
    expect(bundle).toContain('undici is not bundled with this action')
    expect(bundle).not.toContain('UND_ERR') // undici's error codes
  })
})
