import { describe, expect, it, jest } from '@jest/globals'
import fc from 'fast-check'
import * as core from '../../__fixtures__/core.js'
import { INPUT_PROPERTY_RUNS } from '../helpers/figures.js'

jest.unstable_mockModule('@actions/core', () => core)
const { readInputs, DEFAULT_SCOPES } = await import('../../src/inputs/inputs.js')
const { InputError } = await import('../../src/inputs/input-error.js')

const RUN = '4fb0418e-1804-45d6-8d56-dd51f05c0baf'
const valid: Record<string, string> = {
  'run-id': RUN,
  'org-id': 'ABC123@AdobeOrg',
  'access-token': 'tok-123',
  'api-key': 'key-1'
}
/** Inputs as given: one not in `values` was left out (its default applies), '' was given empty. */
const read = (values: Record<string, string>) => (name: string) => values[name]
const problemsOf = (values: Record<string, string>): string[] => {
  try {
    readInputs(read(values))
  } catch (err) {
    if (err instanceof InputError) return err.problems
    throw err
  }
  return []
}

describe('readInputs', () => {
  it('applies the documented defaults', () => {
    const inputs = readInputs(read(valid))
    expect(inputs).toMatchObject({
      'run-id': [RUN],
      'flow-id': { all: false, ids: [] },
      'flow-name': [],
      'skip-errors': ['MAPPER-*', 'INGEST-*-400'],
      'retry-backoff': 900_000,
      sandbox: 'prod',
      'platform-url': 'https://platform.adobe.io',
      'ims-url': 'https://ims-na1.adobelogin.com',
      'check-status': true,
      force: false,
      'dry-run': false,
      wait: false,
      'poll-interval': 30_000,
      'wait-timeout': 3_600_000,
      lookback: 86_400_000,
      concurrency: 4,
      'fail-on-run-failure': true,
      'max-runs': 25,
      'issue-labels': ['aep-dataflow'],
      credentials: { kind: 'token', accessToken: 'tok-123' }
    })
  })

  it('uses OAuth credentials, with client-id as the default api-key and the default scopes', () => {
    const inputs = readInputs(
      read({ 'run-id': RUN, 'org-id': 'A@AdobeOrg', 'client-id': 'cid', 'client-secret': 'sec-1' })
    )
    expect(inputs.credentials).toEqual({
      kind: 'oauth',
      clientId: 'cid',
      clientSecret: 'sec-1',
      scopes: DEFAULT_SCOPES
    })
    expect(inputs.apiKey).toBe('cid')
  })

  it('takes the API key from client-id with a static token too', () => {
    const inputs = readInputs(read({ ...valid, 'api-key': '', 'client-id': 'cid' }))
    expect(inputs.credentials.kind).toBe('token')
    expect(inputs.apiKey).toBe('cid')
    expect(problemsOf({ ...valid, 'api-key': '' })).toEqual([
      expect.stringContaining('set `api-key` (or `client-id`')
    ])
  })

  it('masks the secrets before anything else can print them', () => {
    core.setSecret.mockClear()
    expect(() =>
      readInputs(read({ 'access-token': 'the-token', 'client-secret': 'the-secret' }))
    ).toThrow(InputError)
    expect(core.setSecret).toHaveBeenCalledWith('the-token')
    expect(core.setSecret).toHaveBeenCalledWith('the-secret')
  })

  it('splits run ids on newlines, commas and spaces, drops duplicates and keeps the order', () => {
    const other = '3fb0418e-1804-45d6-8d56-dd51f05c0baf'
    expect(
      readInputs(read({ ...valid, 'run-id': `${RUN}\n${other}, ${RUN.toUpperCase()}  ${other}` }))[
        'run-id'
      ]
    ).toEqual([RUN, other])
  })

  it.each([
    [{ 'run-id': 'runs/../flows' }, '`run-id` must hold UUIDs'],
    [{ 'run-id': '' }, 'set `run-id`'],
    [{ sandbox: 'Prod' }, '`sandbox` must be a sandbox name'],
    [{ 'org-id': '' }, 'set `org-id`'],
    [{ 'org-id': 'ABC@AdobeOrg\nX-Evil: 1' }, '`org-id` contains spaces, line breaks'],
    [{ 'access-token': 'a b c d' }, '`access-token` contains spaces'],
    [{ 'access-token': '-' }, '`access-token` is too short'],
    [{ 'platform-url': 'ftp://svc:PW@host' }, 'must not carry a user name or password'],
    [{ 'access-token': '', 'client-id': 'x' }, '`client-secret` is empty'],
    [{ 'access-token': '' }, 'no credentials'],
    [{ 'platform-url': 'http://platform.adobe.io' }, '`platform-url` must use https'],
    [{ 'ims-url': 'ftp://127.0.0.1' }, '`ims-url` must use https'],
    [{ 'platform-url': 'not a url' }, '`platform-url` must be a URL'],
    [{ 'platform-url': 'https://u:p@platform.adobe.io' }, 'must not carry a user name or password'],
    [{ 'poll-interval': 'soon' }, '`poll-interval` must be a duration'],
    [{ 'wait-timeout': '0s' }, '`wait-timeout` must be between'],
    [{ concurrency: '0' }, '`concurrency` must be a whole number from 1 to 32'],
    [{ concurrency: '4.5' }, '`concurrency` must be a whole number'],
    [{ wait: 'maybe' }, '`wait` must be `true` or `false`'],
    [{ 'org-id': 'my-org' }, '`org-id` must be an IMS organization ID'],
    [
      { 'platform-url': 'https://platform.adobe.io/data/foundation/flowservice' },
      '`platform-url` must be the service\'s base URL without a path, such as "https://platform.adobe.io"'
    ],
    [{ 'ims-url': 'https://ims-na1.adobelogin.com/ims/token/v3' }, '`ims-url` must be the service'],
    [
      { lookback: '1h' },
      '`lookback` must be at least 105m for `max-retries: 3` with `retry-backoff: 15m`'
    ],
    [{ lookback: '6h', 'retry-backoff': '1h', 'max-retries': '5' }, 'must be at least 16h'],
    [{ 'retry-backoff': '2d' }, '`retry-backoff` must be a duration'],
    // A scheme URL does not know has no origin: the value is quoted as given, never as "null".
    [{ 'platform-url': 'htps://platform.adobe.io' }, 'not "htps://platform.adobe.io"'],
    // Given empty (an unset variable), the sandbox is refused, not defaulted to `prod`.
    [{ sandbox: '' }, '`sandbox` is given as an empty value'],
    [{ sandbox: '  ' }, '`sandbox` is given as an empty value']
  ])('rejects %j with a message that says what to fix', (override, message) => {
    const problems = problemsOf({ ...valid, ...override })
    expect(problems).toHaveLength(1)
    expect(problems[0]).toContain(message)
  })

  it.each([
    [{}, ['MAPPER-*', 'INGEST-*-400']],
    [{ 'skip-errors': '' }, ['MAPPER-*', 'INGEST-*-400']],
    [{ 'skip-errors': 'none' }, []],
    [{ 'skip-errors': 'NONE' }, []],
    [{ 'skip-errors': 'CONNECTOR-2001-500' }, ['CONNECTOR-2001-500']]
  ])(
    'skip-errors %j: a list replaces the default, `none` retries every code',
    (given, expected) => {
      expect(readInputs(read({ ...valid, ...given }))['skip-errors']).toEqual(expected)
    }
  )

  it.each([
    [{ lookback: '1h', 'retry-backoff': '0' }],
    [{ lookback: '1h', 'max-retries': '1' }],
    [{ lookback: '1h', 'max-retries': '0' }],
    [{ lookback: '105m' }]
  ])('a lookback that fits the schedule (or no schedule) is accepted: %j', given => {
    expect(problemsOf({ ...valid, ...given })).toEqual([])
  })

  it('never quotes a password carried in a URL, parsable or not', () => {
    for (const url of [
      'http://svc:PW-s3cret@127.0.0.1',
      'ftp://svc:PW-s3cret@[bad',
      'svc:PW-s3cret@host'
    ])
      expect(problemsOf({ ...valid, 'ims-url': url }).join('\n')).not.toContain('PW-s3cret')
  })

  it('allows plain http for loopback hosts only', () => {
    for (const url of ['http://127.0.0.1:8080', 'http://localhost:1', 'http://[::1]:9']) {
      expect(readInputs(read({ ...valid, 'platform-url': url }))['platform-url']).toBe(url)
    }
    expect(problemsOf({ ...valid, 'platform-url': 'http://127.0.0.1.evil.com' })).toHaveLength(1)
  })

  it('an empty github-token (a missing secret) is said as such, not as a malformed one', () => {
    process.env.GITHUB_REPOSITORY = 'acme/ingestion'
    try {
      const problems = problemsOf({ ...valid, 'issue-on-failure': 'true', 'github-token': '' })
      expect(problems).toHaveLength(1)
      expect(problems[0]).toContain('`github-token` is empty')
      expect(problems[0]).not.toContain('spaces')
    } finally {
      delete process.env.GITHUB_REPOSITORY
    }
  })

  it('an input left out takes its default; given empty, only the sandbox is refused', () => {
    expect(readInputs(read(valid)).sandbox).toBe('prod')
    expect(readInputs(read({ ...valid, lookback: '', 'platform-url': '' }))).toMatchObject({
      lookback: 86_400_000,
      'platform-url': 'https://platform.adobe.io'
    })
  })

  it('reports every problem at once', () => {
    expect(problemsOf({ 'run-id': 'x', sandbox: 'A B', 'poll-interval': '-1' })).toHaveLength(5)
  })
})

