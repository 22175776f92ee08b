import * as core from '@actions/core'
import { parseDuration } from './duration.js'
import { registerSecret } from './secrets.js'

export type Credentials =
  | { kind: 'token'; accessToken: string }
  | { kind: 'oauth'; clientId: string; clientSecret: string; scopes: string }

/** Everything the action was asked to do, validated. Built once, before any request. */
export interface Inputs {
  runIds: string[]
  flowIds: string[]
  sandbox: string
  orgId: string
  apiKey: string
  credentials: Credentials
  platformUrl: string
  imsUrl: string
  checkStatus: boolean
  force: boolean
  dryRun: boolean
  lookbackMs: number
  concurrency: number
  wait: boolean
  pollIntervalMs: number
  waitTimeoutMs: number
  failOnRunFailure: boolean
  requestTimeoutMs: number
  maxAttempts: number
  retryTimeoutMs: number
  settleMs: number
}

/** A problem with the inputs: reported as one annotation, before anything is sent. */
export class InputError extends Error {
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? `Invalid input: ${problems[0]}`
        : `Invalid inputs:\n- ${problems.join('\n- ')}`
    )
    this.name = 'InputError'
  }
}

export const DEFAULT_SCOPES =
  'openid,AdobeID,read_organizations,additional_info.projectedProductContext,session'
export const MAX_RUNS = 10_000

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
// Adobe sandbox names: lowercase letters, digits and hyphens.
const SANDBOX = /^[a-z0-9][a-z0-9-]{0,255}$/
// An HTTP header value we are willing to send: visible ASCII, no spaces, no CR/LF.
const HEADER_TOKEN = /^[\x21-\x7e]+$/

type Read = (name: string) => string

/** Reads the workflow inputs (`INPUT_<NAME>`, hyphens kept) through the toolkit. */
export function readInputs(read: Read = name => core.getInput(name)): Inputs {
  // Mask first: nothing below may print a secret, not even in an error about it.
  registerSecret(read('access-token').trim())
  registerSecret(read('client-secret').trim())

  const problems: string[] = []
  const text = (name: string, fallback = ''): string => read(name).trim() || fallback

  const problemsBeforeIds = problems.length
  const runIds = idList(text('run-id'), 'run-id', problems)
  const flowIds = idList(text('flow-id'), 'flow-id', problems)
  if (runIds.length === 0 && flowIds.length === 0 && problems.length === problemsBeforeIds) {
    problems.push('set `run-id` to the ID of the failed run to retry (or `flow-id` to sweep flows)')
  }
  if (runIds.length + flowIds.length > MAX_RUNS) {
    problems.push(`at most ${MAX_RUNS} run and flow IDs fit in one step; split them over a matrix`)
  }

  const sandbox = text('sandbox', 'prod')
  if (!SANDBOX.test(sandbox)) {
    problems.push(
      `\`sandbox\` must be a sandbox name (lowercase letters, digits and hyphens, e.g. \`prod\`), not ${quote(sandbox)}`
    )
  }

  const orgId = text('org-id')
  if (!orgId) problems.push('set `org-id` to your IMS organization ID (ends with `@AdobeOrg`)')
  else headerSafe('org-id', orgId, problems)

  const credentials = readCredentials(text, problems)
  // The API key is the credential's client ID, whichever way the token comes.
  const apiKey = text('api-key') || text('client-id')
  if (!apiKey && credentials?.kind === 'token') {
    problems.push(
      'set `api-key` (or `client-id`: the client ID of your credential) to use `access-token`'
    )
  } else if (apiKey) headerSafe('api-key', apiKey, problems)

  const platformUrl = serviceUrl(
    'platform-url',
    text('platform-url', 'https://platform.adobe.io'),
    problems
  )
  const imsUrl = serviceUrl('ims-url', text('ims-url', 'https://ims-na1.adobelogin.com'), problems)

  const flag = (name: string, fallback: boolean): boolean => {
    const value = text(name).toLowerCase()
    if (!value) return fallback
    if (['true', 'yes', 'on'].includes(value)) return true
    if (['false', 'no', 'off'].includes(value)) return false
    problems.push(`\`${name}\` must be \`true\` or \`false\`, not ${quote(value)}`)
    return fallback
  }
  const duration = (name: string, fallback: string, min: number, max: number): number => {
    const raw = text(name, fallback)
    const ms = parseDuration(raw)
    if (ms === undefined) {
      problems.push(
        `\`${name}\` must be a duration such as \`500ms\`, \`30s\`, \`15m\`, \`2h\` or plain seconds, not ${quote(raw)}`
      )
      return parseDuration(fallback)!
    }
    if (ms < min || ms > max) {
      problems.push(
        `\`${name}\` must be between ${min}ms and ${max / 3_600_000}h, not ${quote(raw)}`
      )
    }
    return ms
  }
  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const raw = text(name, String(fallback))
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN
    if (!(value >= min && value <= max)) {
      problems.push(`\`${name}\` must be a whole number from ${min} to ${max}, not ${quote(raw)}`)
      return fallback
    }
    return value
  }

  const HOUR = 3_600_000
  const inputs: Inputs = {
    runIds,
    flowIds,
    sandbox,
    orgId,
    apiKey,
    credentials: credentials ?? { kind: 'token', accessToken: '' },
    platformUrl,
    imsUrl,
    checkStatus: flag('check-status', true),
    force: flag('force', false),
    dryRun: flag('dry-run', false),
    lookbackMs: duration('lookback', '24h', 1000, 30 * 24 * HOUR),
    concurrency: integer('concurrency', 4, 1, 32),
    wait: flag('wait', false),
    pollIntervalMs: duration('poll-interval', '30s', 100, HOUR),
    waitTimeoutMs: duration('wait-timeout', '1h', 100, 72 * HOUR),
    failOnRunFailure: flag('fail-on-run-failure', true),
    requestTimeoutMs: duration('request-timeout', '30s', 100, 10 * 60_000),
    maxAttempts: integer('max-attempts', 5, 1, 20),
    retryTimeoutMs: duration('retry-timeout', '2m', 0, HOUR),
    settleMs: duration('settle-time', '15s', 0, 10 * 60_000)
  }
  if (problems.length > 0) throw new InputError(problems)
  return inputs
}

