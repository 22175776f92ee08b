// The output boundary, ids from Adobe, flow names: everything the server sends is data.
import { describe, expect, it, jest } from '@jest/globals'
import * as core from '../../__fixtures__/core.js'

jest.unstable_mockModule('@actions/core', () => core)
const log = await import('../../src/text/log.js')
const { registerSecret, redact, clipRedacted, secretForms } =
  await import('../../src/text/secrets.js')
const { asEtag, asUuid } = await import('../../src/inputs/ids.js')
const { nameFilter, parseFlow } = await import('../../src/aep/flows.js')
const { escape, code, fitBytes } = await import('../../src/text/markdown.js')
const { glob, MAX_MATCHED } = await import('../../src/inputs/glob.js')
const { skipErrors } = await import('../../src/decide/decide.js')

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
    expect(escape('## x [l](https://e) <img> |')).toBe(
      '\\#\\# x \\[l\\](https:\u200b//e) \\<img\\> \\|'
    )
  })

  it('prints at most MAX_MESSAGE characters of one message, saying how many were left out', () => {
    log.info(`run failed: ${'m'.repeat(900_000)}`)
    const [line] = core.info.mock.calls.at(-1)!
    expect(line.length).toBeLessThan(log.MAX_MESSAGE + 100)
    expect(line).toMatch(/… \(\d+ more characters not shown\)$/)
    log.warning('w'.repeat(900_000))
    expect(String(core.warning.mock.calls.at(-1)![0]).length).toBeLessThan(log.MAX_MESSAGE + 100)
  })
})

