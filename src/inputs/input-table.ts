import { DEFAULT_SKIP_ERRORS } from './needs-fix-codes.js'

/**
 * Every input of the action, defined once: its name, kind, default (as action.yml declares it),
 * bounds and description. `readInputs` walks this table; action.yml and the README's inputs
 * table are checked against it (`npm run docs` rewrites both from it).
 */
/** Each kind of input and the value `readInputs` makes of it: the type of `Inputs[name]`. */
export interface KindValue {
  text: string
  secret: string
  /** UUIDs, lower-cased, duplicates dropped, in the order given. */
  ids: string[]
  /** Flow UUIDs, or `all` for every source dataflow of the sandbox. */
  flows: { all: boolean; ids: string[] }
  /** Items one per line or comma-separated (patterns, labels). */
  list: string[]
  /** A base URL without a trailing slash. */
  url: string
  flag: boolean
  /** Milliseconds. */
  duration: number
  integer: number
}

export type InputKind = keyof KindValue

export interface InputSpec {
  name: string
  kind: InputKind
  /** The default action.yml declares; the code applies the same one when the input is empty. */
  default?: string
  /** Inclusive bounds: milliseconds for durations, the value for integers. */
  min?: number
  max?: number
  /** A text input's only values. */
  choices?: readonly string[]
  required?: boolean
  /**
   * Given as '' (an unset `${{ vars.X }}`: the runner applies the default only to an input left
   * out), refused rather than defaulted, for this reason: the input decides where writes go.
   */
  emptyRefused?: string
  description: string
}

const HOUR = 3_600_000
export const DEFAULT_SCOPES =
  'openid,AdobeID,read_organizations,additional_info.projectedProductContext,session'

