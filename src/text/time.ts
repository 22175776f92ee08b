/**
 * Moments as people read them. Total: a time Date cannot hold (a window start of 1e16 ms, a time
 * in nanoseconds) gives undefined, never a RangeError in the middle of writing the outputs.
 */

/** An epoch-ms moment as an ISO time, or undefined when it is not one Date can hold. */
export function isoTime(ms: number | undefined): string | undefined {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return undefined
  const date = new Date(ms)
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString()
}

/** The same for a sentence: a moment no clock could read says so rather than leaving a gap. */
export function shownTime(ms: number | undefined): string {
  return isoTime(ms) ?? 'an unknown time'
}
