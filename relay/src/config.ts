/**
 * The relay's settings, read from the action's default parameters (App Builder `inputs:`, set at
 * deploy time). Their names are upper case so that no field of an event can be mistaken for one.
 */
import { IMS_ORG, SANDBOX } from './text.js'

/** The only origin the I/O Events public keys are fetched from in production. */
export const ADOBE_KEY_ORIGIN = 'https://static.adobeioevents.com'
export const GITHUB_API = 'https://api.github.com'
export const EVENT_TYPE = 'aep-flow-run-failed'

/** Under I/O Events' 10 s webhook timeout, so that a slow GitHub means a redelivery, not a loss. */
export const DEFAULT_TIME_LIMIT_MS = 8000
/**
 * I/O Events' "Batch" delivery holds up to 20 events and 2 MB (read as 2 MiB, the larger reading),
 * plus headroom for what I/O Events wraps around the events (`recipient_client_id`, CloudEvent
 * attributes): a genuine delivery is never refused for its size, and a larger one cannot be one.
 */
export const ADOBE_BATCH_MAX_BYTES = 2 * 1024 * 1024
export const DEFAULT_MAX_BODY_BYTES = ADOBE_BATCH_MAX_BYTES + 64 * 1024
/** Whatever is configured, the body stays bounded (the raw body, its base64 and its parse). */
export const MAX_BODY_BYTES_LIMIT = 4 * 1024 * 1024

/** Every parameter the relay reads; none of them is ever taken as a field of the event. */
export const CONFIG_PARAMS = [
  'GITHUB_TOKEN',
  'GITHUB_REPOSITORY',
  'ALLOWED_IMS_ORGS',
  'ALLOWED_SANDBOXES',
  'IO_EVENTS_CLIENT_ID',
  'TIME_LIMIT_MS',
  'MAX_BODY_BYTES',
  'GITHUB_API_URL',
  'TEST_ONLY_ADOBE_KEY_ORIGIN'
] as const

export interface RelayConfig {
  token: string
  owner: string
  repo: string
  apiUrl: string
  allowedOrgs: ReadonlySet<string>
  allowedSandboxes: ReadonlySet<string>
  /** The Developer Console credential's client id, matched against `recipient_client_id`. */
  clientId?: string
  timeLimitMs: number
  maxBodyBytes: number
  keyOrigin: string
}

export type ConfigResult = { ok: true; config: RelayConfig } | { ok: false; problems: string[] }

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/
const REPO = /^[A-Za-z0-9._-]{1,100}$/
const TOKEN = /^[A-Za-z0-9_.-]{8,255}$/
const CLIENT_ID = /^[A-Za-z0-9_.-]{1,128}$/

function list(value: unknown): string[] | undefined {
  if (Array.isArray(value))
    return value.every(v => typeof v === 'string') ? value.map(v => v.trim()) : undefined
  if (typeof value !== 'string') return undefined
  return value
    .split(/[\s,]+/)
    .map(v => v.trim())
    .filter(v => v.length > 0)
}

function integer(value: unknown, fallback: number, min: number, max: number): number | undefined {
  if (value === undefined || value === '') return fallback
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN
  return Number.isInteger(n) && n >= min && n <= max ? n : undefined
}

/**
 * An origin on this machine only (`http://127.0.0.1:<port>`, `http://localhost:<port>`,
 * `http://[::1]:<port>`): what the tests' stand-ins listen on. Anything else is refused, so that
 * even a parameter set by mistake (or injected) in production cannot send the token or fetch
 * keys anywhere but GitHub and Adobe.
 */
export function loopbackOrigin(value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)
  if (url.protocol !== 'http:' || !loopback || url.username || url.password) return undefined
  if (url.pathname !== '/' || url.search || url.hash) return undefined
  return url.origin
}

export function readConfig(params: Record<string, unknown>): ConfigResult {
  const problems: string[] = []
  const token = params.GITHUB_TOKEN
  if (typeof token !== 'string' || !TOKEN.test(token))
    problems.push('GITHUB_TOKEN is missing or not a GitHub token')

  const repository = typeof params.GITHUB_REPOSITORY === 'string' ? params.GITHUB_REPOSITORY : ''
  const [owner = '', repo = '', ...rest] = repository.split('/')
  if (!OWNER.test(owner) || !REPO.test(repo) || repo === '.' || repo === '..' || rest.length)
    problems.push('GITHUB_REPOSITORY must be owner/repo')

  const orgs = list(params.ALLOWED_IMS_ORGS)
  if (!orgs || orgs.length === 0 || !orgs.every(o => IMS_ORG.test(o)))
    problems.push('ALLOWED_IMS_ORGS must list IMS org ids (…@AdobeOrg)')
  const sandboxes = list(params.ALLOWED_SANDBOXES)
  if (!sandboxes || sandboxes.length === 0 || !sandboxes.every(s => SANDBOX.test(s)))
    problems.push('ALLOWED_SANDBOXES must list sandbox names ([a-z0-9-])')

  let clientId: string | undefined
  if (params.IO_EVENTS_CLIENT_ID !== undefined && params.IO_EVENTS_CLIENT_ID !== '') {
    if (
      typeof params.IO_EVENTS_CLIENT_ID === 'string' &&
      CLIENT_ID.test(params.IO_EVENTS_CLIENT_ID)
    )
      clientId = params.IO_EVENTS_CLIENT_ID
    else problems.push('IO_EVENTS_CLIENT_ID is not a client id')
  }

  const timeLimitMs = integer(params.TIME_LIMIT_MS, DEFAULT_TIME_LIMIT_MS, 200, 50_000)
  if (timeLimitMs === undefined) problems.push('TIME_LIMIT_MS must be 200..50000')
  const maxBodyBytes = integer(
    params.MAX_BODY_BYTES,
    DEFAULT_MAX_BODY_BYTES,
    1024,
    MAX_BODY_BYTES_LIMIT
  )
  if (maxBodyBytes === undefined)
    problems.push(`MAX_BODY_BYTES must be 1024..${MAX_BODY_BYTES_LIMIT}`)

  let apiUrl = GITHUB_API
  if (params.GITHUB_API_URL !== undefined && params.GITHUB_API_URL !== GITHUB_API) {
    const origin =
      typeof params.GITHUB_API_URL === 'string' && loopbackOrigin(params.GITHUB_API_URL)
    if (origin) apiUrl = origin
    else problems.push(`GITHUB_API_URL may only be ${GITHUB_API} (or a loopback stand-in in tests)`)
  }

  let keyOrigin = ADOBE_KEY_ORIGIN
  if (params.TEST_ONLY_ADOBE_KEY_ORIGIN !== undefined) {
    const origin =
      typeof params.TEST_ONLY_ADOBE_KEY_ORIGIN === 'string' &&
      loopbackOrigin(params.TEST_ONLY_ADOBE_KEY_ORIGIN)
    if (origin) keyOrigin = origin
    else problems.push('TEST_ONLY_ADOBE_KEY_ORIGIN is for tests only (a loopback URL)')
  }

  if (problems.length) return { ok: false, problems }
  return {
    ok: true,
    config: {
      token: token as string,
      owner,
      repo,
      apiUrl,
      allowedOrgs: new Set(orgs),
      allowedSandboxes: new Set(sandboxes),
      clientId,
      timeLimitMs: timeLimitMs as number,
      maxBodyBytes: maxBodyBytes as number,
      keyOrigin
    }
  }
}
