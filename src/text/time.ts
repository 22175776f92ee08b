/**
 * A moment as ISO 8601 UTC, for logs, outputs and summaries. Total: a time a server sent may be
 * anything (a date in nanoseconds, 1e16 ms), and showing it must never throw.
 */
export function isoTime(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return 'an unknown time'
  const date = new Date(ms)
  return Number.isNaN(date.getTime())
    ? 'an unknown time'
    : date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}
