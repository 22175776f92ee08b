/**
 * Hostile answers: whatever the server sends is data, never a command. A hostile Flow Service on
 * loopback (one server, a hook per route) against the bundled action run as a runner runs it,
 * each class with debug logging off and on: workflow-command injection, a duplicate after a cut
 * 2xx, pauses that hang, unbounded listings, secrets reshaped before redaction, short secrets,
 * a skewed server clock steering reconciliation, and ids that are not ids.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { randomUUID } from 'node:crypto'
import { runAction, type ActionRun } from '../../sim/run-action.js'
import { expectNoSecrets, resultsOf } from '../helpers/e2e.js'
import { HostileServer, json, type Hook } from '../helpers/hostile.js'

let server: HostileServer
beforeEach(async () => {
  server = await new HostileServer().start()
})
afterEach(() => server.stop())

/** No line of the log starts with a command the server wrote, and the summary holds no markup of its own. */
function expectNoInjection(run: ActionRun): void {
  for (const line of run.stdout.split('\n'))
    expect(line).not.toMatch(/^::[a-z-]+(?: [^:]*)?::(?:INJECTED|stop|pwned)/)
  expect(run.stdout).not.toMatch(/^::stop-commands::/m)
  expect(run.summary).not.toMatch(/^#+ INJECTED/m)
  expect(run.summary).not.toMatch(/(?<!\\)\]\(https:\/\/evil/)
  expect(run.summary).not.toMatch(/(?<!\\)<(img|script)/i)
}

/** The given secrets appear nowhere but on `::add-mask::` lines, in no transformed form either. */
const expectNoLeak = (run: ActionRun, secrets: string[]): void => expectNoSecrets(run, secrets)

/** What GitHub would render as a mention, a reference or a link, outside a code span. */
function expectInertMarkdown(markdown: string): void {
  const text = markdown.replace(/`[^`\n]*`/g, '')
  expect(text).not.toMatch(/(?<!\\)&(?:commat|num|#\d+|#x[\da-f]+|lt|gt);/i)
  expect(text).not.toMatch(/https?:\/\/evil|www\.evil|a@evil/)
}

/** A 429 with an empty body and this `Retry-After`. */
const pausing =
  (retryAfter: string): Hook =>
  (_req, res) =>
    json(res, 429, {}, { 'retry-after': retryAfter })

describe.each([
  ['debug off', {}],
  ['debug on', { RUNNER_DEBUG: '1' }]
])('hostile answers (%s)', (_mode, env: Record<string, string>) => {
  const action = (
    inputs: Record<string, string> = {},
    extraEnv: Record<string, string> = {},
    timeoutMs = 30_000
  ) => runAction(server.inputs(inputs), { env: { ...env, ...extraEnv }, timeoutMs })

  describe('workflow-command injection', () => {
    it('through the POST answer (id, etag): nothing injected, nothing resent', async () => {
      server.hooks.retrigger = (_req, res) =>
        json(res, 200, {
          id: `${randomUUID()}\n::error::INJECTED-id`,
          etag: '"x"\r\n::add-mask::INJECTED-etag'
        })
      const run = await action()
      expectNoInjection(run)
      expect(server.hits.retrigger).toBe(1)
      expect(run.code).toBe(1)
      expect(run.errors.join('\n')).toMatch(
        /no valid run id.*may or may not have been re-triggered/s
      )
    })

    it("through a run's errors, status and flow id, in log and summary", async () => {
      server.hooks.getRun = (_req, res) =>
        json(res, 200, {
          items: [
            server.run({
              flowId: `${server.flowId}\n::error::INJECTED-flow`,
              metrics: {
                statusSummary: {
                  status: 'failed',
                  errors: [
                    {
                      code: 'X\n::stop-commands::pwned',
                      message:
                        'row 7: "\r\n::error::INJECTED-msg\n## INJECTED heading [click](https://evil.example) <img src=x>'
                    }
                  ]
                },
                recordSummary: { outputRecordCount: 0 }
              }
            })
          ]
        })
      const run = await action()
      expectNoInjection(run)
      // A flow id that is not one cannot be checked to be a source dataflow's: nothing is sent.
      expect(run.code).toBe(1)
      expect(run.errors.join('\n')).toContain('names no flow')
      expect(server.hits.retrigger).toBe(0)
      expect(run.summary).toContain('INJECTED heading') // shown, as text
    })

    it('through a status that carries markdown: shown as text, refused', async () => {
      server.hooks.getRun = (_req, res) =>
        json(res, 200, {
          items: [
            server.run({
              metrics: { statusSummary: { status: 'weird\n## INJECTED [x](https://evil.example)' } }
            })
          ]
        })
      const run = await action()
      expectNoInjection(run)
      expect(server.hits.retrigger).toBe(0)
      expect(run.code).toBe(1)
    })
  })

  describe('a 2xx status line seen means Adobe acted', () => {
    it('201 and half a body, then the connection drops, the listing lags: never a second POST', async () => {
      server.hooks.retrigger = (req, res) => {
        server.created.length = 0 // the listing lags: the new run is not shown
        res.writeHead(201, { 'content-type': 'application/json', 'content-length': '80' })
        res.write('{"id":"')
        setTimeout(() => req.socket.destroy(), 20)
      }
      const run = await action()
      expect(server.hits.retrigger).toBe(1)
      expect(run.code).toBe(1)
      expect(run.errors.join('\n')).toMatch(/HTTP 201, then .*Adobe accepted the request/s)
    })

    it('200 with a body trickled past request-timeout: never a second POST', async () => {
      server.hooks.retrigger = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' })
        const timer = setInterval(() => res.write(' '), 200)
        res.on('close', () => clearInterval(timer))
      }
      const run = await action()
      expect(server.hits.retrigger).toBe(1)
      expect(run.code).toBe(1)
    })
  })

  describe('pauses are bounded by the budget they belong to', () => {
    it('a Retry-After of an hour fails that run at once and does not hold the next one', async () => {
      const [a, b] = [randomUUID(), randomUUID()]
      server.inTurn(
        'retrigger',
        (_req, res) => json(res, 429, { title: 'slow down' }, { 'retry-after': '3600' }),
        server.defaults.retrigger
      )
      const run = await action({ 'run-id': `${a},${b}`, concurrency: '1' })
      // Held by the Retry-After, it would take an hour; a loaded machine's start-up fits the margin.
      expect(run.durationMs).toBeLessThan(20_000)
      expect(server.hits.retrigger).toBe(2)
      const results = resultsOf(run)
      expect(results[0].error).toMatch(/beyond the retry budget/)
      expect(results[1].state).toBe('retriggered')
    })

    it('a Retry-After while waiting never holds the step past wait-timeout + one request timeout', async () => {
      server.inTurn('getRun', server.defaults.getRun, pausing('3600'))
      const run = await action({ wait: 'true', 'poll-interval': '200ms', 'wait-timeout': '2s' })
      // wait-timeout + one request timeout is 3 s; the Retry-After would hold it an hour.
      expect(run.durationMs).toBeLessThan(20_000)
      expect(run.outputs.status).toBe('timeout')
    })

    it('a Retry-After date in year 9999 neither overflows a timer nor spins', async () => {
      server.inTurn('getRun', server.defaults.getRun, pausing('Fri, 31 Dec 9999 23:59:59 GMT'))
      const run = await action({ wait: 'true', 'poll-interval': '200ms', 'wait-timeout': '1s' })
      expect(run.stderr).not.toContain('TimeoutOverflowWarning')
      expect(server.hits.getRun).toBeLessThan(20)
      expect(run.outputs.status).toBe('timeout')
      // Bounded (wait-timeout + one request timeout), not the year 9999; a margin for a loaded machine.
      expect(run.durationMs).toBeLessThan(20_000)
    })
  })

  describe('listings are bounded in items, pages and memory', () => {
    const lowHeap = { NODE_OPTIONS: '--max-old-space-size=150' }

    it('pages of 100,000 items each, forever: fails with a clear error, writes outputs', async () => {
      const page = JSON.stringify({
        items: Array.from({ length: 100_000 }, () => ({})),
        _links: { next: { href: '/runs?continuationToken=again' } }
      })
      server.hooks.listRuns = (_req, res) => json(res, 200, page)
      const run = await action({ 'run-id': '', 'flow-id': server.flowId }, lowHeap)
      expect(run.code).toBe(1)
      expect(run.errors.join('\n')).toMatch(/more than 20000 items; narrow `lookback`/)
      expect(run.outputs.results).toBeDefined()
    })

    it('one page of 200,000 items: no stack overflow', async () => {
      const page = JSON.stringify({ items: Array.from({ length: 200_000 }, () => 0) })
      server.hooks.listRuns = (_req, res) => json(res, 200, page)
      const run = await action({ 'run-id': '', 'flow-id': server.flowId }, lowHeap)
      expect(run.code).toBe(1)
      expect(run.stderr).not.toMatch(/Maximum call stack/)
      expect(run.errors.join('\n')).toMatch(/more than 20000 items/)
    })

    it('a next link forever: stops after the page limit', async () => {
      server.hooks.listRuns = (_req, res) =>
        json(res, 200, { items: [], _links: { next: { href: '/runs?continuationToken=more' } } })
      const run = await action({ 'run-id': '', 'flow-id': server.flowId })
      expect(run.code).toBe(1)
      // 200 pages, and one more for each time slice a big listing is read in (16 at concurrency 4).
      expect(run.errors.join('\n')).toMatch(/more than 216 pages/)
      // The sweep's two run listings page side by side; the first to hit the limit stops both.
      expect(server.hits.listRuns).toBeGreaterThanOrEqual(216)
      expect(server.hits.listRuns).toBeLessThanOrEqual(2 * 216 + 8)
    })
  })

  describe('a sweep of hostile listings (issue 27.4, 27.10)', () => {
    const sweep = (extraEnv: Record<string, string> = {}) =>
      action({ 'run-id': '', 'flow-id': 'all' }, extraEnv)

    it('times no clock could read (a window of 1e16 ms, a start in nanoseconds): outputs and summary written', async () => {
      server.hooks.listRuns = (_req, res, url) =>
        json(res, 200, {
          items: server.listed(url, [
            server.run({
              metrics: {
                statusSummary: { status: 'failed', errors: [{ code: 'C', message: 'boom' }] },
                durationSummary: { startedAtUTC: Date.now() * 1e6 }
              },
              activities: [
                { durationSummary: { extensions: { windowStart: 1e16, windowEnd: 2e16 } } }
              ]
            }),
            ...server.created
          ])
        })
      const run = await sweep()
      expect(run.stderr).not.toMatch(/RangeError|at .+\.js:\d+/)
      expect(run.code).toBe(0)
      expect(server.hits.retrigger).toBe(1)
      expect(JSON.parse(run.outputs['run-ids'])).toEqual([server.runId])
      expect(resultsOf(run)[0]).toMatchObject({ state: 'retriggered', window: null })
      expect(run.summary).toContain('1 re-triggered')
    })

    it('the page of flows served twice: the flow is handled once, its window in run-ids', async () => {
      let served = 0
      server.hooks.listFlows = (req, res, url) => {
        if (++served > 1) return server.defaults.listFlows(req, res, url)
        // The same page, with a link to itself once more.
        const page = server.flowPage()
        json(res, 200, { ...page, _links: { next: { href: '/flows?continuationToken=again' } } })
      }
      const run = await sweep()
      expect(run.code).toBe(0)
      expect(served).toBe(2)
      expect(server.hits.retrigger).toBe(1)
      expect(JSON.parse(run.outputs['run-ids'])).toEqual([server.runId])
      expect(resultsOf(run).map(r => r.state)).toEqual(['retriggered'])
      expect(run.summary).toContain('Swept 1 source dataflow(s)')
    })

    it('three listings of ~1 MiB pages, every item valid: a sweep keeps what it shows, within a 64 MiB heap', async () => {
      const PAGES = 30
      const text = 'x'.repeat(3000)
      const id = (kind: number, page: number, i: number) =>
        `00000000-0000-4000-8${kind}00-${String(page * 1000 + i).padStart(12, '0')}`
      const paged = (url: URL, items: (page: number) => unknown[]) => {
        const page = Number(url.searchParams.get('continuationToken') ?? 0)
        const next = new URLSearchParams(url.searchParams)
        next.set('continuationToken', String(page + 1))
        return JSON.stringify({
          items: items(page),
          _links:
            page + 1 < PAGES
              ? {
                  next: {
                    href: `${url.pathname.slice('/data/foundation/flowservice'.length)}?${next.toString()}`
                  }
                }
              : {}
        })
      }
      server.hooks.listFlows = (_req, res, url) =>
        json(
          res,
          200,
          paged(url, page =>
            Array.from({ length: 100 }, (_, i) => ({
              id: id(1, page, i),
              name: `${i}${text}${text}${text}`,
              state: 'enabled',
              inheritedAttributes: { properties: { isSourceFlow: true } }
            }))
          )
        )
      server.hooks.listRuns = (_req, res, url) => {
        const ours = url.searchParams.getAll('property').some(p => p.startsWith('createdClient'))
        json(
          res,
          200,
          paged(url, page =>
            Array.from({ length: 100 }, (_, i) =>
              server.run({
                id: id(ours ? 2 : 3, page, i),
                // Flows of their own, not listed as source flows: nothing is re-triggered.
                flowId: id(4, page, i),
                createdAt: Date.now() - 60_000,
                ...(ours ? { createdClient: server.apiKey } : {}),
                metrics: {
                  statusSummary: {
                    status: ours ? 'success' : 'failed',
                    errors: [{ code: 'C', message: `${i}${text}${text}` }]
                  }
                },
                activities: [{ name: 'Copy', statusSummary: { extensions: { errorDetail: text } } }]
              })
            )
          )
        )
      }
      // Memory is the subject, not speed: on a loaded machine a ~1 MiB page in a 64 MiB heap can take
      // longer than the suite's 1 s request-timeout, so this sweep is given room.
      const run = await action(
        { 'run-id': '', 'flow-id': 'all', 'request-timeout': '20s', 'retry-timeout': '60s' },
        { NODE_OPTIONS: '--max-old-space-size=64' },
        110_000
      )
      expect(run.stderr).not.toMatch(/heap out of memory/)
      expect(run.code).toBe(0)
      // Every page read (a page is read again when a slow answer passes request-timeout).
      expect(server.hits.listFlows).toBeGreaterThanOrEqual(PAGES)
      expect(run.stdout).toContain(`Listed ${PAGES * 100} source dataflow(s)`)
      expect(server.hits.retrigger).toBe(0)
    }, 120_000)
  })

  describe('secrets are redacted before any reshaping', () => {
    it('a token echoed in HTML, clipped, folded, JSON-escaped and URL-encoded appears nowhere', async () => {
      const t = server.token
      server.hooks.getRun = (_req, res) =>
        json(res, 200, {
          items: [
            server.run({
              eTag: `"${t}"`,
              metrics: {
                statusSummary: {
                  status: 'failed',
                  errors: [{ code: 'E', message: `bad token ${t}` }]
                },
                recordSummary: { outputRecordCount: 0 }
              }
            })
          ]
        })
      server.hooks.retrigger = (_req, res) => {
        res.writeHead(400, { 'content-type': 'text/html', 'x-request-id': t })
        res.end(
          `<html><body>${'x'.repeat(480)} ${t.split('').join(' ')} ${t} ${encodeURIComponent(t)}</body></html>`
        )
      }
      const run = await action()
      expect(run.code).toBe(1)
      expectNoLeak(run, [t])
    })

    it('a percent-encoded token in a next-page link is not printed by debug lines', async () => {
      const t = server.token
      let page = 0
      server.hooks.listRuns = (_req, res) =>
        json(res, 200, {
          items: page++ === 0 ? [server.run()] : [],
          _links:
            page === 1 ? { next: { href: `/runs?continuationToken=${encodeURIComponent(t)}` } } : {}
        })
      const run = await action({ 'run-id': '', 'flow-id': server.flowId })
      expect(run.code).toBe(0)
      expectNoLeak(run, [t])
    })
  })

  describe('text: entities, autolinks and megabytes from the server stay text, and bounded', () => {
    it('two 600 KB codes, a 900 KB message, &commat;/&num; and bare URLs: a summary under 1 MiB, short log lines', async () => {
      const ids: string[] = [randomUUID(), randomUUID(), randomUUID()]
      const said =
        '&commat;team &num;12 see https://evil.example/x, www.evil.example or a@evil.example'
      const errorsOf = [
        [{ code: `A-${'1'.repeat(600_000)}`, message: said }],
        [{ code: `B-${'2'.repeat(600_000)}`, message: said }],
        [{ code: 'C-1', message: `${said} ${'m'.repeat(900_000)}` }]
      ]
      server.hooks.getRun = (_req, res, url) => {
        const id = url.pathname.split('/').pop()!
        const errors = errorsOf[ids.indexOf(id)] ?? []
        json(res, 200, {
          items: [
            server.run({
              id,
              metrics: {
                statusSummary: { status: 'failed', errors },
                recordSummary: { outputRecordCount: 0 }
              }
            })
          ]
        })
      }
      const run = await action({ 'run-id': ids.join(','), concurrency: '1' })
      expect(run.code).toBe(0)
      expect(JSON.parse(run.outputs['run-ids'])).toEqual(ids)
      expect(run.summary).toContain('### Failures by cause')
      expect(Buffer.byteLength(run.summary)).toBeLessThan(1024 * 1024)
      expectInertMarkdown(run.summary)
      for (const line of run.stdout.split('\n')) expect(line.length).toBeLessThan(20_000)
    })
  })

  describe('patterns match in linear time, whatever the server names things', () => {
    it('skip-errors *-*-400 against a 240,000-character code: decided at once, outputs written', async () => {
      server.hooks.getRun = (_req, res, url) =>
        json(res, 200, {
          items: [
            server.run({
              id: url.pathname.split('/').pop(),
              metrics: {
                statusSummary: {
                  status: 'failed',
                  errors: [{ code: '-'.repeat(240_000), message: 'long' }]
                },
                recordSummary: { outputRecordCount: 0 }
              }
            })
          ]
        })
      const run = await action({ 'skip-errors': '*-*-400' })
      // Before: a backtracking expression, minutes of CPU, killed at the timeout without outputs.
      expect(run.signal).toBeNull()
      expect(run.code).toBe(0)
      expect(server.hits.retrigger).toBe(1)
      expect(resultsOf(run)[0].state).toBe('retriggered')
    })

    it('flow-name *a*a*a*a*a*a*a*a*a*b against long names: the sweep goes on, outputs written', async () => {
      const flows = ['a'.repeat(300), `${'a'.repeat(250)}b`].map(name => ({
        id: randomUUID(),
        name,
        state: 'enabled',
        inheritedAttributes: { properties: { isSourceFlow: true } },
        lastRunDetails: { id: randomUUID(), state: 'success', startedAtUTC: Date.now() - 60_000 }
      }))
      server.hooks.listFlows = (_req, res) => json(res, 200, { items: flows, _links: {} })
      server.hooks.listRuns = (_req, res) => json(res, 200, { items: [], _links: {} })
      const run = await action({
        'run-id': '',
        'flow-id': 'all',
        'flow-name': '*a*a*a*a*a*a*a*a*a*b'
      })
      expect(run.signal).toBeNull()
      expect(run.code).toBe(0)
      expect(run.outputs.results).toBe('[]')
    })
  })

  describe('secrets in every form a server can echo them in', () => {
    it('the token in base64, folded, after 980 characters of errorDetail; the client secret form-encoded and \\/-escaped: nowhere', async () => {
      const token = `tok-${randomUUID()}-${randomUUID()}`
      const secret = `hostile/secret!${randomUUID()} (with) ~space~`
      server.hooks.token = (_req, res) => json(res, 200, { access_token: token, expires_in: 86399 })
      const b64 = (text: string) => Buffer.from(text).toString('base64')
      const form = new URLSearchParams({ client_secret: secret }).toString()
      const messages = [
        `auth header was ${b64(`Authorization: Bearer ${token}`)}`,
        `header: Bearer ${token.slice(0, 35)}\r\n ${token.slice(35)}`,
        `IMS said: got ${form}`,
        `echo ${JSON.stringify({ client_secret: secret }).replace(/\//g, '\\/')}`
      ]
      server.hooks.getRun = (_req, res, url) =>
        json(res, 200, {
          items: [
            server.run({
              id: url.pathname.split('/').pop(),
              metrics: {
                statusSummary: {
                  status: 'failed',
                  errors: messages.map((message, i) => ({ code: `E-${i}`, message }))
                },
                recordSummary: { outputRecordCount: 0 }
              },
              activities: [
                {
                  statusSummary: {
                    status: 'failed',
                    extensions: { errorDetail: `${'x'.repeat(980)}${token}` }
                  }
                }
              ]
            })
          ]
        })
      server.hooks.retrigger = (_req, res) =>
        json(res, 400, { title: `refused: ${b64(`Bearer ${token}`)} ${messages[1]}` })
      const inputs = server.inputs({ 'client-id': server.apiKey, 'client-secret': secret })
      delete inputs['access-token']
      const run = await runAction(inputs, { env, timeoutMs: 30_000 })
      expect(server.hits.token).toBe(1)
      expect(server.hits.retrigger).toBe(1)
      expect(run.code).toBe(1)
      expect(run.summary).toContain('the connector said')
      expectNoLeak(run, [token, secret])
    })
  })

  describe('short and URL-borne secrets', () => {
    it('an IMS token of "-" is refused, so it never masks every hyphen of the outputs', async () => {
      server.hooks.token = (_req, res) => json(res, 200, { access_token: '-', expires_in: 100 })
      const inputs = server.inputs({
        'client-id': server.apiKey,
        'client-secret': 'hostile-secret-1'
      })
      delete inputs['access-token']
      const run = await runAction(inputs, { env })
      expect(run.code).toBe(1)
      expect(run.errors.join('\n')).toMatch(/without a usable access_token/)
      expect(run.stdout).not.toContain('::add-mask::-\n')
    })

    it('a password in a service URL is refused without being shown', async () => {
      const run = await action({ 'ims-url': 'ftp://svc:PW-hostile-99@127.0.0.1:1' })
      expect(run.code).toBe(1)
      expect(run.stdout + run.stderr).not.toContain('PW-hostile-99')
      expect(server.hits).toEqual({
        token: 0,
        getRun: 0,
        listRuns: 0,
        listFlows: 0,
        getFlow: 0,
        retrigger: 0
      })
    })
  })

  describe('a skewed server clock cannot steer reconciliation', () => {
    const dated = (offsetMs: number) => {
      for (const route of ['getRun', 'listRuns'] as const) {
        server.hooks[route] = (req, res, url) => {
          res.setHeader('date', new Date(Date.now() + offsetMs).toUTCString())
          server.defaults[route](req, res, url)
        }
      }
    }

    it('Date 5 minutes ahead, POST 500 after acting: the new run is adopted, no second POST', async () => {
      dated(5 * 60_000)
      server.hooks.retrigger = (_req, res) => {
        server.create()
        res.setHeader('date', new Date(Date.now() + 5 * 60_000).toUTCString())
        json(res, 500, { title: 'oops' })
      }
      const run = await action()
      expect(server.hits.retrigger).toBe(1)
      expect(run.code).toBe(0)
      expect(run.outputs['new-run-id']).toBe(server.created[0].id)
    })

    it('Date 10 minutes behind, an older run of ours: never taken for the new one', async () => {
      dated(-10 * 60_000)
      const old = server.create()
      server.created[0].createdAt = Date.now() - 5 * 60_000
      ;(server.created[0].metrics as Record<string, unknown>).statusSummary = { status: 'failed' }
      server.inTurn(
        'retrigger',
        (_req, res) => json(res, 500, { title: 'oops' }),
        server.defaults.retrigger
      )
      // The older run of ours is a failed retry of the window: retried again at once here (the
      // spacing of retries is retry-policy.test's subject; reconciliation is this test's).
      const run = await action({ 'retry-backoff': '0' })
      expect(run.code).toBe(0)
      expect(run.outputs['new-run-id']).not.toBe(old)
      expect(run.outputs['new-run-id']).toBe(server.created.at(-1)!.id)
      expect(server.hits.retrigger).toBe(2)
    })
  })

  describe('ids from Adobe are validated', () => {
    it('a listed run id in upper case is re-triggered once, lower-cased', async () => {
      server.hooks.listRuns = (_req, res) =>
        json(res, 200, { items: [server.run({ id: server.runId.toUpperCase() })] })
      const run = await action({ 'run-id': `${server.runId}`, 'flow-id': server.flowId })
      expect(run.code).toBe(0)
      expect(server.hits.retrigger).toBe(1)
    })

    it('a listed id that would steer the POST is left out; a dry run hands no such text on', async () => {
      server.hooks.listRuns = (_req, res) =>
        json(res, 200, {
          items: [
            server.run(),
            server.run({ id: 'X/action?op=cancel#', createdAt: Date.now() }),
            server.run({ id: '$(curl evil)${{ github.token }}', createdAt: Date.now() })
          ]
        })
      const run = await action({ 'run-id': '', 'flow-id': server.flowId, 'dry-run': 'true' })
      expect(server.hits.retrigger).toBe(0)
      expect(run.outputs['run-ids']).toBe(`["${server.runId}"]`)
      expect(JSON.stringify(run.outputs)).not.toMatch(/\$\(|\$\{\{|op=cancel/)
      expect(run.warnings.join('\n')).toMatch(/left out 2 item\(s\) without a valid id/)
    })
  })
})
