/**
 * Server-sent text is data: everything the relay logs or passes on goes through `neutralise`
 * (control, bidi and line-separator characters replaced, size bounded), and everything it prints
 * or answers goes through a `Redactor` (the GitHub token never leaves the process except in the
 * Authorization header of the dispatch itself).
 */

/** U+FFFD, what an unsafe character becomes. */
const REPLACEMENT = '\ufffd'

function unsafe(cp: number): boolean {
  return (
    cp < 0x20 || // C0 controls, newlines and tabs included
    (cp >= 0x7f && cp <= 0x9f) || // DEL and C1 controls
    (cp >= 0x200b && cp <= 0x200f) || // zero-width and directional marks
    (cp >= 0x2028 && cp <= 0x202e) || // line/paragraph separators, bidi embeddings
    (cp >= 0x2060 && cp <= 0x2069) || // word joiner, bidi isolates
    cp === 0xfeff ||
    (cp >= 0xd800 && cp <= 0xdfff) // a lone surrogate (for..of yields pairs as one code point)
  )
}

/**
 * A string safe to put on one log line or in a JSON value read by a workflow: unsafe characters
 * replaced, at most `max` code points (the last one an ellipsis when cut).
 */
export function neutralise(value: string, max = 200): string {
  const out: string[] = []
  for (const ch of value) {
    if (out.length >= max) {
      out[max - 1] = '…'
      break
    }
    out.push(unsafe(ch.codePointAt(0) ?? 0) ? REPLACEMENT : ch)
  }
  return out.join('')
}

/** A value from the event, described for a reason or a log line: bounded, typed, neutralised. */
export function describe(value: unknown, max = 80): string {
  if (typeof value === 'string') return `'${neutralise(value, max)}'`
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (value === null) return 'null'
  if (value === undefined) return 'nothing'
  return Array.isArray(value) ? 'a list' : 'an object'
}

export const UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/
/** AEP sandbox names: lowercase letters, digits and hyphens. */
export const SANDBOX = /^[a-z0-9-]{1,64}$/
/** IMS organization ids: `<alphanumerics>@AdobeOrg`. */
export const IMS_ORG = /^[A-Za-z0-9]{8,64}@AdobeOrg$/

/** GitHub token shapes, redacted wherever they appear even if not the configured token. */
const TOKEN_SHAPES = [
  /\bgh[pousr]_[A-Za-z0-9]{16,}/g,
  /\bgithub_pat_[A-Za-z0-9_]{16,}/g,
  /\b(Bearer|token)\s+[A-Za-z0-9_.~+/=-]{20,}/gi
]

export class Redactor {
  private readonly secrets: string[]

  constructor(...secrets: unknown[]) {
    this.secrets = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 4)
  }

  redact(text: string): string {
    let out = text
    for (const secret of this.secrets) out = out.split(secret).join('[redacted]')
    for (const shape of TOKEN_SHAPES)
      out = out.replace(shape, (_m, word?: string) =>
        typeof word === 'string' && /^(bearer|token)$/i.test(word)
          ? `${word} [redacted]`
          : '[redacted]'
      )
    return out
  }
}

/** One line per event on stdout/stderr (I/O Runtime keeps both as the activation's logs). */
export class Log {
  readonly lines: string[] = []

  constructor(private readonly redactor: Redactor) {}

  info(message: string): void {
    const line = this.line(message)
    this.lines.push(line)
    console.log(line)
  }

  error(message: string): void {
    const line = this.line(message)
    this.lines.push(line)
    console.error(line)
  }

  private line(message: string): string {
    return this.redactor.redact(`aep-relay: ${neutralise(message, 2000)}`)
  }
}
