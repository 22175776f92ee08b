// Input refusals, one table: run() in-process, with the @actions/core fixture, against the
// simulator on loopback. Each row is a bad input the step must refuse before it sends anything,
// with one error annotation that says what to fix. The unit table in __tests__/unit/inputs.test.ts
// checks readInputs' words for each problem; this one checks what the step does with them. One
// refusal still runs through the bundle as a child process (__tests__/e2e/retrigger.test.ts): the
// annotation on the wire, exit code 1, nothing sent.
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as core from '../../__fixtures__/core.js'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ClientPayload } from '../../relay/src/envelope.js'
import type { Simulator } from '../../sim/simulator.js'
import { DISPATCH_TYPE } from '../../src/github/dispatch-event.js'
import { baseInputs, oauth, secretsOf, startSimulator, staticToken } from '../helpers/e2e.js'

jest.unstable_mockModule('@actions/core', () => core)

/**
 * run() from a fresh copy of the source's modules, as each child process had: nothing a row
 * leaves behind (the secrets registered for redaction, above all) can hide another row's leak.
 */
async function freshRun(): Promise<() => Promise<void>> {
  let run: (() => Promise<void>) | undefined
  await jest.isolateModulesAsync(async () => {
    ;({ run } = await import('../../src/main.js'))
  })
  return run!
}

/** The inputs whose values are secrets: none of them may be printed, whatever the row. */
const SECRET_INPUTS = ['access-token', 'client-secret', 'github-token']

interface Refusal {
  /** What is wrong with the inputs. */
  refusal: string
  inputs: (sim: Simulator) => Record<string, string>
  /** What the one annotation must say: the input to fix, what it must be, the value when quoted. */
  says: string[]
  /** Further text that must appear nowhere (a password in a URL, a secret too short to mask). */
  unprinted?: string[]
  /** The relay's `client_payload` when the step is woken by Adobe's event (repository_dispatch). */
  event?: (sim: Simulator, inputs: Record<string, string>) => ClientPayload
  /**
   * Inputs given as '' (the runner sets `INPUT_<NAME>=''`): `core.getInput` answers '' for an
   * input left out too, so only the variable tells them apart.
   */
  givenEmpty?: string[]
}

/** A configuration the step accepts, for a failed run that exists: refused, it sends nothing. */
const accepted = (sim: Simulator): Record<string, string> => ({
  ...baseInputs(sim),
  ...staticToken(sim),
  'run-id': sim.addRun({ status: 'failed' })
})
/** The same without credentials. */
const uncredentialed = (sim: Simulator): Record<string, string> => ({
  ...baseInputs(sim),
  'run-id': sim.addRun({ status: 'failed' })
})

/** What relay/ dispatches for the failed run the inputs name, in the org and sandbox given. */
const woken =
  (where: { orgId?: string; sandbox?: string }) =>
  (sim: Simulator, inputs: Record<string, string>): ClientPayload => ({
    runId: inputs['run-id'],
    flowId: sim.run(inputs['run-id'])!.flowId as string,
    flowName: null,
    sandbox: where.sandbox ?? inputs.sandbox,
    orgId: where.orgId ?? inputs['org-id'],
    eventId: '6a1f2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    at: new Date(sim.now()).toISOString()
  })