function readCredentials(
  text: (name: string) => string,
  problems: string[]
): Credentials | undefined {
  const accessToken = text('access-token')
  const clientId = text('client-id')
  const clientSecret = text('client-secret')
  if (accessToken) {
    headerSafe('access-token', accessToken, problems)
    return { kind: 'token', accessToken }
  }
  if (clientId && clientSecret) {
    headerSafe('client-id', clientId, problems)
    return { kind: 'oauth', clientId, clientSecret, scopes: text('scopes') || DEFAULT_SCOPES }
  }
  if (clientId || clientSecret) {
    problems.push(
      `set both \`client-id\` and \`client-secret\` (OAuth Server-to-Server credential); \`${clientId ? 'client-secret' : 'client-id'}\` is empty`
    )
  } else {
    problems.push(
      'no credentials: set `client-id` and `client-secret` (OAuth Server-to-Server, recommended) or `access-token`'
    )
  }
  return undefined
}

function idList(raw: string, name: string, problems: string[]): string[] {
  const seen = new Set<string>()
  const ids: string[] = []
  const bad: string[] = []
  for (const token of raw.split(/[\s,]+/).filter(Boolean)) {
    if (!UUID.test(token)) bad.push(token)
    else if (!seen.has(token.toLowerCase())) {
      seen.add(token.toLowerCase())
      ids.push(token.toLowerCase())
    }
  }
  if (bad.length > 0) {
    const shown =
      bad.slice(0, 3).map(quote).join(', ') + (bad.length > 3 ? `, and ${bad.length - 3} more` : '')
    problems.push(
      `\`${name}\` must hold UUIDs such as 4fb0418e-1804-45d6-8d56-dd51f05c0baf (separated by newlines, commas or spaces); not a UUID: ${shown}`
    )
  }
  return ids
}

function headerSafe(name: string, value: string, problems: string[]): void {
  if (!HEADER_TOKEN.test(value)) {
    problems.push(
      `\`${name}\` contains spaces, line breaks or non-ASCII characters; paste the value alone`
    )
  }
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i

/** https only, except loopback hosts (the simulator, local tests). Returns the URL without a trailing slash. */
function serviceUrl(name: string, raw: string, problems: string[]): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    problems.push(`\`${name}\` must be a URL such as https://platform.adobe.io, not ${quote(raw)}`)
    return raw
  }
  const loopback = LOOPBACK.test(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    problems.push(
      `\`${name}\` must use https (plain http is allowed only for loopback hosts), not ${quote(raw)}`
    )
  } else if (url.username || url.password || url.search || url.hash) {
    problems.push(
      `\`${name}\` must not carry credentials, a query or a fragment: ${quote(url.origin + url.pathname)}`
    )
  }
  return url.origin + url.pathname.replace(/\/+$/, '')
}

/** Quotes a user's value for an error message, readable whatever it holds. */
function quote(value: string): string {
  const shown = value.length > 60 ? `${value.slice(0, 60)}…` : value
  return JSON.stringify(shown)
}
