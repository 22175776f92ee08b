// The Octokit of escalation in its rails (src/github/client.ts), in-process: the real Octokit and
// its retry and throttling plugins against the GitHub stand-in on loopback, with its faults.
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  jest
} from '@jest/globals'
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as core from '../../__fixtures__/core.js'
import { GitHubStandIn } from '../../sim/github.js'
import { LoopbackServer } from '../../sim/loopback.js'

jest.unstable_mockModule('@actions/core', () => core)
const {
  GitHubAnswerError,
  checked,
  createGitHubClient,
  describeGitHubRefusal,
  isIssue,
  isIssueList,
  refusalKind
} = await import('../../src/github/client.js')
const { registerSecret } = await import('../../src/text/secrets.js')

const owner = 'acme'
const repo = 'ingestion'
let github: GitHubStandIn
let controller: AbortController
beforeEach(async () => {
  github = await new GitHubStandIn().start()
  controller = new AbortController()
  jest.clearAllMocks()
})
afterEach(async () => {
  controller.abort()
  await github.stop()
})

// The retry plugin's back-off after a 5xx (1 s, then 4 s, in production) in hundredths: the tests
// of it count attempts, they do not time it. Rate-limit waits are GitHub's: each test sets its own.
const pacing = { retryBaseMs: 10 }
const client = (
  ctx: { requestTimeoutMs?: number; deadline?: number; maxWaitMs?: number; apiUrl?: string } = {},
  more: { spaceWrites?: boolean } = {}
) =>
  createGitHubClient(
    { token: github.token, apiUrl: ctx.apiUrl ?? github.url },
    { requestTimeoutMs: ctx.requestTimeoutMs ?? 5000, signal: controller.signal, ...ctx },
    { ...pacing, ...more }
  )
const list = (gh = client()) =>
  gh.rest.issues.listForRepo({ owner, repo, state: 'open', per_page: 100 })
const openIssue = (extra: Partial<GitHubStandIn['issues'][number]> = {}): number => {
  github.issues.push({
    number: github.issues.length + 1,
    title: 't',
    body: 'b',
    labels: ['aep-dataflow'],
    state: 'open',
    comments: [],
    ...extra
  })
  return github.issues.length
}
/** The promise's rejection (it must reject). */
const refusal = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise
  } catch (err) {
    return err
  }
  throw new Error('expected a refusal')
}
const logged = (fn: { mock: { calls: unknown[][] } }): string =>
  fn.mock.calls.map(c => String(c[0])).join('\n')
const methods = (): string[] => github.requests.map(r => r.method)

describe('retries, bounded', () => {
  it('retries a 502, then succeeds', async () => {
    openIssue()
    github.fault({ kind: 'status', status: 502 }, { method: 'GET' })
    const { data } = await list()
    expect(isIssueList(data)).toBe(true)
    expect(data).toHaveLength(1)
    expect(methods()).toEqual(['GET', 'GET'])
  })

  it('makes at most 3 attempts (2 retries), then says what GitHub answered', async () => {
    github.fault({ kind: 'status', status: 502, message: 'Server Error' }, { times: 10 })
    const err = await refusal(list())
    expect(github.requests).toHaveLength(3)
    expect(refusalKind(err)).toBe('server')
    expect(describeGitHubRefusal(err)).toMatch(
      /^GitHub answered 502, a fault on its side.*GitHub said: "Server Error" \(request id STANDIN:3\)$/
    )
  }, 15_000)

  it('does not retry a POST after a 5xx: the issue may have been opened', async () => {
    github.fault({ kind: 'status', status: 502 }, { method: 'POST' })
    const err = await refusal(client().rest.issues.create({ owner, repo, title: 't', body: 'b' }))
    expect(methods()).toEqual(['POST'])
    expect((err as { status?: number }).status).toBe(502)
  })
})

