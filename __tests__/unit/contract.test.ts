// The documents and the code describe one contract: these tests keep them from drifting apart.
import { describe, expect, it, jest } from '@jest/globals'
import * as core from '../../__fixtures__/core.js'
import { readFileSync } from 'node:fs'
import { ROWS } from '../helpers/fault-rows.js'
import { MATRIX_FIGURES } from '../helpers/figures.js'
import { parse } from 'yaml'
import { INPUT_TABLE, type InputSpec } from '../../src/inputs/input-table.js'
import { OUTPUT_TABLE } from '../../src/report/output-table.js'

jest.unstable_mockModule('@actions/core', () => core)
/** What `npm run docs` would write, made once: formatting with prettier is the slow part. */
let docs: ReturnType<typeof import('../../scripts/docs.js').generated> | undefined
const generatedDocs = () => (docs ??= import('../../scripts/docs.js').then(m => m.generated()))
const read = (path: string): string =>
  readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8')

describe('action.yml', () => {
  const yaml = read('action.yml')
  const action = parse(yaml) as {
    inputs: Record<string, { description: string; required: boolean; default?: string }>
    outputs: Record<string, { description: string }>
    runs: { using: string; main: string }
  }
  const outputs = Object.keys(action.outputs)

  it('declares exactly the inputs of src/inputs/input-table.ts, with their defaults, bounds and descriptions', () => {
    expect(Object.keys(action.inputs)).toEqual(INPUT_TABLE.map(s => s.name))
    for (const spec of INPUT_TABLE as readonly InputSpec[]) {
      const declared = action.inputs[spec.name]
      expect({ name: spec.name, ...declared }).toEqual({
        name: spec.name,
        description: spec.description,
        required: spec.required ?? false,
        ...(spec.default !== undefined ? { default: spec.default } : {})
      })
    }
  })

  it('readInputs reads every input of the table, and no other', async () => {
    const names = new Set<string>()
    const { readInputs } = await import('../../src/inputs/inputs.js')
    try {
      readInputs(name => (names.add(name), ''))
    } catch {
      // No inputs at all is invalid; only the names read matter here.
    }
    expect([...names].sort()).toEqual(INPUT_TABLE.map(s => s.name).sort())
  })

  it('the code applies the defaults action.yml declares', async () => {
    const { readInputs } = await import('../../src/inputs/inputs.js')
    // An input not given is left out (undefined), as a runner leaves it without the default.
    const given = (name: string): string | undefined =>
      ({
        'run-id': '4fb0418e-1804-45d6-8d56-dd51f05c0baf',
        'org-id': 'A@AdobeOrg',
        'access-token': 'tok-1234',
        'api-key': 'k'
      })[name]
    // An expression default (`${{ github.token }}`) is the runner's to fill in: it never arrives as text.
    const declared = (name: string): string => {
      const value = action.inputs[name]?.default ?? ''
      return value.startsWith('${{') ? '' : value
    }
    const withDefaults = (name: string): string => given(name) ?? declared(name)
    expect(readInputs(given)).toEqual(readInputs(withDefaults))
  })

  it('keeps the contract names, a description on every output, and node24', () => {
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
      expect(action.inputs).toHaveProperty(name)
    for (const name of ['new-run-id', 'etag']) expect(outputs).toContain(name)
    for (const output of Object.values(action.outputs)) expect(output.description).toBeTruthy()
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' })
  })

  it('declares exactly the outputs of src/report/output-table.ts; a Marketplace-ready description and author', () => {
    expect(Object.keys(action.outputs)).toEqual(OUTPUT_TABLE.map(o => o.name))
    for (const spec of OUTPUT_TABLE)
      expect(action.outputs[spec.name]).toEqual({ description: spec.description })
    const meta = parse(yaml) as { description: string; author: string; branding: object }
    // The Marketplace refuses a description of 125 characters or more.
    expect(meta.description.length).toBeLessThan(125)
    expect(meta.author).toBe('The AEP dataflow retry action authors')
    expect(read('LICENSE')).toContain(meta.author)
    expect(meta.branding).toEqual({ icon: 'refresh-cw', color: 'red' })
  })

  it('sets every output it declares', () => {
    const source = read('src/report/outputs.ts')
    const setNames = [...source.matchAll(/set\(\s*'([a-z-]+)'/g)].map(m => m[1])
    expect(new Set(setNames)).toEqual(new Set(outputs))
  })

  it('action.yml inputs and the README inputs table are what `npm run docs` makes from the table', async () => {
    const { actionYml, readme } = await generatedDocs()
    expect(yaml).toBe(actionYml)
    expect(read('README.md')).toBe(readme)
  })

  it('documents every output in the README', () => {
    const readme = read('README.md')
    for (const name of outputs) expect(readme).toContain(`\`${name}\``)
  })
})

describe('docs/reliability.md', () => {
  it('states the figures the tests prove, as `npm run docs` writes them, and names every fault row', async () => {
    const { reliability } = await generatedDocs()
    expect(read('docs/reliability.md')).toBe(reliability)
    const doc = read('docs/reliability.md').replace(/\s+/g, ' ')
    expect(doc).toContain(`faults tried: ${MATRIX_FIGURES.faultsTried}`)
    expect(doc).toContain(`bad inputs tried: ${MATRIX_FIGURES.badInputsTried}`)
    expect(doc).toContain(`hostile answers tried: ${MATRIX_FIGURES.hostileTried}`)
    for (const row of ROWS) expect(doc).toContain(`| ${row.name} |`)
  })
})