const refusals: Refusal[] = [
  // The cases __tests__/e2e/retrigger.test.ts ran as child processes (the first one still does).
  {
    refusal: 'a run id that is not a UUID',
    inputs: sim => ({ ...accepted(sim), 'run-id': '../../flows/abc' }),
    says: ['`run-id` must hold UUIDs', '"../../flows/abc"']
  },
  {
    refusal: 'no credentials',
    inputs: uncredentialed,
    says: ['set `client-id` and `client-secret`', '`access-token`']
  },
  {
    refusal: 'plain http to a remote host',
    inputs: sim => ({ ...accepted(sim), 'platform-url': 'http://platform.adobe.io' }),
    says: ['`platform-url` must use https']
  },
  {
    refusal: 'a header value with a line break (header injection)',
    inputs: sim => ({ ...accepted(sim), 'org-id': 'ABC@AdobeOrg\r\nx-evil: 1' }),
    says: ['`org-id` contains spaces, line breaks']
  },
  // One row per kind of problem in readInputs' unit table.
  {
    refusal: 'no run id (and no flow id)',
    inputs: sim => ({ ...accepted(sim), 'run-id': '' }),
    says: ['set `run-id`', '`flow-id`']
  },
  {
    refusal: 'a sandbox that is not a sandbox name',
    inputs: sim => ({ ...accepted(sim), sandbox: 'Prod' }),
    says: ['`sandbox` must be a sandbox name', '"Prod"']
  },
  {
    refusal: '`all` followed by a name',
    inputs: sim => ({ ...accepted(sim), sandbox: 'all, prod' }),
    says: ['`sandbox`: `all` already names prod']
  },
  {
    refusal: 'every sandbox named excluded',
    inputs: sim => ({ ...accepted(sim), sandbox: 'prod, !prod' }),
    says: ['every sandbox named is excluded']
  },
  {
    refusal: 'runs named in `run-id` with several sandboxes (no event to narrow them)',
    inputs: sim => ({
      ...baseInputs(sim),
      ...oauth(sim),
      'run-id': sim.addRun({ status: 'failed' }),
      sandbox: 'all'
    }),
    says: ['`run-id` names runs of one sandbox']
  },
  {
    refusal: 'no org id',
    inputs: sim => ({ ...accepted(sim), 'org-id': '' }),
    says: ['set `org-id`']
  },
  {
    refusal: 'an org id that is not an IMS organization ID',
    inputs: sim => ({ ...accepted(sim), 'org-id': 'my-org' }),
    says: ['`org-id` must be an IMS organization ID', '"my-org"']
  },
  {
    refusal: 'an access token with spaces (not quoted: it is a secret)',
    inputs: sim => ({ ...accepted(sim), 'access-token': 'tok en-with spaces-9f3c' }),
    says: ['`access-token` contains spaces']
  },
  {
    refusal: 'an access token too short to be one (too short to mask, so never quoted)',
    inputs: sim => ({ ...accepted(sim), 'access-token': 'q7z' }),
    says: ['`access-token` is too short'],
    unprinted: ['q7z']
  },
  {
    refusal: 'a URL that carries a user name and password (never quoted)',
    inputs: sim => ({
      ...accepted(sim),
      'platform-url': 'https://svc:PW-s3cret@platform.adobe.io'
    }),
    says: ['`platform-url` must not carry a user name or password'],
    unprinted: ['PW-s3cret']
  },
  {
    refusal: 'a client id without its client secret',
    inputs: sim => ({ ...uncredentialed(sim), 'client-id': sim.apiKey }),
    says: ['set both `client-id` and `client-secret`', '`client-secret` is empty']
  },
  {
    refusal: 'an IMS URL that is not https, with OAuth credentials (nothing goes to IMS)',
    inputs: sim => ({ ...uncredentialed(sim), ...oauth(sim), 'ims-url': 'ftp://127.0.0.1' }),
    says: ['`ims-url` must use https']
  },
  {
    refusal: 'a platform URL with a mistyped scheme, quoted as given (not as "null")',
    inputs: sim => ({ ...accepted(sim), 'platform-url': 'htps://platform.adobe.io' }),
    says: ['`platform-url` must use https', 'not "htps://platform.adobe.io"']
  },
  {
    refusal: 'a sandbox given as an empty value (an unset variable), not defaulted to prod',
    inputs: sim => ({ ...accepted(sim), sandbox: '' }),
    givenEmpty: ['sandbox'],
    says: ['`sandbox` is given as an empty value', 'leave the input out to use `prod`']
  },
  {
    refusal: 'a platform URL that is not a URL',
    inputs: sim => ({ ...accepted(sim), 'platform-url': 'not a url' }),
    says: ['`platform-url` must be a URL', '"not a url"']
  },
  {
    refusal: 'a platform URL with an API path',
    inputs: sim => ({ ...accepted(sim), 'platform-url': `${sim.url}/data/foundation/flowservice` }),
    says: [
      "`platform-url` must be the service's base URL without a path",
      'the action adds the API paths itself'
    ]
  },
  {
    refusal: 'a duration that is not one',
    inputs: sim => ({ ...accepted(sim), wait: 'true', 'poll-interval': 'soon' }),
    says: ['`poll-interval` must be a duration', '"soon"']
  },
  {
    refusal: 'a duration out of range',
    inputs: sim => ({ ...accepted(sim), wait: 'true', 'wait-timeout': '0s' }),
    says: ['`wait-timeout` must be between', '"0s"']
  },
  {
    refusal: 'a number out of range',
    inputs: sim => ({ ...accepted(sim), concurrency: '0' }),
    says: ['`concurrency` must be a whole number from 1 to 32', '"0"']
  },
  {
    refusal: 'a flag that is neither true nor false',
    inputs: sim => ({ ...accepted(sim), wait: 'maybe' }),
    says: ['`wait` must be `true` or `false`', '"maybe"']
  },
  // A step woken by Adobe's event (__tests__/e2e/dispatch.test.ts runs the relay's chain end to end).
  {
    refusal: 'an event for another sandbox than the step is configured for',
    inputs: accepted,
    event: woken({ sandbox: 'dev' }),
    says: [
      'event is for sandbox dev, but `sandbox` is prod',
      'pass `sandbox: ${{ github.event.client_payload.sandbox }}`'
    ]
  },
  {
    refusal: 'an event for another org',
    inputs: accepted,
    event: woken({ orgId: 'ABCDEF0123456789@AdobeOrg' }),
    says: ['event is for IMS org ABCDEF0123456789@AdobeOrg, but `org-id` is']
  },
  // Several problems are still one annotation, listing each.
  {
    refusal: 'three problems at once',
    inputs: sim => ({ ...accepted(sim), 'run-id': 'x', sandbox: 'A B', 'poll-interval': '-1' }),
    says: [
      'Invalid inputs:\n- ',
      '`run-id` must hold UUIDs',
      '`sandbox` must be a sandbox name',
      '`poll-interval` must be a duration'
    ]
  }
]

