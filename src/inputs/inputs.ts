import * as core from '@actions/core'
import { formatDuration, parseDuration } from './duration.js'
import { minimumLookback } from './retry-schedule.js'
import { InputError } from './input-error.js'
import { DEFAULT_SCOPES, INPUT_TABLE, type InputSpec, type InputValues } from './input-table.js'
import { UUID } from './ids.js'
import { isSingle, parseSandboxes, type SandboxSelection } from './sandboxes.js'
import { MIN_SECRET_LENGTH, registerSecret } from '../text/secrets.js'

export { DEFAULT_SCOPES }

export type Credentials =
  | { kind: 'token'; accessToken: string }
  | { kind: 'oauth'; clientId: string; clientSecret: string; scopes: string }

/**
 * Everything the action was asked to do, validated, built once before any request: every input by
 * its name, typed by its kind in the input table (input-table.ts), and what several inputs make
 * together.
 */
export type Inputs = InputValues & {
  /** The credential's client ID, sent as `x-api-key`: `api-key`, else `client-id`. */
  apiKey: string
  credentials: Credentials
  /** Where escalation files issues; undefined when `issue-on-failure` is off. */
  issues?: IssueSettings
  /**
   * What `sandbox` asks for. With one sandbox, `sandbox` is its name and the step is as it always
   * was; with several or `all`, `sandbox` is only the input's text for showing, and each sandbox's
   * sweep gets inputs whose `sandbox` is its own name (main.ts).
   */
  sandboxes: SandboxSelection
}

export interface IssueSettings {
  token: string
  labels: string[]
  /** `owner/repo`, from GITHUB_REPOSITORY. */
  repository: string
  /** GITHUB_API_URL (GitHub Enterprise Server works), https or loopback. */
  apiUrl: string
}

export const MAX_RUNS = 10_000
/** `flow-id: all`: sweep every dataflow of the sandbox. */
const ALL = 'all'
// Printable text without control characters (a label may hold spaces and any script).
const PRINTABLE = /^[^\p{Cc}]+$/u
// An HTTP header value we are willing to send: visible ASCII, no spaces, no CR/LF.
const HEADER_TOKEN = /^[\x21-\x7e]+$/
const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i
// An IMS organization ID: letters and digits, then `@AdobeOrg`.
const ORG_ID = /^[A-Za-z0-9]{1,64}@AdobeOrg$/

/** An input's value as given; undefined when the workflow left it out (then its default applies). */
type Read = (name: string) => string | undefined

/**
 * The runner's way: `INPUT_<NAME>` (hyphens kept, upper-cased) through the toolkit. A runner sets
 * the variable to action.yml's default when the input is left out, and to '' when the workflow
 * gives '' (an unset `${{ vars.X }}`): `core.getInput` answers '' for both, the variable does not.
 */
function fromRunner(name: string): string | undefined {
  const value = core.getInput(name)
  const variable = `INPUT_${name.replace(/ /g, '_').toUpperCase()}`
  return value === '' && process.env[variable] === undefined ? undefined : value
}

/** Reads the workflow inputs (`INPUT_<NAME>`, hyphens kept) through the toolkit. */
export function readInputs(read: Read = fromRunner): Inputs {
  const problems: string[] = []
  // Mask first: nothing below may print a secret, not even in an error about it.
  for (const spec of INPUT_TABLE)
    if (spec.kind === 'secret') registerSecret((read(spec.name) ?? '').trim())

  // The one untyped step: each row's value is made by its kind, which InputValues types.
  const values = Object.fromEntries(
    INPUT_TABLE.map(spec => [spec.name, parse(spec, read(spec.name)?.trim(), problems)])
  ) as InputValues

  const runIds = values['run-id']
  const flows = values['flow-id']
  if (values['skip-errors'].some(p => !/^[\w*.-]{1,100}$/.test(p)))
    problems.push(
      '`skip-errors` holds Adobe error codes or patterns such as `MAPPER-*` or `INGEST-1212-400` (letters, digits, `-`, `_`, `.` and `*`)'
    )
  if (values['flow-name'].length > 0 && flows.ids.length === 0 && !flows.all)
    problems.push('`flow-name` narrows a sweep: set `flow-id` to `all` or to flow IDs')
  if (
    runIds.length === 0 &&
    flows.ids.length === 0 &&
    !flows.all &&
    !problems.some(p => p.includes('UUID'))
  ) {
    problems.push('set `run-id` to the ID of the failed run to retry (or `flow-id` to sweep flows)')
  }
  if (runIds.length + flows.ids.length > MAX_RUNS) {
    problems.push(`at most ${MAX_RUNS} run and flow IDs fit in one step; split them over a matrix`)
  }
  const minimum = minimumLookback(values['retry-backoff'], values['max-retries'])
  if (minimum !== undefined && values.lookback < minimum)
    problems.push(
      `\`lookback\` must be at least ${formatDuration(minimum)} for \`max-retries: ${values['max-retries']}\` with \`retry-backoff: ${formatDuration(values['retry-backoff'])}\` (the waits between retries plus an hour for the runs and the sweep that finds them due), not ${formatDuration(values.lookback)}: a window that leaves \`lookback\` is not retried again. Raise \`lookback\`, or lower \`retry-backoff\` or \`max-retries\``
    )
  const sandboxes = parseSandboxes(values.sandbox)
  problems.push(...sandboxes.problems)
  const { selection } = sandboxes
  const orgId = values['org-id']
  if (!orgId) problems.push('set `org-id` to your IMS organization ID (ends with `@AdobeOrg`)')
  else if (headerSafe('org-id', orgId, problems) && !ORG_ID.test(orgId))
    problems.push(
      `\`org-id\` must be an IMS organization ID such as 5C1328435BF324E90A49402A@AdobeOrg (Adobe Developer Console > your project > Credentials), not ${quote(orgId)}`
    )

  const credentials = readCredentials(values, problems)
  // The API key is the credential's client ID, whichever way the token comes.
  const apiKey = values['api-key'] || values['client-id']
  if (!apiKey && credentials?.kind === 'token') {
    problems.push(
      'set `api-key` (or `client-id`: the client ID of your credential) to use `access-token`'
    )
  } else if (apiKey) headerSafe('api-key', apiKey, problems)

  const issues = values['issue-on-failure'] ? readIssueSettings(values, problems) : undefined

  if (problems.length > 0) throw new InputError(problems)
  return {
    ...values,
    'skip-errors': skipped(values['skip-errors']),
    sandbox: isSingle(selection) ? selection.names[0] : values.sandbox,
    apiKey,
    credentials: credentials!,
    issues,
    sandboxes: selection
  }
}

