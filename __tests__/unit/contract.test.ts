// The documents and the code describe one contract: these tests keep them from drifting apart.
import { describe, expect, it } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { ROWS } from '../helpers/fault-rows.js'
import { MATRIX_FIGURES } from '../helpers/figures.js'

const read = (path: string): string =>
  readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')
const section = (yaml: string, name: string): string[] => {
  const body = yaml.split(new RegExp(`^${name}:$`, 'm'))[1].split(/^\S/m)[0]
  return [...body.matchAll(/^ {2}([a-z-]+):$/gm)].map(m => m[1])
}

describe('action.yml', () => {
  const yaml = read('action.yml')
  const inputs = section(yaml, 'inputs')
  const outputs = section(yaml, 'outputs')

  it('declares every input the code reads, and reads every input it declares', () => {
    const source = read('src/inputs.ts')
    const readNames = [...source.matchAll(/(?:read|text|flag|duration|integer)\('([a-z-]+)'/g)].map(
      m => m[1]
    )
    expect(new Set(readNames)).toEqual(new Set(inputs))
  })

  it('keeps the contract names, a description on everything, and node24', () => {
    for (const name of [
      'run-id',
      'sandbox',
      'org-id',
      'api-key',
      'access-token',
      'client-id',
      'client-secret',
      'scopes',
      'platform-url',
      'ims-url'
    ])
      expect(inputs).toContain(name)
    for (const name of ['new-run-id', 'etag']) expect(outputs).toContain(name)
    expect(yaml.match(/description:/g)).toHaveLength(inputs.length + outputs.length + 1)
    expect(yaml).toMatch(/using: 'node24'\n\s+main: 'dist\/index.js'/)
  })

  it('sets every output it declares', () => {
    const source = read('src/report.ts')
    const setNames = [...source.matchAll(/set\('([a-z-]+)'/g)].map(m => m[1])
    expect(new Set(setNames)).toEqual(new Set(outputs))
  })

  it('is documented in the README, input by input', () => {
    const readme = read('README.md')
    for (const name of [...inputs, ...outputs]) expect(readme).toContain(`\`${name}\``)
  })
})

describe('docs/reliability.md', () => {
  it('states the figures the tests prove and names every fault row', async () => {
    const doc = read('docs/reliability.md').replace(/\s+/g, ' ')
    expect(doc).toContain(`faults tried: ${MATRIX_FIGURES.faultsTried}`)
    expect(doc).toContain(`bad inputs tried: ${MATRIX_FIGURES.badInputsTried}`)
    for (const row of ROWS) expect(doc).toContain(`| ${row.name} |`)
    expect(MATRIX_FIGURES.faultsTried).toBe(ROWS.length * 2)
  })
})
