/**
 * The one output boundary. Everything the action prints goes through here, because much of it is
 * the server's text (run errors quote ingested data, names are user-chosen, a proxy can say
 * anything): secrets are redacted before anything else touches the text, and line breaks and
 * other control characters are neutralised, so no server text can start a line of its own and
 * become a workflow command (`::add-mask::`, `::stop-commands::`, `::error::`).
 */
import * as core from '@actions/core'
import { redact } from './secrets.js'

// C0 and C1 controls (tab kept), and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]+/g
// Bidirectional controls reorder what a reader sees (Trojan Source): shown as a mark instead.
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/**
 * The most characters one message prints: a server's text can be a megabyte (a 900 KB error
 * message), and a log line is read by people. The summary and the `results` output say more.
 */
export const MAX_MESSAGE = 8000

/** Clipped after redaction (a clip must not leave a secret's prefix), saying how much was left out. */
function bounded(text: string): string {
  return text.length > MAX_MESSAGE
    ? `${text.slice(0, MAX_MESSAGE)}… (${text.length - MAX_MESSAGE} more characters not shown)`
    : text
}

/** Text from anywhere, made safe for one log line: redacted, flattened, redacted again, bounded. */
export function oneLine(text: string): string {
  return bounded(redact(redact(text).replace(CONTROL, ' ⏎ ').replace(BIDI, '\ufffd')))
}

/** A plain log line: the only core call that does not escape its text into a command's data. */
export function info(text: string): void {
  const line = oneLine(text)
  core.info(line.startsWith('::') ? ` ${line}` : line)
}

// Annotations escape CR/LF themselves; we still redact and drop other controls, keeping our own
// multi-line messages (an input error's list) readable.
// eslint-disable-next-line no-control-regex
const CONTROL_BUT_NEWLINE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g
const annotation = (text: string): string =>
  bounded(
    redact(
      redact(text).replace(/\r\n?/g, '\n').replace(CONTROL_BUT_NEWLINE, ' ').replace(BIDI, '\ufffd')
    )
  )

export const notice = (text: string): void => core.notice(annotation(text))
export const warning = (text: string): void => core.warning(annotation(text))
export const error = (text: string): void => core.error(annotation(text))
export const debug = (text: string): void => core.debug(oneLine(text))
export const setFailed = (text: string): void => core.setFailed(annotation(text))
