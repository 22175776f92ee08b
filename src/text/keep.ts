/**
 * Server text kept to be shown later (a run's errors, a flow's name), at the size it is shown,
 * so what a listing keeps is bounded by what the step reports, not by what the server sent.
 */
import { redact } from './secrets.js'

/**
 * `text` redacted whole (a clipped secret would no longer match, and its prefix would be shown),
 * clipped to `max` characters (`…` marks a cut) and copied flat. The copy matters: V8's `slice`
 * makes a view that keeps the whole parent string alive, so a 200-character name cut from a
 * 1 MiB one would hold the 1 MiB. A JSON round trip makes a fresh string of its own (lossless,
 * lone surrogates included); `Buffer` would replace lone surrogates and `' ' + s` may stay a view.
 */
export function keepShown(text: string, max: number): string {
  const whole = redact(text)
  if (whole.length <= max) return flatCopy(whole)
  // Not between the two halves of a surrogate pair.
  const end = max > 0 && isHighSurrogate(whole.charCodeAt(max - 1)) ? max - 1 : max
  return flatCopy(`${whole.slice(0, end)}…`)
}

const isHighSurrogate = (c: number): boolean => c >= 0xd800 && c <= 0xdbff

function flatCopy(text: string): string {
  return JSON.parse(JSON.stringify(text)) as string
}

/**
 * How much server text a listing keeps for showing, across all its items: once spent, items keep
 * what decisions need (ids, times, codes) and no more text. Sized by what the job summary and the
 * issues can show (the summary is refused over 1 MiB), not by what a listing may bring.
 */
export class TextBudget {
  constructor(private left: number) {}

  /** `text` as `keepShown` keeps it, within what is left; undefined once the budget is spent. */
  keep(text: string, max: number): string | undefined {
    if (this.left <= 0) return undefined
    const kept = keepShown(text, Math.min(max, this.left))
    this.left -= kept.length
    return kept
  }
}
