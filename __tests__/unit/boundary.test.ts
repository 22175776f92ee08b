// The output boundary, ids from Adobe, flow names: everything the server sends is data.
import { describe, expect, it, jest } from '@jest/globals'
import * as core from '../../__fixtures__/core.js'

jest.unstable_mockModule('@actions/core', () => core)
const log = await import('../../src/text/log.js')
const { registerSecret, redact } = await import('../../src/text/secrets.js')
const { asEtag, asUuid } = await import('../../src/inputs/ids.js')
const { nameFilter, parseFlow } = await import('../../src/aep/flows.js')
const { escape } = await import('../../src/text/markdown.js')

describe('log', () => {
  it('flattens line breaks so server text cannot start a workflow command', () => {
    log.info('run failed:\n::error::INJECTED\r\n::stop-commands::x\u2028y')
    const [line] = core.info.mock.calls.at(-1)!
    expect(line).not.toMatch(/[\r\n\u2028]/)
    log.info('::add-mask::x')
    expect(core.info.mock.calls.at(-1)![0]).toBe(' ::add-mask::x')
  })

  it('redacts before reshaping, and masks the encoded forms of a secret', () => {
    registerSecret('s3cr3t/with"quote')
    expect(redact(`a ${encodeURIComponent('s3cr3t/with"quote')} b`)).toBe('a *** b')
    expect(redact(JSON.stringify('s3cr3t/with"quote'))).toBe('"***"')
    expect(core.setSecret).toHaveBeenCalledWith(encodeURIComponent('s3cr3t/with"quote'))
    registerSecret('-')
    expect(redact('a-b')).toBe('a-b')
  })

  it('escapes markdown in summary cells after flattening', () => {
    expect(escape('## x [l](https://e) <img> |')).toBe('\\#\\# x \\[l\\](https://e) \\<img\\> \\|')
  })
})

describe('ids and flows', () => {
  it('accepts UUIDs (lower-cased) and quoted etags only', () => {
    expect(asUuid('4FB0418E-1804-45D6-8D56-DD51F05C0BAF')).toBe(
      '4fb0418e-1804-45d6-8d56-dd51f05c0baf'
    )
    expect(asUuid('X/action?op=cancel#')).toBeUndefined()
    expect(asEtag('"1100c53e-0000"')).toBe('"1100c53e-0000"')
    expect(asEtag('"x"\n::error::y')).toBeUndefined()
    expect(asEtag('plain')).toBeUndefined()
  })

  it('parses a listed flow and its last run; leaves out one without a valid id', () => {
    expect(
      parseFlow({
        id: '4fb0418e-1804-45d6-8d56-dd51f05c0baf',
        name: 'crm',
        state: 'disabled',
        lastRunDetails: { state: 'Failed', startedAtUTC: 5 }
      })
    ).toMatchObject({ enabled: false, lastRun: { status: 'failed', startedAt: 5 } })
    expect(parseFlow({ id: 'nope' })).toBeUndefined()
  })

  it.each([
    [{ isSourceFlow: true }, 'source'],
    [{ isSourceFlow: false, isDestinationFlow: true }, 'destination'],
    [{ isSourceFlow: false, isDestinationFlow: false }, 'internal'],
    [{}, 'internal'],
    // Only a boolean true counts: a string from a hostile answer is not a source flow.
    [{ isSourceFlow: 'true' }, 'internal']
  ])('a flow whose properties are %j is a %s flow', (properties, kind) => {
    const id = '4fb0418e-1804-45d6-8d56-dd51f05c0baf'
    expect(parseFlow({ id, inheritedAttributes: { properties } })?.kind).toBe(kind)
  })

  it('matches flow-name patterns: * wildcard, ! excludes, case-insensitive', () => {
    const matches = nameFilter(['crm-*', '!crm-test-*'])
    expect(['crm-a', 'CRM-b', 'crm-test-c', 'web'].filter(n => matches(n))).toEqual([
      'crm-a',
      'CRM-b'
    ])
    expect(nameFilter([])('anything')).toBe(true)
    expect(nameFilter(['!x*'])('y')).toBe(true)
  })
})
