/**
 * Longest text a pattern is matched against: error codes and flow names come from the server, and
 * no real one is this long. A longer text is matched on its first MAX_MATCHED characters, the
 * way it is shown (clipped).
 */
export const MAX_MATCHED = 1000

/** A compiled pattern: `test` says whether a whole text matches it. */
export interface Glob {
  test(text: string): boolean
}

/**
 * A pattern people type (`crm-*`, `MAPPER-*`): `*` matches any text, case-insensitively, whole.
 *
 * Not a regular expression: `^.*-.*-400$` backtracks (quadratic on a 240,000-character code, and
 * exponential in the number of stars: `*a*a*a*a*a*a*a*a*a*b` against a 40-character name held the
 * event loop for 37 s). The parts between stars are found left to right with `indexOf`, each
 * leftmost match taken: for `*` alone that choice is never wrong, so no backtracking is needed and
 * a test costs at most the text's length times the pattern's.
 */
export function glob(pattern: string): Glob {
  const parts = pattern.toLowerCase().split('*')
  const first = parts[0]
  if (parts.length === 1) return { test: text => bounded(text) === first }
  const last = parts[parts.length - 1]
  const middle = parts.slice(1, -1).filter(Boolean)
  const least = parts.reduce((n, part) => n + part.length, 0)
  return {
    test(raw: string): boolean {
      const text = bounded(raw)
      if (text.length < least || !text.startsWith(first) || !text.endsWith(last)) return false
      let at = first.length
      const end = text.length - last.length
      for (const part of middle) {
        const found = text.indexOf(part, at)
        if (found < 0 || found + part.length > end) return false
        at = found + part.length
      }
      return true
    }
  }
}

const bounded = (text: string): string =>
  (text.length > MAX_MATCHED ? text.slice(0, MAX_MATCHED) : text).toLowerCase()
