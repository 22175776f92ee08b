// src/ shows its architecture: one folder per concern, layered. A folder imports only from folders
// before it in LAYERS (type imports and dynamic imports included), so no import cycle can form
// between folders; within a folder the files must not import each other in a circle either.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative, resolve, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const src = resolve(dirname(fileURLToPath(import.meta.url)), '../../src')
const LAYERS = ['text', 'inputs', 'aep', 'ledger', 'decide', 'step', 'github', 'report']

function files(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : []
  })
}

/** Every relative module a file names: static, type-only and dynamic imports alike. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specifiers = [...text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)\.js'/g)].map(
    m => m[1]
  )
  return specifiers.map(s => resolve(dirname(file), `${s}.ts`))
}

const folderOf = (file: string): string => relative(src, file).split('/')[0]
const all = files(src)

describe('the layout of src/', () => {
  it('keeps at most three files at its root and every other file in a known folder', () => {
    const root = all.filter(f => dirname(f) === src).map(f => relative(src, f))
    expect(root.length).toBeLessThanOrEqual(3)
    const folders = new Set(all.filter(f => dirname(f) !== src).map(folderOf))
    expect([...folders].filter(f => !LAYERS.includes(f) && f !== 'shims')).toEqual([])
  })

  it.each(LAYERS)('%s/ imports only from the folders before it', folder => {
    const upward = all
      .filter(f => folderOf(f) === folder)
      .flatMap(f => importsOf(f).map(to => [relative(src, f), relative(src, to)] as const))
      .filter(([, to]) => {
        const layer = LAYERS.indexOf(to.split('/')[0])
        return layer > LAYERS.indexOf(folder) || !to.includes('/')
      })
    expect(upward).toEqual([])
  })

  it('has no import cycle among its files', () => {
    const graph = new Map(all.map(f => [f, importsOf(f)]))
    const state = new Map<string, 'open' | 'done'>()
    const cycles: string[] = []
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 'done') return
      if (state.get(f) === 'open') {
        cycles.push([...path.slice(path.indexOf(f)), f].map(p => relative(src, p)).join(' -> '))
        return
      }
      state.set(f, 'open')
      for (const to of graph.get(f) ?? []) visit(to, [...path, f])
      state.set(f, 'done')
    }
    for (const f of all) visit(f, [])
    expect(cycles).toEqual([])
  })
})