describe('rate limits', () => {
  // Waits timed here are fractions of a second, quick to measure: the client (as the plugin) reads
  // Retry-After as a number of seconds, whole or not.
  it("waits a secondary rate limit's retry-after (0.1 s), then succeeds, once", async () => {
    const n = openIssue()
    github.fault({ kind: 'secondary-rate-limit', retryAfter: 0.1 }, { method: 'POST' })
    const started = Date.now()
    // Without the plugin's 3 s between comments, so that the time measured is the Retry-After's.
    const gh = client({}, { spaceWrites: false })
    await gh.rest.issues.createComment({ owner, repo, issue_number: n, body: 'again' })
    expect(Date.now() - started).toBeGreaterThanOrEqual(90)
    expect(methods()).toEqual(['POST', 'POST'])
    expect(github.issues[0].comments).toEqual(['again'])
    expect(logged(core.info)).toMatch(
      /secondary rate limit: waiting 0\.1 s before retrying POST \/repos\/{owner}\/{repo}\/issues\/{issue_number}\/comments$/
    )
  })

  it('gives up at once on a retry-after of 120 s, naming the secondary rate limit', async () => {
    const n = openIssue()
    github.fault({ kind: 'secondary-rate-limit', retryAfter: 120 }, { method: 'POST' })
    const started = Date.now()
    const err = await refusal(
      client().rest.issues.createComment({ owner, repo, issue_number: n, body: 'x' })
    )
    expect(Date.now() - started).toBeLessThan(1000)
    expect(methods()).toEqual(['POST'])
    expect(refusalKind(err)).toBe('secondary-rate-limit')
    const said = describeGitHubRefusal(err)
    expect(said).toMatch(
      /^GitHub's secondary rate limit refused the request \(403, retry after 120 s\)/
    )
    expect(said).toContain('GitHub said: "You have exceeded a secondary rate limit')
    expect(said).toMatch(/\(request id STANDIN:1\)$/)
    expect(said).not.toMatch(/issues: write/)
    expect(logged(core.debug)).toMatch(/not waiting \(it asks for 120 s, more than the 60 s/)
  })

  it('a rate limit and then 5xx answers still make at most 3 attempts in all', async () => {
    github.fault({ kind: 'secondary-rate-limit', retryAfter: 0.05 })
    github.fault({ kind: 'status', status: 502 }, { times: 10 })
    const err = await refusal(list())
    expect(github.requests).toHaveLength(3)
    expect((err as { status?: number }).status).toBe(502)
  })

  it("a secondary limit without retry-after counts as 60 s (the plugin's fallback)", async () => {
    github.fault({
      kind: 'status',
      status: 403,
      message: 'You have exceeded a secondary rate limit.'
    })
    const err = await refusal(list(client({ maxWaitMs: 30_000 })))
    expect(github.requests).toHaveLength(1)
    expect(refusalKind(err)).toBe('secondary-rate-limit')
    expect(logged(core.debug)).toMatch(/not waiting \(it asks for 60 s, more than the 30 s/)
  })

  it("does not wait past the step's deadline", async () => {
    github.fault({ kind: 'secondary-rate-limit', retryAfter: 5 })
    const started = Date.now()
    const err = await refusal(list(client({ deadline: Date.now() + 2000 })))
    expect(Date.now() - started).toBeLessThan(1000)
    expect(refusalKind(err)).toBe('secondary-rate-limit')
    expect(logged(core.debug)).toMatch(/the step's time ends first/)
  })

  it('a 429 with retry-after but no message about it is waited for too', async () => {
    github.fault({ kind: 'status', status: 429, headers: { 'retry-after': '0.1' } })
    const started = Date.now()
    await list()
    expect(Date.now() - started).toBeGreaterThanOrEqual(90)
    expect(methods()).toEqual(['GET', 'GET'])
  })

  it('a cancelled step ends a rate-limit wait at once', async () => {
    github.fault({ kind: 'secondary-rate-limit', retryAfter: 30 })
    const started = Date.now()
    const refused = refusal(list())
    // Cancelled once the 30 s wait has begun.
    for (let i = 0; i < 400 && !/waiting 30 s/.test(logged(core.info)); i++)
      await new Promise(resolve => setTimeout(resolve, 5))
    controller.abort()
    const err = await refused
    expect(Date.now() - started).toBeLessThan(2000)
    expect(refusalKind(err)).toBe('secondary-rate-limit')
    expect(github.requests).toHaveLength(1)
  })

  it('the primary limit is described with its reset, and not waited for an hour', async () => {
    github.fault({ kind: 'primary-rate-limit', resetIn: 1800 })
    const err = await refusal(list())
    expect(github.requests).toHaveLength(1)
    expect(refusalKind(err)).toBe('rate-limit')
    const reset = Number(
      (err as { response: { headers: Record<string, string> } }).response.headers[
        'x-ratelimit-reset'
      ]
    )
    expect(describeGitHubRefusal(err)).toMatch(
      new RegExp(
        `^GitHub's API rate limit for this token is used up \\(403, 5000 requests an hour\\); it resets at ${new Date(reset * 1000).toISOString().replace(/\./g, '\\.')} \\(in 30 min\\)`
      )
    )
  })
})

describe('what GitHub refused, in words', () => {
  it('a locked issue is described as locked, not as a permission problem, and not retried', async () => {
    const n = openIssue({ locked: true })
    const err = await refusal(
      client().rest.issues.createComment({ owner, repo, issue_number: n, body: 'x' })
    )
    expect(methods()).toEqual(['POST'])
    expect(refusalKind(err)).toBe('locked')
    const said = describeGitHubRefusal(err)
    expect(said).toMatch(/^GitHub refused: issue #1 is locked/)
    expect(said).toContain('"Unable to create comment because issue is locked."')
    expect(said).not.toMatch(/permissions/)
  })

  it('a permission 403 is described as `permissions: issues: write`', async () => {
    github.refuse = { status: 403, message: 'Resource not accessible by integration' }
    const err = await refusal(list())
    expect(github.requests).toHaveLength(1)
    expect(refusalKind(err)).toBe('permission')
    expect(describeGitHubRefusal(err)).toMatch(
      /add `permissions: issues: write` to the job.*GitHub said: "Resource not accessible by integration"/
    )
  })

  it('another 403 is not called a permission problem', async () => {
    github.refuse = { status: 403, message: 'Repository was archived so is read-only.' }
    const said = describeGitHubRefusal(await refusal(list()))
    expect(said).toBe(
      'GitHub answered 403. GitHub said: "Repository was archived so is read-only." (request id STANDIN:1)'
    )
  })

  it("a body over 65,536 characters: 422 with GitHub's validation message", async () => {
    const n = openIssue()
    const err = await refusal(
      client().rest.issues.createComment({
        owner,
        repo,
        issue_number: n,
        body: 'x'.repeat(65_537)
      })
    )
    expect(refusalKind(err)).toBe('validation')
    expect(describeGitHubRefusal(err)).toMatch(
      /^GitHub refused the content \(422\): the text is longer than GitHub allows\. GitHub said: "Validation Failed: body is too long \(maximum is 65536 characters\)"/
    )
  })

  it('404 names the repository; 401 names the token; never the token itself', async () => {
    github.fault({ kind: 'status', status: 404, message: 'Not Found' })
    expect(describeGitHubRefusal(await refusal(list()))).toMatch(
      /^GitHub answered 404: the repository acme\/ingestion was not found with this token/
    )
    const wrong = createGitHubClient(
      { token: 'ghs_WrongToken0000000000000000000000', apiUrl: github.url },
      { requestTimeoutMs: 5000, signal: controller.signal }
    )
    const bad = await refusal(list(wrong))
    const said = describeGitHubRefusal(bad)
    expect(said).toMatch(/^GitHub refused the token \(401\): check `github-token`/)
    expect(said).not.toContain('ghs_WrongToken')
  })

  it("GitHub's message is redacted, one line, at most 300 characters", () => {
    registerSecret('ghp_EchoedInAMessage123456')
    const err = Object.assign(new Error('x'), {
      status: 422,
      response: {
        headers: { 'x-github-request-id': 'AB:CD' },
        data: { message: `bad\n::error::ghp_EchoedInAMessage123456 ${'y'.repeat(400)}` }
      }
    })
    const said = describeGitHubRefusal(err)
    expect(said).not.toContain('ghp_EchoedInAMessage123456')
    expect(said).not.toContain('\n')
    expect(said).toContain('bad ::error::***')
    expect(/GitHub said: "([^"]*)"/.exec(said)?.[1].length).toBe(300)
    expect(said).toMatch(/\(request id AB:CD\)$/)
  })
})

describe('one origin, no automatic redirect', () => {
  let other: GitHubStandIn
  beforeEach(async () => {
    other = await new GitHubStandIn(github.token).start()
  })
  afterEach(() => other.stop())

  it('a cross-origin redirect is not followed: the other server receives nothing', async () => {
    github.fault(
      { kind: 'redirect', status: 307, location: `${other.url}/repos/acme/ingestion/issues` },
      { method: 'POST' }
    )
    const err = await refusal(
      client().rest.issues.create({ owner, repo, title: 't', body: 'the issue body' })
    )
    expect(other.requests).toHaveLength(0)
    expect(github.requests).toHaveLength(1)
    expect(err).toBeInstanceOf(GitHubAnswerError)
    expect(describeGitHubRefusal(err)).toBe(
      `GitHub answered 307 with a redirect to ${other.url}, not followed, so the token and the issue body stay with GITHUB_API_URL (${github.url}) (request id STANDIN:1)`
    )
  })

  it('a cross-origin redirect of a GET is not followed either', async () => {
    github.fault({ kind: 'redirect', location: `${other.url}/x` })
    const err = await refusal(list())
    expect(other.requests).toHaveLength(0)
    expect(describeGitHubRefusal(err)).toMatch(/^GitHub answered 301 with a redirect to http/)
  })

  it('a same-origin redirect of a GET is followed once (a renamed repository)', async () => {
    openIssue()
    github.fault({ kind: 'redirect', location: '/repos/acme/renamed/issues?state=open' })
    const { data } = await list()
    expect(data).toHaveLength(1)
    expect(github.requests.map(r => r.path)).toEqual([
      '/repos/acme/ingestion/issues?state=open&per_page=100',
      '/repos/acme/renamed/issues?state=open'
    ])
    expect(github.requests[1].authorization).toBe(`token ${github.token}`)
  })

  it('a second redirect, or one of a PATCH, is not followed', async () => {
    github.fault({ kind: 'redirect', location: '/repos/acme/renamed/issues' }, { times: 2 })
    expect(describeGitHubRefusal(await refusal(list()))).toMatch(
      /not followed \(a second redirect\)/
    )
    expect(github.requests).toHaveLength(2)
    const n = openIssue()
    github.fault({ kind: 'redirect', status: 308, location: '/repos/acme/renamed/issues/1' })
    const err = await refusal(
      client().rest.issues.update({ owner, repo, issue_number: n, state: 'closed' })
    )
    expect(describeGitHubRefusal(err)).toMatch(/for PATCH .*not followed: only a GET is re-issued/)
    expect(github.issues[0].state).toBe('open')
  })

  it('refuses to send a request anywhere but GITHUB_API_URL', async () => {
    const err = await refusal(client().request('GET /x', { baseUrl: other.url }))
    expect(other.requests).toHaveLength(0)
    expect(describeGitHubRefusal(err)).toMatch(
      /^Refused to send a request to http:\/\/127\.0\.0\.1/
    )
  })
})

describe('answers checked before they are trusted', () => {
  it('a 200 HTML page (a proxy login) is an error, not an empty list, and not retried', async () => {
    github.fault({ kind: 'html' })
    const err = await refusal(list())
    expect(github.requests).toHaveLength(1)
    expect(err).toBeInstanceOf(GitHubAnswerError)
    expect(describeGitHubRefusal(err)).toMatch(
      /^GitHub answered 200 with text\/html, not JSON \("Sign in to continue"\)/
    )
  })

  it('a listing cut short mid-body is an error', async () => {
    openIssue()
    openIssue()
    github.fault({ kind: 'cut-short' })
    const err = await refusal(list())
    expect((err as InstanceType<typeof GitHubAnswerError>).kind).toBe('cut-short')
    expect(describeGitHubRefusal(err)).toMatch(/^GitHub's answer \(200\) was cut short/)
  })

  it('a request GitHub does not answer in time fails once, with the timeout named', async () => {
    const seen: string[] = []
    const silent = new LoopbackServer(req => void seen.push(req.method ?? ''))
    const url = await silent.start()
    try {
      const err = await refusal(list(client({ apiUrl: url, requestTimeoutMs: 100 })))
      expect(describeGitHubRefusal(err)).toBe(
        'GitHub did not answer GET /repos/acme/ingestion/issues within 100 ms'
      )
      expect(seen).toEqual(['GET'])
    } finally {
      await silent.stop()
    }
  })

  it('isIssue and isIssueList accept what GitHub sends and nothing else', () => {
    const issue = { number: 1, html_url: 'https://github.com/a/b/issues/1', body: null }
    expect(isIssue(issue)).toBe(true)
    expect(isIssueList([issue, { ...issue, number: 2, body: 'x' }])).toBe(true)
    expect(isIssueList([])).toBe(true)
    for (const bad of [
      '<html>',
      '',
      null,
      {},
      [{ ...issue, number: '1' }],
      [{ ...issue, html_url: undefined }],
      [{ ...issue, body: 3 }],
      [issue, 'x']
    ])
      expect(isIssueList(bad)).toBe(false)
    expect(() => checked('<html>', isIssueList, 'a list of issues')).toThrow(
      "GitHub's answer is not a list of issues (text of 6 characters): not trusted"
    )
    expect(checked([issue], isIssueList, 'a list of issues')).toEqual([issue])
  })
})

describe("Octokit's logging goes through log.ts", () => {
  it('a Deprecation warning is logged as a warning, with a token it echoes redacted', async () => {
    const secret = 'ghp_EchoedByTheServer0123456789'
    registerSecret(secret)
    const consoleWarn = jest.spyOn(console, 'warn').mockImplementation(() => undefined)
    github.fault({
      kind: 'headers',
      headers: {
        deprecation: 'true',
        sunset: `Wed, 11 Nov 2026 23:59:59 GMT ${secret}`,
        link: '<https://docs.github.com/changes>; rel="deprecation"'
      }
    })
    try {
      await list()
      expect(consoleWarn).not.toHaveBeenCalled()
    } finally {
      consoleWarn.mockRestore()
    }
    const warned = logged(core.warning)
    expect(warned).toMatch(
      /^\[@octokit\/request\] "GET .*" is deprecated\. It is scheduled to be removed on Wed, 11 Nov 2026 23:59:59 GMT \*\*\*\. See https:\/\/docs\.github\.com\/changes$/
    )
    expect(warned).not.toContain(secret)
  })
})

// @actions/github picks its proxy when it is first imported: a process of its own. It starts before
// the first test of this file and runs alongside the others; its test below reads what it did.
let proxy: http.Server
const connects: string[] = []
let proxied: Promise<string>
beforeAll(async () => {
  proxy = http.createServer((_req, res) => res.writeHead(403).end())
  proxy.on('connect', (req: http.IncomingMessage, socket: import('node:net').Socket) => {
    connects.push(req.url ?? '')
    socket.end('HTTP/1.1 403 Forbidden\r\n\r\n')
  })
  await new Promise<void>(resolve => proxy.listen(0, '127.0.0.1', resolve))
  const root = fileURLToPath(new URL('../..', import.meta.url))
  const script = join(tmpdir(), `github-client-proxy-${process.pid}.mts`)
  writeFileSync(
    script,
    `import { createGitHubClient, describeGitHubRefusal } from ${JSON.stringify(join(root, 'src/github/client.ts'))}
const gh = createGitHubClient({ token: 'ghs_x0000000000000000000000000000000000', apiUrl: 'https://api.github.com' }, { requestTimeoutMs: 5000, signal: new AbortController().signal }, ${JSON.stringify(pacing)})
try { await gh.rest.issues.listForRepo({ owner: 'acme', repo: 'ingestion' }); console.log('answered') }
catch (err) { console.log(describeGitHubRefusal(err)) }
`
  )
  const port = (proxy.address() as AddressInfo).port
  proxied = new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ['--import', 'tsx', script],
      {
        cwd: root,
        env: {
          ...process.env,
          NODE_OPTIONS: '',
          GITHUB_API_URL: 'https://api.github.com',
          HTTPS_PROXY: `http://127.0.0.1:${port}`
        },
        timeout: 20_000
      },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)
    )
  )
  // Its test reports a failure; until then it is no unhandled rejection.
  proxied.catch(() => undefined)
})
afterAll(() => new Promise<void>(resolve => proxy.close(() => resolve())))

describe('behind HTTPS_PROXY', () => {
  it('the client goes through the proxy @actions/github sets up (ours refuses: nothing leaves)', async () => {
    const out = await proxied
    // The proxy refused the tunnel: every attempt (1 + 2 retries) went to it, none elsewhere.
    expect(connects).toEqual(['api.github.com:443', 'api.github.com:443', 'api.github.com:443'])
    expect(out).toMatch(
      /^Could not reach GitHub: Proxy response \(403\) !== 200 when HTTP Tunneling/
    )
  }, 30_000)
})
