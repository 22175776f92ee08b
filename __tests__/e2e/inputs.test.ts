import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import fc from 'fast-check'
import * as core from '../../__fixtures__/core.js'
import type { Simulator } from '../../sim/simulator.js'
import { act, baseInputs, startSimulator, staticToken } from '../helpers/e2e.js'
import { INPUT_PROPERTY_RUNS } from '../helpers/figures.js'

jest.unstable_mockModule('@actions/core', () => core)
const { readInputs } = await import('../../src/inputs/inputs.js')

let sim: Simulator
beforeAll(async () => {
  sim = await startSimulator()
})
afterAll(() => sim.stop())

const names = [
  'run-id',
  'sandbox',
  'org-id',
  'api-key',
  'poll-interval',
  'wait-timeout',
  'concurrency',
  'platform-url',
  'wait',
  'lookback'
]
const badValues = fc.oneof(
  fc.string({ unit: 'grapheme', minLength: 1 }),
  fc.constantFrom('a\r\nb', 'Prod', '../..', '-5', 'http://example.com', 'ä', '1 h', '\t')
)
const samples = fc.sample(fc.tuple(fc.constantFrom(...names), badValues), {
  numRuns: INPUT_PROPERTY_RUNS.throughDist,
  seed: 20261126
})

describe('arbitrary input values through dist/index.js', () => {
  it.each(samples.map(([name, value]) => [name, JSON.stringify(value), value]))(
    '%s = %s: accepted, or one clear ::error:: line and nothing sent',
    async (name, _shown, value) => {
      const inputs = {
        ...baseInputs(sim),
        ...staticToken(sim),
        'run-id': sim.addRun(),
        'check-status': 'false',
        [name]: value
      }
      let accepted = true
      try {
        readInputs(n => inputs[n])
      } catch {
        accepted = false
      }
      const before = sim.requests.length
      const run = await act(sim, inputs)
      expect(run.stderr).toBe('')
      if (!accepted) {
        expect(run.code).toBe(1)
        expect(run.errors).toHaveLength(1)
        expect(run.errors[0]).toMatch(/^Invalid input/)
        expect(sim.requests.length).toBe(before)
      }
    }
  )
})