/** `none` retries every code: an empty value falls back to the default, so it cannot opt out. */
const skipped = (patterns: string[]): string[] =>
  patterns.length === 1 && patterns[0].toLowerCase() === 'none' ? [] : patterns

/**
 * One input's value by its kind in the table; a problem is recorded, never thrown. `given` is
 * undefined when the input was left out, '' when it was given empty.
 */
function parse(
  spec: InputSpec,
  given: string | undefined,
  problems: string[]
): InputValues[keyof InputValues] {
  const { name } = spec
  // Given as '' (an unset variable or secret), an input that decides where writes go is refused:
  // its default would send them somewhere no one named.
  if (given === '' && spec.emptyRefused)
    problems.push(
      `\`${name}\` is given as an empty value (an unset \`\${{ vars.… }}\` or secret?): ${spec.emptyRefused}. Set it, or leave the input out to use ${spec.default ? `\`${spec.default}\`` : 'its default'} deliberately.`
    )
  // A default that is an expression (`${{ github.token }}`) is the runner's to fill in: given
  // empty, the workflow passed an empty value (a missing secret), and that is what it is.
  const fallback = spec.default?.startsWith('${{') ? '' : (spec.default ?? '')
  const raw = given || fallback
  switch (spec.kind) {
    case 'ids':
      return idList(raw, name, problems, false)
    case 'flows': {
      const ids = idList(raw, name, problems, true)
      return { all: ids.includes(ALL), ids: ids.filter(id => id !== ALL) }
    }
    case 'list':
      return raw
        .split(/[\n,]+/)
        .map(item => item.trim())
        .filter(Boolean)
    case 'url':
      return serviceUrl(name, raw, problems, { baseOnly: true })
    case 'flag': {
      const value = raw.toLowerCase()
      if (['true', 'yes', 'on'].includes(value)) return true
      if (['false', 'no', 'off'].includes(value)) return false
      problems.push(`\`${name}\` must be \`true\` or \`false\`, not ${quote(raw)}`)
      return false
    }
    case 'duration': {
      const ms = parseDuration(raw)
      if (ms === undefined) {
        problems.push(
          `\`${name}\` must be a duration such as \`500ms\`, \`30s\`, \`15m\`, \`2h\` or plain seconds, not ${quote(raw)}`
        )
        return 0
      }
      if (ms < spec.min! || ms > spec.max!)
        problems.push(
          `\`${name}\` must be between ${formatDuration(spec.min!)} and ${formatDuration(spec.max!)}, not ${quote(raw)}`
        )
      return ms
    }
    case 'integer': {
      const value = /^\d+$/.test(raw) ? Number(raw) : NaN
      if (!(value >= spec.min! && value <= spec.max!)) {
        problems.push(
          `\`${name}\` must be a whole number from ${spec.min} to ${spec.max}, not ${quote(raw)}`
        )
        return spec.min!
      }
      return value
    }
    case 'secret':
      if (raw && raw.length < MIN_SECRET_LENGTH)
        problems.push(`\`${name}\` is too short to be a real credential; paste the whole value`)
      return raw
    default:
      if (spec.choices && !spec.choices.includes(raw))
        problems.push(
          `\`${name}\` must be one of ${spec.choices.map(c => `\`${c}\``).join(', ')}, not ${quote(raw)}`
        )
      return raw
  }
}

function readIssueSettings(values: InputValues, problems: string[]): IssueSettings | undefined {
  const token = values['github-token']
  const labels = values['issue-labels']
  const repository = (process.env.GITHUB_REPOSITORY ?? '').trim()
  if (!token)
    problems.push(
      '`github-token` is empty: `issue-on-failure` needs a token that may write issues. Leave the input out to use `${{ github.token }}` (with `permissions: issues: write`), or check that the secret you pass exists in this repository'
    )
  else headerSafe('github-token', token, problems)
  if (labels.length === 0) problems.push('`issue-labels` needs at least one label')
  if (labels.some(l => l.length > 50 || !PRINTABLE.test(l)))
    problems.push('`issue-labels`: a label is at most 50 characters, without control characters')
  if (!/^[\w.-]+\/[\w.-]+$/.test(repository))
    problems.push(
      '`issue-on-failure` needs GITHUB_REPOSITORY (`owner/repo`), which every GitHub runner sets'
    )
  const apiUrl = serviceUrl(
    'GITHUB_API_URL',
    (process.env.GITHUB_API_URL ?? '').trim() || 'https://api.github.com',
    problems
  )
  return { token, labels, repository, apiUrl }
}

function readCredentials(values: InputValues, problems: string[]): Credentials | undefined {
  const accessToken = values['access-token']
  const clientId = values['client-id']
  const clientSecret = values['client-secret']
  if (accessToken) {
    headerSafe('access-token', accessToken, problems)
    return { kind: 'token', accessToken }
  }
  if (clientId && clientSecret) {
    headerSafe('client-id', clientId, problems)
    return { kind: 'oauth', clientId, clientSecret, scopes: values.scopes }
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

function idList(raw: string, name: string, problems: string[], allowAll: boolean): string[] {
  const seen = new Set<string>()
  const bad: string[] = []
  for (const token of raw.split(/[\s,]+/).filter(Boolean)) {
    if (allowAll && token.toLowerCase() === ALL) seen.add(ALL)
    else if (!UUID.test(token)) bad.push(token)
    else seen.add(token.toLowerCase())
  }
  if (bad.length > 0) {
    const shown =
      bad.slice(0, 3).map(quote).join(', ') + (bad.length > 3 ? `, and ${bad.length - 3} more` : '')
    problems.push(
      `\`${name}\` must hold UUIDs such as 4fb0418e-1804-45d6-8d56-dd51f05c0baf (separated by newlines, commas or spaces)${allowAll ? ', or `all`' : ''}; not a UUID: ${shown}`
    )
  }
  return [...seen]
}