describe('readInputs under arbitrary values (property-based)', () => {
  const names = [
    'run-id',
    'flow-id',
    'sandbox',
    'org-id',
    'api-key',
    'access-token',
    'platform-url',
    'ims-url',
    'poll-interval',
    'wait-timeout',
    'lookback',
    'concurrency',
    'max-attempts',
    'wait',
    'force',
    'request-timeout'
  ]
  const nasty = fc.oneof(
    fc.string(),
    fc.string({ unit: 'grapheme' }),
    fc.constantFrom(
      '\r\n',
      'a\nb',
      '\u0000',
      'ß',
      'prod\r\nx-evil: 1',
      '../..',
      '1e9',
      '-1',
      'NaN',
      'Infinity',
      '9'.repeat(400),
      'http://10.0.0.1',
      'https://[::1]:0',
      '30 s',
      '1h30',
      '٣'
    ),
    fc.webUrl(),
    fc.uuid()
  )

  it('accepts each value or answers with InputError problems, never another error, never echoing the token', () => {
    fc.assert(
      fc.property(fc.constantFrom(...names), nasty, (name, value) => {
        try {
          readInputs(read({ ...valid, 'access-token': 'sekret-tok', [name]: value }))
        } catch (err) {
          expect(err).toBeInstanceOf(InputError)
          const { problems } = err as InstanceType<typeof InputError>
          expect(problems.length).toBeGreaterThan(0)
          for (const p of problems)
            expect(p).not.toContain(name === 'access-token' ? '\u0000' : 'sekret-tok')
        }
      }),
      { numRuns: INPUT_PROPERTY_RUNS.perInput }
    )
  })

  it('survives every input being arbitrary at once', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...names), nasty), values => {
        try {
          readInputs(read(values))
        } catch (err) {
          expect(err).toBeInstanceOf(InputError)
        }
      }),
      { numRuns: INPUT_PROPERTY_RUNS.allAtOnce }
    )
  })
})