export const INPUT_TABLE = [
  {
    name: 'run-id',
    kind: 'ids',
    description:
      'ID(s) of the failed run(s) to re-trigger (UUIDs; several separated by newlines, commas or spaces; duplicates dropped). Required unless `flow-id` is set.'
  },
  {
    name: 'flow-id',
    kind: 'flows',
    description:
      'Source dataflow ID(s) to sweep, or `all` for every source dataflow of the sandbox: every failed run that started within `lookback` is retried once (a failed window is never lost to a later run that succeeded), each window oldest first. Runs of destination and internal flows are never touched. Same separators as `run-id`; may be combined with it.'
  },
  {
    name: 'flow-name',
    kind: 'list',
    description:
      'With `flow-id`: only flows whose name matches. Patterns one per line or comma-separated, `*` as wildcard, a leading `!` excludes (`crm-*` then `!crm-test-*`); case-insensitive. A pattern that matches no source dataflow of the sandbox fails the step, and nothing is re-triggered.'
  },
  {
    name: 'max-runs',
    kind: 'integer',
    default: '25',
    min: 0,
    max: 10000,
    description:
      "With `flow-id`: when a sweep would re-trigger more failed windows than this, it re-triggers none and fails, naming their most common error codes (a mass failure usually has one cause a retry does not fix). Windows already retried don't count, nor do runs listed in `run-id`. `dry-run` still lists them. 0 to 10000; `0`: no limit."
  },
  {
    name: 'skip-errors',
    kind: 'list',
    default: DEFAULT_SKIP_ERRORS,
    description:
      "Adobe error codes a retry will not fix, as patterns (one per line or comma-separated, `*` as wildcard, case-insensitive): a failed window whose newest failure has one is not re-triggered but handed to a person at once (`needs-fix`; with `issue-on-failure`, an issue). The default lists Adobe's data and mapping errors (`MAPPER-*`, `INGEST-*-400`), which fail again until the data or mapping is fixed; other codes, unknown ones included, are retried. Your list replaces the default; `none` retries every code."
  },
  {
    name: 'sandbox',
    kind: 'text',
    default: 'prod',
    emptyRefused:
      'it names the sandbox whose runs are re-triggered, and nothing is sent to one no one named',
    description:
      "Name of the sandbox the runs live in (lowercase letters, digits and hyphens, e.g. `prod`). Sent as `x-sandbox-name`. Several sweep each in one step (`prod, dev-eu`, newlines or commas), each with its own listings, retry ledger and `max-runs`; `all` sweeps every *active* sandbox the credential can see (Adobe's Sandbox Management API); `!name` items after them exclude (`all` then `!dev-scratch`). A sandbox that refuses or fails does not stop the others and fails the step naming it. Given as an empty value (an unset `${{ vars.X }}`) it is refused, not defaulted: leave the input out for `prod`."
  },
  {
    name: 'org-id',
    kind: 'text',
    required: true,
    description: 'IMS organization ID (`...@AdobeOrg`). Sent as `x-gw-ims-org-id`.'
  },
  {
    name: 'client-id',
    kind: 'text',
    description:
      'Client ID of an OAuth Server-to-Server credential (recommended); the action exchanges it with `client-secret` for a token at IMS.'
  },
  {
    name: 'client-secret',
    kind: 'secret',
    description:
      'Client secret of the OAuth Server-to-Server credential. Store it as a GitHub secret.'
  },
  {
    name: 'scopes',
    kind: 'text',
    default: DEFAULT_SCOPES,
    description: 'Comma-separated OAuth scopes requested from IMS.'
  },
  {
    name: 'access-token',
    kind: 'secret',
    description:
      'A ready bearer token instead of client credentials. Static tokens expire after 24 hours; prefer `client-id` + `client-secret`. Takes precedence over them when set.'
  },
  {
    name: 'api-key',
    kind: 'text',
    description:
      "Sent as `x-api-key`: the client ID of your credential. Defaults to `client-id`; needed with `access-token`. Runs created with this key are the action's own (see Safe to repeat)."
  },
  {
    name: 'platform-url',
    kind: 'url',
    default: 'https://platform.adobe.io',
    description:
      'Base URL of the Adobe Experience Platform API. https only (plain http only for loopback hosts).'
  },
  {
    name: 'ims-url',
    kind: 'url',
    default: 'https://ims-na1.adobelogin.com',
    description:
      'Base URL of Adobe IMS, for the OAuth token. https only (plain http only for loopback hosts).'
  },
  {
    name: 'check-status',
    kind: 'flag',
    default: 'true',
    description:
      "Read each run, its flow and the flow's recent runs before re-triggering it: re-trigger only runs of source dataflows (never a destination's or Adobe's internal flows'), only failed runs (or successful runs that ingested zero records), show why it failed, and never retry a failure twice (see Safe to repeat). `false` sends the re-trigger straight away, without these checks."
  },
  {
    name: 'force',
    kind: 'flag',
    default: 'false',
    description:
      'Re-trigger the run given whatever its status and retry history say: a run that succeeded with records (ingested again), a run already retried, a flow past `max-retries`.'
  },
  {
    name: 'dry-run',
    kind: 'flag',
    default: 'false',
    description:
      'Authenticate, select and pre-check, report what would be re-triggered, and send no re-trigger. The `run-ids` output then feeds a job matrix.'
  },
  {
    name: 'lookback',
    kind: 'duration',
    default: '24h',
    min: 1000,
    max: 30 * 24 * HOUR,
    description:
      "How far back to look: with `flow-id`, failed runs that started within it are retried (a window that leaves it unrecovered keeps its issue open); for every run, how far back its flow's history is read to find retries already made. From `1s` to `720h` (30 days)."
  },
  {
    name: 'max-retries',
    kind: 'integer',
    default: '3',
    min: 0,
    max: 100,
    description:
      'How many times one failure is re-triggered at most, counting retries made by earlier workflow runs (its retry chain). Past it the step sends nothing and fails naming the runs. 0 to 100; `0`: no limit.'
  },
  {
    name: 'retry-backoff',
    kind: 'duration',
    default: '15m',
    min: 0,
    max: 24 * HOUR,
    description:
      "The wait between a failed window's retries: the first retry is sent at once, the n-th (n ≥ 2) once `retry-backoff × 2^(n−2)` has passed since the previous retry ended (15m, 30m, 1h, … by default), so retries outlast an outage instead of all failing within minutes of it. A window waiting is reported with the time its next retry is due, is not a failure and is not escalated; the first sweep or event after that time retries it. `lookback` must cover the schedule. `0`: retry at once."
  },
  {
    name: 'concurrency',
    kind: 'integer',
    default: '4',
    min: 1,
    max: 32,
    description: 'How many runs are handled at once (1-32). All share one rate limiter.'
  },
  {
    name: 'wait',
    kind: 'flag',
    default: 'false',
    description: 'Wait for the new run(s) to finish and report their final status.'
  },
  {
    name: 'poll-interval',
    kind: 'duration',
    default: '30s',
    min: 100,
    max: HOUR,
    description: 'With `wait`: time between status checks.'
  },
  {
    name: 'wait-timeout',
    kind: 'duration',
    default: '1h',
    min: 100,
    max: 72 * HOUR,
    description:
      'With `wait`: how long to wait at most. A timeout fails the step with status `timeout`.'
  },
  {
    name: 'fail-on-run-failure',
    kind: 'flag',
    default: 'true',
    description: 'With `wait`: fail the step when a new run fails or is cancelled.'
  },
  {
    name: 'issue-on-failure',
    kind: 'flag',
    default: 'false',
    description:
      'Hand what a retry cannot fix to a person: one GitHub issue per failing flow (a retry that failed, retries exhausted, a retry Adobe refused), commented while it keeps failing, closed when the flow recovers. Needs `permissions: issues: write`.'
  },
  {
    name: 'fail-on',
    kind: 'text',
    default: 'new',
    choices: ['new', 'any', 'never'],
    description:
      'When runs needing a person fail the step. `new`: only what no open issue already says: with `issue-on-failure`, a flow whose open issue already says what is wrong (unchanged since) is one warning linking the issue, not a failed step every sweep; without it nothing was handed over, so `new` is `any`. `any`: every run needing attention (not re-triggered, failed, timed out) fails the step. `never`: they are warnings only. A step that cannot run (inputs, credentials, a sweep that could not list) fails whatever this says.'
  },
  {
    name: 'github-token',
    kind: 'secret',
    default: '${{ github.token }}',
    description: 'With `issue-on-failure`: the token that files the issues in this repository.'
  },
  {
    name: 'issue-labels',
    kind: 'list',
    default: 'aep-dataflow',
    description:
      "With `issue-on-failure`: labels for the issues, comma or newline separated. The first one identifies the action's issues: keep it for this action alone."
  },
  {
    name: 'request-timeout',
    kind: 'duration',
    default: '30s',
    min: 100,
    max: 10 * 60_000,
    description: 'Time limit for one HTTP request.'
  },
  {
    name: 'max-attempts',
    kind: 'integer',
    default: '5',
    min: 1,
    max: 20,
    description:
      'Attempts per request for faults that are safe to retry (429, 503, connection refused, a DNS server that does not answer; for reads also 5xx and timeouts). A host that does not exist is not retried: the error names the URL input.'
  },
  {
    name: 'retry-timeout',
    kind: 'duration',
    default: '2m',
    min: 0,
    max: HOUR,
    description:
      'Total time one request may spend waiting to be retried. A `Retry-After` beyond it fails at once.'
  },
  {
    name: 'settle-time',
    kind: 'duration',
    default: '15s',
    min: 0,
    max: 10 * 60_000,
    description:
      'After an ambiguous re-trigger (timeout, reset, 500/502/504), how long to look for the run it may have created before sending it once more.'
  }
] as const satisfies readonly InputSpec[]

export type InputName = (typeof INPUT_TABLE)[number]['name']

/** Every input by its name, typed by its kind: adding a row adds its typed value. */
export type InputValues = {
  readonly [Spec in (typeof INPUT_TABLE)[number] as Spec['name']]: KindValue[Spec['kind']]
}
