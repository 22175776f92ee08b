/**
 * Server text in markdown: the job summary and GitHub issues. Everything here is redacted and
 * flattened first (oneLine in log.ts), then clipped, then escaped, so a server cannot add
 * headings, links (autolinks included), images, emphasis, tables, entities or HTML; in issues it
 * can neither mention anyone nor reference an issue either.
 */
import { oneLine } from './log.js'
import { redact } from './secrets.js'

/** Flat text for a reader: line breaks as spaces (a log line marks them `⏎`; a table cell need not). */
const flatten = (text: string): string => redact(oneLine(text).replace(/ ⏎ /g, ' '))

// A zero-width space: invisible, and it ends GitHub's autolink, mention and reference patterns.
const BREAK = '\u200b'

/**
 * Server text in a markdown cell or list item. `code: true` keeps backticks, for our own messages
 * whose code spans should render (the step's caution).
 *
 * `&` is escaped as well: `&commat;`, `&num;` or `&#64;` would otherwise render as `@` and `#`
 * after every other pattern had looked at the text (a live mention, an issue reference).
 */
export function escape(text: string, max = 400, { code = false } = {}): string {
  const flat = flatten(text)
  return unautolinked(
    (flat.length > max ? `${flat.slice(0, max)}…` : flat).replace(
      code ? /[\\*_[\]<>#|~&]/g : /[\\`*_[\]<>#|~&]/g,
      c => `\\${c}`
    )
  )
}

/** The longest id or code shown as a code span: server text, so bounded like the rest. */
export const MAX_CODE = 200

/** An id or code as an inline code span, safe in a table cell, at most `max` characters. */
export function code(value: string | undefined, max = MAX_CODE): string {
  if (!value) return ''
  const flat = flatten(value)
  const shown = flat.length > max ? `${flat.slice(0, max)}…` : flat
  return `\`${shown.replace(/`/g, "'").replace(/\|/g, '\\|')}\``
}

/**
 * GitHub's autolinks made inert: `https://x`, `ftp://x`, `www.x` and `a@b.co` (also `mailto:`)
 * are links in any text of a summary or an issue, without brackets. Idempotent.
 */
function unautolinked(text: string): string {
  return text
    .replace(/:(?=\/\/)/g, `:${BREAK}`)
    .replace(/\b(www)\.(?!\u200b)/gi, `$1${BREAK}.`)
    .replace(/@(?!\u200b)/g, `@${BREAK}`)
}

/**
 * `@team`, `#12`, `GH-12`, `owner/repo#12` and issue URLs made inert: GitHub notifies on the
 * first and cross-references the others, and a backslash before `#` does not stop it. An `&` that
 * could start an entity (`&commat;`, `&#35;`) is broken too: a title is not escaped like a body.
 */
export function unlinked(text: string): string {
  return unautolinked(
    text
      .replace(/\\?#(?!\u200b)/g, `#${BREAK}`)
      .replace(/\b(gh)-(?=\d)/gi, `$1${BREAK}-`)
      .replace(/&(?=[#a-z])/gi, `&${BREAK}`)
  )
}

/** Server text for a GitHub issue's body: escaped, and neither mentioning nor linking. */
export function inert(text: string, max = 400, options: { code?: boolean } = {}): string {
  return unlinked(escape(text, max, options))
}

/**
 * Text cut at a line so that its UTF-8 size stays within `limit` bytes (the runner refuses a job
 * summary over 1 MiB whole), ending with `note` when anything was cut.
 */
export function fitBytes(text: string, limit: number, note: string): string {
  if (Buffer.byteLength(text) <= limit) return text
  const room = Math.max(0, limit - Buffer.byteLength(note) - 2)
  const head = Buffer.from(text).subarray(0, room).toString('utf8')
  return `${head.slice(0, head.lastIndexOf('\n') + 1)}\n${note}\n`
}
