// What an issue says: within GitHub's limits, and server text unable to mention or link.
import { describe, expect, it } from '@jest/globals'
import { MAX_BODY, fit, readMarks, marks, title } from '../../src/github/issue-body.js'
import { inert, unlinked } from '../../src/text/markdown.js'
import type { Incident } from '../../src/github/escalation.js'

const FLOW = '00000000-0000-4000-8000-00000000f10a'

describe('issue bodies and titles', () => {
  it('a body past the limit is cut at a line, says so, and stays within it', () => {
    const lines = Array.from({ length: 5000 }, (_, i) => `- line ${i} ${'x'.repeat(40)}`)
    const body = fit(lines)
    expect(body.length).toBeLessThanOrEqual(MAX_BODY)
    expect(body).toMatch(/- line \d+ x+\n\n_Cut to GitHub's size limit/)
    expect(fit(['short'])).toBe('short')
  })

  it('a title keeps a long name within GitHub limits and makes it inert', () => {
    const incident = {
      flowId: FLOW,
      flowName: `@team #12 ${'n'.repeat(500)}`,
      headline: '',
      missing: []
    } as unknown as Incident
    const text = title(incident)
    expect(text.length).toBeLessThan(256)
    expect(text).not.toMatch(/@team|#12/)
    expect(text).toContain(FLOW)
    expect(title({ ...incident, flowName: '&commat;team &num;12 &#64;x' })).not.toMatch(
      /&(?:commat|num|#64);/
    )
  })

  it.each([
    ['@team', /@team/],
    ['#12', /#12/],
    ['\\#12', /#12/],
    ['GH-12', /GH-12/],
    ['owner/repo#12', /repo#12/],
    ['https://github.com/o/r/issues/12', /https:\/\//],
    ['www.github.com', /www\.github/]
  ])('%s neither mentions nor links', (text, live) => {
    expect(unlinked(text)).not.toMatch(live)
  })

  it.each([
    ['&commat;team', /@|(?<!\\)&/],
    ['&num;12', /#|(?<!\\)&/],
    ['&#64;team &#x23;12', /(?<!\\)&/],
    ['https://evil.example', /https:\/\//],
    ['a@evil.example', /a@evil/]
  ])('server text %s in an issue body neither mentions, references nor links', (text, live) => {
    expect(inert(text)).not.toMatch(live)
    expect(inert(text).replace(/[\u200b\\]/g, '')).toBe(text)
  })

  it('reads back the markers it writes', () => {
    const ids = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002']
    expect(readMarks(`${marks(FLOW, 'abc123', ids)}\nbody`)).toEqual({
      flowId: FLOW,
      state: 'abc123',
      missing: ids
    })
    expect(readMarks('no markers')).toEqual({ missing: [] })
  })
})
