/**
 * Time slices of a listing's range, read side by side: a listing chained by continuation tokens
 * is one request after another, so a big one is split into listings of its own, each filtered to
 * one slice. Slices are half-open, `[from, to)`, and the last has no upper bound: together they
 * cover exactly `>= since`, so a run on an edge is in one slice only, and one dated after the plan
 * was made (or ahead of the clock) is still read.
 */
export interface Slice {
  /** Inclusive lower bound, epoch ms (integer). */
  from: number
  /** Exclusive upper bound, epoch ms (integer); undefined: no upper bound (the last slice). */
  to?: number
}

/** A slice narrower than this is not worth a listing of its own (each costs one request at least). */
export const MIN_SLICE_MS = 60_000
/** At most this many slices per listing, whatever `concurrency` says: each costs a request. */
export const MAX_SLICES = 64

/**
 * `[since, until)` cut into `count` equal slices (fewer when they would be narrower than
 * `minSliceMs`), the last open-ended. One slice (`>= since`, today's single listing) when the
 * range is empty, tiny or `count` is 1. Bounds are whole milliseconds, as the filters send them.
 */
export function planSlices(
  since: number,
  until: number,
  count: number,
  minSliceMs = MIN_SLICE_MS
): Slice[] {
  const from = Math.floor(since)
  const span = Math.floor(until) - from
  const wanted = Number.isFinite(count) ? Math.floor(count) : 1
  const fit = span > 0 ? Math.floor(span / Math.max(1, minSliceMs)) : 0
  const n = Math.max(1, Math.min(wanted, fit, MAX_SLICES))
  const slices: Slice[] = []
  for (let i = 0; i < n; i++) {
    const start = from + Math.floor((span * i) / n)
    slices.push(
      i === n - 1 ? { from: start } : { from: start, to: from + Math.floor((span * (i + 1)) / n) }
    )
  }
  return slices
}

/** Which slice holds `t` (the one whose half-open range contains it), or -1 when before them all. */
export function sliceOf(slices: Slice[], t: number): number {
  return slices.findIndex(s => t >= s.from && (s.to === undefined || t < s.to))
}