/** Records a problem and answers false when `value` cannot be sent as an HTTP header. */
function headerSafe(name: string, value: string, problems: string[]): boolean {
  if (HEADER_TOKEN.test(value)) return true
  problems.push(
    `\`${name}\` contains spaces, line breaks or non-ASCII characters; paste the value alone`
  )
  return false
}

/**
 * https only, except loopback hosts (the simulator, local tests). Returns the URL without a
 * trailing slash. A URL that carries credentials is refused without quoting it: the password
 * must not reach the log.
 */
export function serviceUrl(
  name: string,
  raw: string,
  problems: string[],
  { baseOnly = false } = {}
): string {
  // Base URLs never hold an `@`; where one is, it introduces a user name or password.
  if (raw.includes('@')) {
    problems.push(
      `\`${name}\` must not carry a user name or password; give the bare URL (the value is not shown, as it may hold a password)`
    )
    return ''
  }
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    problems.push(`\`${name}\` must be a URL such as https://platform.adobe.io, not ${quote(raw)}`)
    return raw
  }
  const loopback = LOOPBACK.test(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    // The value as given: a scheme URL does not know (`htps:`) has no origin to show.
    problems.push(
      `\`${name}\` must use https (plain http is allowed only for loopback hosts), not ${quote(raw)}`
    )
  } else if (url.search || url.hash) {
    problems.push(
      `\`${name}\` must not carry a query or a fragment: ${quote(url.origin + url.pathname)}`
    )
  } else if (baseOnly && url.pathname.replace(/\/+$/, '') !== '') {
    // The action appends the API's own paths (`/data/foundation/flowservice/…`, `/ims/token/v3`).
    problems.push(
      `\`${name}\` must be the service's base URL without a path, such as ${quote(url.origin)}: the action adds the API paths itself, not ${quote(url.origin + url.pathname)}`
    )
  }
  return url.origin + url.pathname.replace(/\/+$/, '')
}

/** Quotes a user's value for an error message, readable whatever it holds. */
function quote(value: string): string {
  const shown = value.length > 60 ? `${value.slice(0, 60)}…` : value
  return JSON.stringify(shown)
}
