import * as core from '@actions/core'

// Every secret the action is given or derives goes through here: the runner masks it in its log
// (`::add-mask::`), and `redact` scrubs it from the text we build ourselves (error messages, the
// summary, outputs, issues), which also protects runs outside GitHub where nothing masks for us.

/** Shorter values are refused as inputs: masking them would garble every id and JSON text. */
export const MIN_SECRET_LENGTH = 4

/**
 * Any run of at least this many characters that also stands in a secret (in any of its forms) is
 * redacted: what is left of a secret that was clipped (by us or by a server), split by a folded
 * line or quoted in pieces. Shorter pieces say too little of a secret to matter, and longer ones
 * would let a clip leave a useful prefix behind.
 */
export const FRAGMENT = 12

/** The secrets as registered, so one registered twice costs nothing. */
const registered = new Set<string>()
/** Forms shorter than FRAGMENT: replaced whole (the gram index cannot see them). */
const shortForms: string[] = []
/** Every FRAGMENT-long piece of every form, and a rolling hash of each so a scan stays linear. */
const grams = new Set<string>()
const gramHashes = new Set<number>()
/** One bit per hash bucket (the hash's top 20 bits): most windows are ruled out by one lookup. */
const FILTER_SHIFT = 12
const filter = new Uint8Array(2 ** (32 - FILTER_SHIFT) / 8)
const bucket = (h: number): number => h >>> FILTER_SHIFT

const BASE = 0x01000193
/** BASE^(FRAGMENT-1), modulo 2^32: what the character leaving a rolling window weighed. */
const OUT_WEIGHT = Array.from({ length: FRAGMENT - 1 }).reduce<number>(n => Math.imul(n, BASE), 1)

/**
 * The forms a secret can appear in once the action, a server or a proxy has handled it: as sent
 * in a URL or a form body (`encodeURIComponent`, `URLSearchParams`: `+`, `%21`, either hex case),
 * JSON-escaped (also with `\/` and `\uXXXX`), HTML-escaped, and base64 or base64url at each of the
 * three byte alignments it can have inside a longer encoded text (`Basic`, a `Bearer` header
 * echoed encoded), as the runner's own masker encodes them.
 */
export function secretForms(value: string): string[] {
  const json = JSON.stringify(value).slice(1, -1)
  const url = encodeURIComponent(value)
  const form = new URLSearchParams({ s: value }).toString().slice(2)
  const lowerHex = (text: string): string => text.replace(/%[0-9A-F]{2}/g, m => m.toLowerCase())
  const html = value.replace(
    /[&<>"']/g,
    c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c
  )
  const forms = [
    value,
    url,
    lowerHex(url),
    form,
    lowerHex(form),
    json,
    json.replace(/\//g, '\\/'),
    json.replace(/[^\x20-\x7e]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
    html,
    ...base64Forms(value)
  ]
  return [...new Set(forms)]
}

/**
 * A base64 text encodes 3 bytes as 4 characters, so a secret inside a longer encoded text reads
 * differently depending on where its first byte falls: for each alignment, the characters that
 * encode only the secret's own bytes (whole 3-byte groups), in base64 and base64url.
 */
function base64Forms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8')
  const forms: string[] = []
  for (let shift = 0; shift < 3; shift++) {
    const whole = bytes.subarray(shift, shift + Math.floor((bytes.length - shift) / 3) * 3)
    // Below 8 characters a form says little and would mask ordinary text.
    if (whole.length < 6) continue
    forms.push(whole.toString('base64'), whole.toString('base64url'))
  }
  return forms
}

/** Registers a secret and the forms it may be echoed in; the runner masks each form too. */
export function registerSecret(value: string | undefined): void {
  if (!value || value.length < MIN_SECRET_LENGTH || registered.has(value)) return
  registered.add(value)
  for (const form of secretForms(value)) {
    core.setSecret(form)
    if (form.length < FRAGMENT) {
      shortForms.push(form)
      shortForms.sort((a, b) => b.length - a.length)
      continue
    }
    for (let i = 0; i + FRAGMENT <= form.length; i++) {
      const gram = form.slice(i, i + FRAGMENT)
      const h = hash(gram)
      grams.add(gram)
      gramHashes.add(h)
      filter[bucket(h) >>> 3] |= 1 << (bucket(h) & 7)
    }
  }
}

function hash(gram: string): number {
  let h = 0
  for (let i = 0; i < gram.length; i++) h = (Math.imul(h, BASE) + gram.charCodeAt(i)) | 0
  return h
}

/**
 * Replaces every known secret, and every run of FRAGMENT or more characters taken from one, with
 * `***`. Short forms go first, longest first, so a secret inside another is not half-replaced.
 * One pass over the text with a rolling hash: linear in its length whatever the secrets.
 */
export function redact(text: string): string {
  let out = text
  for (const form of shortForms) if (out.includes(form)) out = out.split(form).join('***')
  if (grams.size === 0 || out.length < FRAGMENT) return out
  const spans: [number, number][] = []
  let h = 0
  for (let i = 0; i < out.length; i++) {
    if (i >= FRAGMENT) h = (h - Math.imul(out.charCodeAt(i - FRAGMENT), OUT_WEIGHT)) | 0
    h = (Math.imul(h, BASE) + out.charCodeAt(i)) | 0
    if (i < FRAGMENT - 1) continue
    const b = bucket(h)
    if ((filter[b >>> 3] & (1 << (b & 7))) === 0 || !gramHashes.has(h)) continue
    const start = i - FRAGMENT + 1
    if (!grams.has(out.slice(start, i + 1))) continue
    const last = spans.at(-1)
    if (last && start <= last[1]) last[1] = i + 1
    else spans.push([start, i + 1])
  }
  if (spans.length === 0) return out
  let result = ''
  let at = 0
  for (const [start, end] of spans) {
    result += `${out.slice(at, start)}***`
    at = end
  }
  return result + out.slice(at)
}

/** Redacted first, then clipped to `max` characters (with `…`): a clip never cuts a secret. */
export function clipRedacted(text: string, max: number): string {
  const clean = redact(text)
  return clean.length > max ? `${clean.slice(0, max)}…` : clean
}
