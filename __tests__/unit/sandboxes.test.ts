import { describe, expect, it } from '@jest/globals'
import {
  applyExclusions,
  chooseSandboxes,
  isSingle,
  parseSandboxes
} from '../../src/inputs/sandboxes.js'

describe('parseSandboxes', () => {
  it.each([
    ['prod', { all: false, names: ['prod'], excluded: [] }],
    ['prod, dev-eu', { all: false, names: ['prod', 'dev-eu'], excluded: [] }],
    ['prod\ndev-eu\nprod', { all: false, names: ['prod', 'dev-eu'], excluded: [] }],
    ['all', { all: true, names: [], excluded: [] }],
    ['ALL\n!dev-scratch, !qa', { all: true, names: [], excluded: ['dev-scratch', 'qa'] }],
    ['prod, dev, !dev', { all: false, names: ['prod'], excluded: ['dev'] }]
  ])('%j', (raw, selection) => {
    expect(parseSandboxes(raw)).toEqual({ selection, problems: [] })
  })

  it.each([
    ['Prod', /must be a sandbox name/],
    ['prod, !', /must be a sandbox name/],
    ['prod, all', /`all` comes first/],
    ['all, prod', /only `!name` exclusions/],
    ['prod, !prod', /every sandbox named is excluded/],
    ['!prod', /every sandbox named is excluded/]
  ])('refuses %j', (raw, problem) => {
    expect(parseSandboxes(raw).problems.join('\n')).toMatch(problem)
  })
})

describe('isSingle', () => {
  it.each([
    ['prod', true],
    ['prod, !dev', true],
    ['prod, dev', false],
    ['all', false],
    ['all, !prod', false]
  ])('%j: %s', (raw, single) => {
    expect(isSingle(parseSandboxes(raw).selection)).toBe(single)
  })
})

describe('applyExclusions', () => {
  it.each([
    [['a', 'b', 'c'], ['b'], ['a', 'c']],
    [['a'], [], ['a']],
    [['a'], ['a', 'z'], []]
  ])('%j without %j', (names, excluded, left) => {
    expect(applyExclusions(names, excluded)).toEqual(left)
  })
})

describe('chooseSandboxes', () => {
  const listed = [
    { name: 'prod', state: 'active' },
    { name: 'dev', state: 'active' },
    { name: 'new', state: 'creating' },
    { name: 'old', state: 'deleted' },
    { name: 'broken', state: 'failed' },
    { name: 'reset', state: 'resetting' },
    { name: 'Bad Name', state: 'active' },
    { name: 'dev', state: 'active' }
  ]
  it.each([
    ['all', ['prod', 'dev']],
    ['all, !dev', ['prod']],
    ['all, !prod, !dev', []]
  ])('%j picks %j', (raw, chosen) => {
    expect(chooseSandboxes(listed, parseSandboxes(raw).selection)).toEqual(chosen)
  })
})
