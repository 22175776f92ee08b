import type { Fault, Route, Simulator } from '../../sim/simulator.js'

/** One row of the fault matrix in docs/reliability.md; __tests__/e2e/faults.test.ts proves each. */
export interface Row {
  name: string
  faults: Partial<Record<Route, Fault[]>>
  inputs?: Record<string, string>
  /** OAuth credentials instead of a static token. */
  oauth?: boolean
  exit: 0 | 1
  /** What was there before the step: earlier retries of ours, runs the scheduler starts, faults. */
  before?: (sim: Simulator, runId: string, flowId: string) => void
  /** Runs of ours (created with the action's API key) the flow has at the end. */
  newRuns: number
  posts?: number
  error?: RegExp
  warning?: RegExp
}

const html502 = {
  status: 502,
  body: '<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>'
}
const httpDate = (secondsAhead: number): string =>
  new Date(Date.now() + secondsAhead * 1000).toUTCString()

export const ROWS: Row[] = [
  // IMS
  {
    name: 'IMS 503, then a token',
    oauth: true,
    faults: { token: [{ status: 503 }] },
    exit: 0,
    newRuns: 1
  },
  {
    name: 'IMS connection reset, then a token',
    oauth: true,
    faults: { token: [{ reset: 'before' }] },
    exit: 0,
    newRuns: 1
  },
  {
    name: 'IMS HTML 502 every time',
    oauth: true,
    faults: { token: [html502, html502] },
    inputs: { 'max-attempts': '2' },
    exit: 1,
    newRuns: 0,
    posts: 0,
    error:
      /IMS token request failed: HTTP 502: HTML page: 502 Bad Gateway.*gave up: after 2 attempts/s
  },
  {
    name: 'IMS invalid_client',
    oauth: true,
    faults: {
      token: [
        {
          status: 401,
          body: '{"error":"invalid_client","error_description":"invalid client_id parameter"}'
        }
      ]
    },
    exit: 1,
    newRuns: 0,
    posts: 0,
    error:
      /HTTP 401 invalid_client: invalid client_id parameter.*Check `client-id` and `client-secret`/s
  },
  // Refusals on the POST: never retried, each explained
  {
    name: 'POST 401 with OAuth: token renewed, sent once more',
    oauth: true,
    faults: {
      retrigger: [
        { status: 401, body: '{"error_code":"401013","message":"Oauth token is not valid"}' }
      ]
    },
    exit: 0,
    newRuns: 1,
    posts: 2
  },
  {
    name: 'POST 401 with a static token: fails, recommending OAuth',
    faults: {
      retrigger: [
        { status: 401, body: '{"error_code":"401013","message":"Oauth token is not valid"}' }
      ]
    },
    exit: 1,
    newRuns: 0,
    posts: 1,
    error: /HTTP 401 401013: Oauth token is not valid.*static tokens last 24 hours/s
  },
  {
    name: 'POST 403',
    faults: {
      retrigger: [{ status: 403, body: '{"error_code":"403003","message":"Api Key is invalid"}' }]
    },
    exit: 1,
    newRuns: 0,
    posts: 1,
    error: /HTTP 403 403003: Api Key is invalid.*product profile/s
  },
  {
    name: 'POST 404',
    faults: { retrigger: [{ status: 404 }] },
    exit: 1,
    newRuns: 0,
    posts: 1,
    error: /HTTP 404.*was not found in sandbox "prod"/s
  },
  {
    name: 'POST 412',
    faults: { retrigger: [{ status: 412 }] },
    exit: 1,
    newRuns: 0,
    posts: 1,
    error: /HTTP 412.*etag mismatch/s
  },
  // 429: the request was not processed
  {
    name: 'POST 429, Retry-After in seconds',
    faults: { retrigger: [{ status: 429, headers: { 'retry-after': '1' } }] },
    exit: 0,
    newRuns: 1,
    posts: 2
  },
  {
    name: 'POST 429, Retry-After as an HTTP date',
    faults: { retrigger: [{ status: 429, headers: { 'retry-after': httpDate(1) } }] },
    exit: 0,
    newRuns: 1,
    posts: 2
  },
  {
    name: 'POST 429 without Retry-After',
    faults: { retrigger: [{ status: 429 }] },
    exit: 0,
    newRuns: 1,
    posts: 2
  },
  {
    name: 'POST 429, Retry-After of a day',
    faults: { retrigger: [{ status: 429, headers: { 'retry-after': '86400' } }] },
    exit: 1,
    newRuns: 0,
    posts: 1,
    error: /HTTP 429.*gave up: Adobe asked to wait 24h \(Retry-After\), beyond the retry budget/s
  },
  // Server errors on the read: idempotent, retried
  ...[500, 502, 503, 504].map((status): Row => ({
    name: `GET ${status}, then the run`,
    faults: { getRun: [{ status }] },
    exit: 0,
    newRuns: 1,
    posts: 1
  })),
  // Server errors on the POST
  {
    name: 'POST 503 (not processed)',
    faults: { retrigger: [{ status: 503 }] },
    exit: 0,
    newRuns: 1,
    posts: 2
  },
  ...[500, 502, 504].flatMap((status): Row[] => [
    {
      name: `POST ${status}, run not created: reconciled, sent once more`,
      faults: { retrigger: [{ status }] },
      exit: 0,
      newRuns: 1,
      posts: 2,
      warning: /no new run of ours in flow .* appeared/
    },
    {
      name: `POST ${status} after creating the run: new run found by listing`,
      faults: { retrigger: [{ status, act: true }] },
      exit: 0,
      newRuns: 1,
      posts: 1,
      warning:
        /created by this credential after the ambiguous attempt, was taken as the re-triggered run/
    }
  ]),
  {
    name: 'POST 500 twice, no run created: fails, naming what to check',
    faults: { retrigger: [{ status: 500 }, { status: 500 }] },
    exit: 1,
    newRuns: 0,
    posts: 2,
    error:
      /HTTP 500 500: Internal Server Error \(request id [^)]+\) after the request was sent.*may or may not have been re-triggered.*Check the runs of flow [0-9a-f-]{36} created after \d{4}-/s
  },
  {
    name: 'POST 504, flow unknown and unreadable: fails, naming the window',
    inputs: { 'check-status': 'false', 'max-attempts': '2' },
    faults: { retrigger: [{ status: 504 }], getRun: [{ status: 500 }, { status: 500 }] },
    exit: 1,
    newRuns: 0,
    posts: 1,
    error: /may or may not have been re-triggered \(its flow could not be read.*created after/s
  },
  {
    name: 'POST 502 acted, listing fails: fails, naming flow and window',
    inputs: { 'max-attempts': '2' },
    faults: {
      retrigger: [{ status: 502, act: true }],
      // The first listing is the flow's history, read before the attempt.
      listRuns: [{}, { status: 500 }, { status: 500 }]
    },
    exit: 1,
    newRuns: 1,
    posts: 1,
    error: /listing the flow's runs failed.*Check the runs of flow/s
  },
  // The connection
  {
    name: 'reset before the POST is answered (not acted): reconciled, sent once more',
    faults: { retrigger: [{ reset: 'before' }] },
    exit: 0,
    newRuns: 1,
    posts: 2
  },
  {
    name: 'reset after the POST acted: new run found by listing',
    faults: { retrigger: [{ reset: 'after' }] },
    exit: 0,
    newRuns: 1,
    posts: 1,
    warning: /taken as the re-triggered run/
  },
  {
    name: 'POST answer slower than request-timeout (acted): new run found by listing',
    inputs: { 'request-timeout': '500ms' },
    faults: { retrigger: [{ delayMs: 1500 }] },
    exit: 0,
    newRuns: 1,
    posts: 1,
    warning: /no answer within 500ms/
  },
  {
    name: 'GET answer slower than request-timeout: read again',
    inputs: { 'request-timeout': '500ms' },
    faults: { getRun: [{ delayMs: 1500 }] },
    exit: 0,
    newRuns: 1,
    posts: 1
  },
  {
    name: 'reset on the GET: read again',
    faults: { getRun: [{ reset: 'before' }] },
    exit: 0,
    newRuns: 1,
    posts: 1
  },
  {
    name: 'GET answer cut short by the connection: read again',
    faults: { getRun: [{ cutShort: true }] },
    exit: 0,
    newRuns: 1,
    posts: 1
  },
  {
    name: 'POST answer cut short after acting: new run found by listing',
    faults: { retrigger: [{ cutShort: true }] },
    exit: 0,
    newRuns: 1,
    posts: 1,
    warning: /connection closed before the whole answer arrived/
  },
  // Answers that cannot be read
  {
    name: 'GET 200 with malformed JSON',
    faults: { getRun: [{ status: 200, body: '{"items": [ {"id": ' }] },
    exit: 1,
    newRuns: 0,
    posts: 0,
    error: /Reading run .*: HTTP 200 with an answer that is not JSON/
  },
  {
    name: 'POST 200 with malformed JSON (acted): new run found by listing',
    faults: { retrigger: [{ act: true, status: 200, body: '{"id": "3fb0' }] },
    exit: 0,
    newRuns: 1,
    posts: 1
  },
  {
    name: 'POST 2xx without an id (acted): new run found by listing',
    faults: { retrigger: [{ act: true, status: 202, body: '{}' }] },
    exit: 0,
    newRuns: 1,
    posts: 1
  },
  {
    name: 'POST 400 with a 20 MB body: read capped, error shown',
    faults: { retrigger: [{ status: 400, bodyBytes: 20 * 1024 * 1024 }] },
    exit: 1,
    newRuns: 0,
    posts: 1,
    error: /HTTP 400: x{100}/
  },
  {
    name: 'GET answered with an empty 500 each time',
    inputs: { 'max-attempts': '2' },
    faults: {
      getRun: [
        { status: 500, body: '' },
        { status: 500, body: '' }
      ]
    },
    exit: 1,
    newRuns: 0,
    posts: 0,
    error: /HTTP 500: \(empty answer\).*gave up: after 2 attempts/s
  },
  // Repeats: a workflow run again (re-run, double dispatch, hourly sweep)
  {
    name: 're-run while the retry runs: adopted, nothing sent',
    before: (sim, _runId, flowId) =>
      void sim.addRun({
        flowId,
        status: 'inProgress',
        createdAt: Date.now() - 1000,
        createdClient: sim.apiKey
      }),
    faults: {},
    exit: 0,
    newRuns: 1,
    posts: 0
  },
  {
    name: 're-run after the retry failed: the retry is retried once',
    before: (sim, _runId, flowId) =>
      void sim.addRun({
        flowId,
        status: 'failed',
        createdAt: Date.now() - 1000,
        createdClient: sim.apiKey
      }),
    faults: {},
    // The re-run comes at once: the spacing of retries is retry-policy.test's subject.
    inputs: { 'retry-backoff': '0' },
    exit: 0,
    newRuns: 2,
    posts: 1
  },
  {
    name: 'chain at the limit (3 failed retries): nothing sent, fails naming max-retries',
    before: (sim, _runId, flowId) => {
      for (const ago of [3000, 2000, 1000])
        sim.addRun({
          flowId,
          status: 'failed',
          createdAt: Date.now() - ago,
          createdClient: sim.apiKey
        })
    },
    faults: {},
    exit: 1,
    newRuns: 3,
    posts: 0,
    error: /re-triggered 3 time\(s\) by this action.*`max-retries` is 3/s
  },
  {
    name: 'scheduler run during an ambiguous attempt: never taken, sent once more',
    before: (sim, _runId, flowId) =>
      void sim.fault('retrigger', {
        status: 502,
        meanwhile: () => void sim.addRun({ flowId, status: 'inProgress', createdAt: Date.now() })
      }),
    faults: {},
    exit: 0,
    newRuns: 1,
    posts: 2,
    warning: /no new run of ours in flow .* appeared/
  }
]