describe('markdown: entities and autolinks from a server stay text', () => {
  // What cmark-gfm (GitHub's renderer, autolink extension on) would turn into a mention, an
  // issue reference or a link; /work/shared/tools/render-markdown.sh shows the rendered result.
  it.each([
    ['&commat;team', /(?<!\\)&/],
    ['&num;12', /(?<!\\)&/],
    ['&#64;team &#x40;team &#35;12', /(?<!\\)&/],
    ['&lt;img src=x&gt;', /(?<!\\)&/],
    ['see https://evil.example/a', /https:\/\//],
    ['ftp://evil.example', /ftp:\/\//],
    ['www.evil.example', /www\./],
    ['mail a@evil.example', /a@evil/]
  ])('%s', (text, live) => {
    expect(escape(text)).not.toMatch(live)
    expect(
      escape(text)
        .replace(/\u200b/g, '')
        .replace(/\\/g, '')
    ).toBe(text)
  })

  it('bounds a code span, and cuts a text at a line to fit a byte limit with a note', () => {
    expect(code('C'.repeat(600_000)).length).toBeLessThan(300)
    const text = Array.from({ length: 1000 }, (_, i) => `| ${i} | 🛠️ ${'x'.repeat(100)} |`).join(
      '\n'
    )
    const cut = fitBytes(text, 50_000, '_cut_')
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(50_000)
    expect(cut).toMatch(/x \|\n\n_cut_\n$/)
    expect(fitBytes('short\n', 50_000, '_cut_')).toBe('short\n')
  })
})

describe('secrets in the forms a server can echo them in', () => {
  const token = 'tok-Ab3/dE+f9!gH(iJ)kL~mN*oP q-9f8e7d6c5b4a39281706f5e4d3c2b1a0'
  const secret = 'cl!ent s3cret/with "quotes" & more+'
  registerSecret(token)
  registerSecret(secret)
  const b64 = (text: string) => Buffer.from(text).toString('base64')
  const form = (text: string) => new URLSearchParams({ s: text }).toString().slice(2)

  it.each([
    ['raw', token],
    ['base64 of the bearer header', b64(`Bearer ${token}`)],
    ['base64 at each alignment', [0, 1, 2].map(n => b64(`${'x'.repeat(n)}${token}`)).join(' ')],
    ['base64url', Buffer.from(`Authorization: Bearer ${token}`).toString('base64url')],
    ['split by a folded header line', `${token.slice(0, 30)}\r\n ${token.slice(30)}`],
    ['clipped by a server', `${token.slice(0, 40)}…`],
    ['URL-encoded, lower-case hex', encodeURIComponent(token).toLowerCase()],
    ['form-encoded (+, %21)', form(secret)],
    ['form-encoded, lower-case hex', form(secret).toLowerCase()],
    ['JSON-escaped', JSON.stringify(secret)],
    ['JSON with \\/', JSON.stringify(secret).replace(/\//g, '\\/')],
    ['HTML-escaped', secret.replace(/&/g, '&amp;').replace(/"/g, '&quot;')]
  ])('%s is redacted', (_, echoed) => {
    const out = redact(`said: ${echoed} end`)
    for (const s of [token, secret]) {
      for (let i = 0; i + 12 <= s.length; i++) expect(out).not.toContain(s.slice(i, i + 12))
    }
    expect(out).not.toContain(echoed)
    expect(out).toMatch(/^said: [\s\S]*\*\*\*[\s\S]* end$/)
  })

  it('masks each whole form with the runner, and leaves ordinary text alone', () => {
    expect(core.setSecret).toHaveBeenCalledWith(form(secret))
    for (const f of secretForms(token)) expect(core.setSecret).toHaveBeenCalledWith(f)
    expect(secretForms(token)).toContain(b64(token))
    expect(redact('tok-Ab3 and 9f8e7d6c5b4 are short')).toBe('tok-Ab3 and 9f8e7d6c5b4 are short')
  })

  it('clips after redacting, so no prefix of a long secret is left', () => {
    const clipped = clipRedacted(`${'x'.repeat(980)}${token}`, 1000)
    expect(clipped).not.toContain(token.slice(0, 12))
    expect(clipped.length).toBeLessThanOrEqual(1001)
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

  it('parses a listed flow (what a sweep uses of it, no more); leaves out one without a valid id', () => {
    expect(
      parseFlow({
        id: '4fb0418e-1804-45d6-8d56-dd51f05c0baf',
        name: 'crm',
        state: 'disabled',
        lastRunDetails: { state: 'Failed', startedAtUTC: 5 },
        inheritedAttributes: { properties: { isSourceFlow: true } }
      })
    ).toEqual({
      id: '4fb0418e-1804-45d6-8d56-dd51f05c0baf',
      name: 'crm',
      enabled: false,
      isSourceFlow: true,
      kind: 'source'
    })
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

describe('wildcard patterns', () => {
  it.each([
    ['crm-*', 'CRM-a', true],
    ['crm-*', 'crm-', true],
    ['crm-*', 'xcrm-a', false],
    ['*-400', 'INGEST-1212-400', true],
    ['*-400', 'INGEST-1212-4000', false],
    ['*-*-400', 'A-B-400', true],
    ['*-*-400', 'A-400', false],
    ['a*a', 'a', false],
    ['a*a', 'aa', true],
    ['ab*ba', 'aba', false],
    ['*', '', true],
    ['**x**', 'yxy', true],
    ['x.y', 'xzy', false],
    ['(a)+[b]', '(A)+[B]', true],
    ['MAPPER-1?', 'mapper-1?', true],
    ['*a*b*c', 'bcac', false],
    ['*a*b*c', 'cbabcac', true]
  ])('%s against %s: %s', (pattern, text, matches) => {
    expect(glob(pattern).test(text)).toBe(matches)
  })

  it(`matches the first ${MAX_MATCHED} characters of a longer text`, () => {
    const long = `CONNECTOR-${'1'.repeat(MAX_MATCHED)}-400`
    expect(glob('CONNECTOR-*').test(long)).toBe(true)
    expect(glob('*-400').test(long)).toBe(false)
  })

  // Before: a regular expression, 35 s and more for each (measured in the change's report); the
  // bound is a thousand times what these take now, so load cannot make it flaky.
  it.each([
    ['*-*-400', '-'.repeat(240_000), 'skip-errors'],
    ['*a*a*a*a*a*a*a*a*a*b', 'a'.repeat(40), 'flow-name']
  ])('%s against a hostile %#: linear, not backtracking', (pattern, text, input) => {
    const started = performance.now()
    if (input === 'skip-errors')
      expect(skipErrors([pattern])({ causes: [{ code: text, message: '' }] })).toBeUndefined()
    else expect(nameFilter([pattern])(text)).toBe(false)
    expect(performance.now() - started).toBeLessThan(2000)
  })
})
