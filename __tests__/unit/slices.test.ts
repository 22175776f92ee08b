import { describe, expect, it } from '@jest/globals'
import { MAX_SLICES, planSlices, sliceOf } from '../../src/aep/slices.js'

const H = 3_600_000
const T = Date.UTC(2026, 0, 2)

describe('planSlices', () => {
  it.each([
    ['one slice asked', T, T + 24 * H, 1, [{ from: T }]],
    ['empty range', T, T, 4, [{ from: T }]],
    ['range ending before it starts', T, T - H, 4, [{ from: T }]],
    ['tiny range (under a minute)', T, T + 59_999, 4, [{ from: T }]],
    [
      'range fitting two minimal slices',
      T,
      T + 120_000,
      4,
      [{ from: T, to: T + 60_000 }, { from: T + 60_000 }]
    ],
    [
      'four equal slices, the last open',
      T,
      T + 4 * H,
      4,
      [
        { from: T, to: T + H },
        { from: T + H, to: T + 2 * H },
        { from: T + 2 * H, to: T + 3 * H },
        { from: T + 3 * H }
      ]
    ],
    [
      'fractional bounds floored',
      T + 0.7,
      T + 2 * H + 0.9,
      2,
      [{ from: T, to: T + H }, { from: T + H }]
    ],
    ['zero or nonsense count: one slice', T, T + 4 * H, 0, [{ from: T }]],
    ['NaN count: one slice', T, T + 4 * H, NaN, [{ from: T }]]
  ])('%s', (_, since, until, count, expected) => {
    expect(planSlices(since, until, count)).toEqual(expected)
  })

  it(`never plans more than ${MAX_SLICES} slices`, () => {
    expect(planSlices(T, T + 1000 * H, 10_000)).toHaveLength(MAX_SLICES)
  })

  it('covers `>= since` exactly: every moment on or after it in one slice, edges in the later one', () => {
    const since = T + 13
    for (const count of [1, 2, 3, 7, 16]) {
      const slices = planSlices(since, since + 7 * H + 5, count)
      // Contiguous: each slice starts where the one before ends.
      for (let i = 1; i < slices.length; i++) expect(slices[i].from).toBe(slices[i - 1].to)
      expect(sliceOf(slices, since - 1)).toBe(-1)
      expect(sliceOf(slices, since)).toBe(0)
      for (const [i, s] of slices.entries()) {
        expect(sliceOf(slices, s.from)).toBe(i)
        if (s.to !== undefined) expect(sliceOf(slices, s.to - 1)).toBe(i)
      }
      // Far beyond the planned range (a run dated after the plan): the open last slice.
      expect(sliceOf(slices, since + 1000 * H)).toBe(slices.length - 1)
    }
  })
})
