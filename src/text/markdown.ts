/**
 * Server text in markdown: the job summary and GitHub issues. Everything here is redacted and
 * flattened first (oneLine in log.ts), then clipped, then escaped, so a server cannot add
 * headings, links, images, emphasis, tables or HTML; in issues it can neither mention anyone nor
 * reference an issue either.
 */
import { oneLine } from './log.js'
import { redact } from './secrets.js'

/** Flat text for a reader: line breaks as spaces (a log line marks them `⏎`; a table cell need not). */
const flatten = (text: string): string => redact(oneLine(text).replace(/ ⏎ /g, ' '))

/**
 * Server text in a markdown cell or list item. `code: true` keeps backticks, for our own messages
 * whose code spans should render (the step's caution).
 */
export function escape(text: string, max = 400, { code = false } = {}): string {
  const flat = flatten(text)
  return (flat.length > max ? `${flat.slice(0, max)}…` : flat).replace(
    code ? /[\\*_[\]<>#|~]/g : /[\\`*_[\]<>#|~]/g,
    c => `\\${c}`
  )
}

/** An id or code as an inline code span, safe in a table cell. */
export function code(value: string | undefined): string {
  return value ? `\`${flatten(value).replace(/`/g, "'").replace(/\|/g, '\\|')}\`` : ''
}

// A zero-width space: invisible, and it ends GitHub's mention and reference patterns.
const BREAK = '\u200b'

/**
 * `@team`, `#12`, `GH-12`, `owner/repo#12` and issue URLs made inert: GitHub notifies on the
 * first and cross-references the others, and a backslash before `#` does not stop it.
 */
export function unlinked(text: string): string {
  return text
    .replace(/\\?#/g, `#${BREAK}`)
    .replace(/@/g, `@${BREAK}`)
    .replace(/\b(gh)-(?=\d)/gi, `$1${BREAK}-`)
    .replace(/:\/\//g, `:${BREAK}//`)
    .replace(/\bwww\./gi, m => `${m.slice(0, 3)}${BREAK}.`)
}

/** Server text for a GitHub issue's body: escaped, and neither mentioning nor linking. */
export function inert(text: string, max = 400, options: { code?: boolean } = {}): string {
  return unlinked(escape(text, max, options))
}
