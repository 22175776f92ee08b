/**
 * I/O Events webhook signatures, as Adobe documents them ("Signature Verification for Events",
 * developer.adobe.com/events/docs/guides/sdk/sdk_signature_verification, and Adobe's own
 * verifiers, aio-lib-events `signatureUtils.js` and aio-lib-java `EventVerifier`):
 *
 * - `x-adobe-digital-signature-1` / `-2`: base64 RSA-SHA256 signatures of the raw body;
 * - `x-adobe-public-key1-path` / `key2-path`: relative paths of the matching PEM public keys,
 *   served from Adobe's fixed domain `https://static.adobeioevents.com`;
 * - two signatures so that keys can rotate: the event is authentic when ANY ONE of them verifies
 *   ("returns true if any one of the digital signature validation is successful"). Like Adobe's
 *   Java verifier, all four headers must be there.
 *
 * Keys are fetched from the fixed origin only (a path that is absolute, climbs with `..` or names
 * another host is refused before anything is fetched), without following redirects, and cached
 * in memory for 24 h (as Adobe's verifiers do).
 */
import * as crypto from 'node:crypto'

export const SIGNATURE_HEADERS = [
  'x-adobe-digital-signature-1',
  'x-adobe-digital-signature-2',
  'x-adobe-public-key1-path',
  'x-adobe-public-key2-path'
] as const

const KEY_TTL_MS = 24 * 60 * 60 * 1000
const MAX_CACHED_KEYS = 32
const MAX_KEY_BYTES = 16 * 1024
const KEY_PATH = /^\/[A-Za-z0-9_-][A-Za-z0-9_./-]{0,255}$/
const BASE64 = /^[A-Za-z0-9+/]{16,2048}={0,2}$/

const cache = new Map<string, { key: crypto.KeyObject; until: number }>()

/** Forget every cached key (for tests). */
export function clearKeyCache(): void {
  cache.clear()
}

/** The key's URL on `origin`, or why the path is not one Adobe sends. */
export function keyUrl(origin: string, path: string): { url: string } | { problem: string } {
  if (!KEY_PATH.test(path) || path.includes('//'))
    return { problem: 'is not a relative path on Adobe\u2019s key domain' }
  if (path.split('/').some(segment => segment === '.' || segment === '..'))
    return { problem: 'climbs out of Adobe\u2019s key domain (.. or .)' }
  if (!path.endsWith('.pem')) return { problem: 'does not name a .pem key' }
  const url = new URL(path, origin)
  if (url.origin !== origin || url.pathname !== path)
    return { problem: 'does not stay on Adobe\u2019s key domain' }
  return { url: url.href }
}

type KeyOutcome = { key: crypto.KeyObject } | { problem: string; transient: boolean }

async function fetchKey(url: string, deadline: number): Promise<KeyOutcome> {
  const hit = cache.get(url)
  if (hit && hit.until > Date.now()) return { key: hit.key }
  const ms = Math.min(3000, deadline - Date.now())
  if (ms <= 0) return { problem: 'no time left to fetch the key', transient: true }
  let res: Response
  try {
    res = await fetch(url, { redirect: 'error', signal: AbortSignal.timeout(ms) })
  } catch {
    return { problem: 'the key could not be fetched', transient: true }
  }
  if (res.status !== 200) {
    await res.body?.cancel().catch(() => undefined)
    return { problem: `the key server answered ${res.status}`, transient: res.status >= 500 }
  }
  const pem = await readBounded(res, MAX_KEY_BYTES)
  if (pem === undefined) return { problem: 'the key is too large', transient: false }
  let key: crypto.KeyObject
  try {
    key = crypto.createPublicKey({ key: pem, format: 'pem' })
  } catch {
    return { problem: 'the key is not a PEM public key', transient: false }
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
  if (key.asymmetricKeyType !== 'rsa' || bits < 2048)
    return { problem: 'the key is not an RSA key of 2048 bits or more', transient: false }
  if (cache.size >= MAX_CACHED_KEYS) cache.delete(cache.keys().next().value as string)
  cache.set(url, { key, until: Date.now() + KEY_TTL_MS })
  return { key }
}

async function readBounded(res: Response, max: number): Promise<string | undefined> {
  if (!res.body) return ''
  const reader = res.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array }
    if (done || !value) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel().catch(() => undefined)
      return undefined
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks).toString('utf8')
}

export type SignatureVerdict =
  { ok: true; verified: 1 | 2 } | { ok: false; status: 401 | 503; reason: string }

/**
 * Verifies an I/O Events webhook delivery: `raw` is the body exactly as received, `headers`
 * lower-cased. Authentic when at least one of the two signatures verifies with its key.
 */
export async function verifySignatures(
  raw: Buffer,
  headers: Record<string, string | undefined>,
  origin: string,
  deadline: number
): Promise<SignatureVerdict> {
  const missing = SIGNATURE_HEADERS.filter(h => !headers[h])
  if (missing.length)
    return { ok: false, status: 401, reason: `missing I/O Events headers: ${missing.join(', ')}` }
  const urls = [1, 2].map(n => {
    const path = headers[`x-adobe-public-key${n}-path`] as string
    const url = keyUrl(origin, path)
    return 'problem' in url ? { problem: `x-adobe-public-key${n}-path ${url.problem}` } : url
  })
  for (const u of urls) if ('problem' in u) return { ok: false, status: 401, reason: u.problem }

  const outcomes = await Promise.all(urls.map(u => fetchKey((u as { url: string }).url, deadline)))
  const problems: string[] = []
  let transient = false
  for (const n of [1, 2] as const) {
    const outcome = outcomes[n - 1]
    const signature = headers[`x-adobe-digital-signature-${n}`] as string
    if ('problem' in outcome) {
      problems.push(`key ${n}: ${outcome.problem}`)
      transient ||= outcome.transient
      continue
    }
    if (!BASE64.test(signature)) {
      problems.push(`signature ${n} is not base64`)
      continue
    }
    let valid = false
    try {
      valid = crypto.verify('sha256', raw, outcome.key, Buffer.from(signature, 'base64'))
    } catch {
      valid = false
    }
    if (valid) return { ok: true, verified: n }
    problems.push(`signature ${n} does not verify`)
  }
  return transient
    ? { ok: false, status: 503, reason: `could not verify the signatures: ${problems.join('; ')}` }
    : { ok: false, status: 401, reason: `no valid signature: ${problems.join('; ')}` }
}