/** Everything the step printed: what went through the fixture, bar `setSecret`, and any direct write. */
const printed: string[] = []
const record = (...args: unknown[]): void => {
  for (const arg of args)
    if (typeof arg !== 'function') printed.push(typeof arg === 'string' ? arg : JSON.stringify(arg))
}
const throughCore = (): string[] =>
  [
    core.debug,
    core.info,
    core.notice,
    core.warning,
    core.error,
    core.setFailed,
    core.setOutput,
    core.group,
    core.summary.addRaw
  ].flatMap(fn =>
    (fn.mock.calls as unknown[][]).flat().flatMap(arg =>
      // An Error annotation prints its message (and, thrown, a stack).
      typeof arg === 'function'
        ? []
        : arg instanceof Error
          ? [`${arg.message}\n${arg.stack}`]
          : [typeof arg === 'string' ? arg : JSON.stringify(arg)]
    )
  )

let sim: Simulator
let env: NodeJS.ProcessEnv
/** Where wokenBy wrote this row's event, if it did. */
let eventDir: string | undefined
beforeEach(async () => {
  env = { ...process.env }
  // What a runner sets (as sim/run-action.ts does for the child): the summary goes through the
  // fixture, the variable only tells run() that a runner wants one. No dispatch event.
  Object.assign(process.env, {
    GITHUB_STEP_SUMMARY: '/dev/null',
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_REPOSITORY: 'acme/ingestion',
    GITHUB_RUN_ID: '1234567890'
  })
  delete process.env.GITHUB_EVENT_NAME
  delete process.env.GITHUB_EVENT_PATH
  sim = await startSimulator()
  jest.clearAllMocks()
  printed.length = 0
  // Nothing may bypass @actions/core; whatever did would be in the log too, so it is checked.
  for (const stream of [process.stdout, process.stderr])
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      record(Buffer.from(chunk).toString())
      return true
    })
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const)
    jest.spyOn(console, method).mockImplementation(record)
})
afterEach(async () => {
  jest.restoreAllMocks()
  process.env = env
  await sim.stop()
  if (eventDir) rmSync(eventDir, { recursive: true, force: true })
  eventDir = undefined
})

/** The runner's variables for a `repository_dispatch` of the relay's type, carrying `payload`. */
function wokenBy(payload: ClientPayload): void {
  eventDir = mkdtempSync(join(tmpdir(), 'aep-refusal-'))
  const path = join(eventDir, 'event.json')
  writeFileSync(path, JSON.stringify({ action: DISPATCH_TYPE, client_payload: payload }))
  process.env.GITHUB_EVENT_NAME = 'repository_dispatch'
  process.env.GITHUB_EVENT_PATH = path
}

describe('run() refuses bad input: one error annotation saying what to fix, the step fails, nothing is sent', () => {
  it.each(refusals)(
    '$refusal',
    async ({ inputs: inputsOf, says, unprinted = [], event, givenEmpty = [] }) => {
      const inputs = inputsOf(sim)
      if (event) wokenBy(event(sim, inputs))
      for (const name of givenEmpty) process.env[`INPUT_${name.toUpperCase()}`] = ''
      core.getInput.mockImplementation(name => inputs[name] ?? '')
      const run = await freshRun()

      // No uncaught exception (the child process: no stack trace on stderr).
      await expect(run()).resolves.toBeUndefined()

      // The step fails (the child process: exit code 1) with one annotation, the only one.
      expect(core.setFailed).toHaveBeenCalledTimes(1)
      expect(core.error).not.toHaveBeenCalled()
      expect(core.warning).not.toHaveBeenCalled()
      expect(core.notice).not.toHaveBeenCalled()
      const [annotation] = core.setFailed.mock.calls[0]
      expect(typeof annotation).toBe('string')
      // An event for another org or sandbox is not bad input: it says whose event it is.
      expect(annotation).toMatch(
        event ? /^An event for another (org|sandbox)/ : /^Invalid inputs?:/
      )
      for (const text of says) expect(annotation).toContain(text)

      // Nothing was sent: not to Adobe, not to IMS.
      expect(sim.requests).toHaveLength(0)

      // No secret printed anywhere, and never a stack trace.
      const log = [...throughCore(), ...printed].join('\n')
      const given = SECRET_INPUTS.map(name => inputs[name]).filter(Boolean)
      for (const secret of [...secretsOf(sim), ...given, ...unprinted])
        expect(log).not.toContain(secret)
      expect(log).not.toMatch(/at .+\.[cm]?[jt]s:\d+/)
    }
  )
})
