/**
 * Ids and etags that come from Adobe are data: validated before they are compared, printed,
 * put in a URL or handed to the next job. Run and flow ids are UUIDs, compared lower-cased.
 */
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The id lower-cased, or undefined when it is not a UUID. */
export function asUuid(value: unknown): string | undefined {
  return typeof value === 'string' && UUID.test(value) ? value.toLowerCase() : undefined
}

// An entity tag as HTTP defines it: optionally weak, double quotes around visible ASCII without
// quotes or spaces. Adobe's are `"<uuid-like>"`.
const ETAG = /^(?:W\/)?"[\x21\x23-\x7e]{1,200}"$/

/** The etag verbatim (quotes kept), or undefined when it is not a quoted token. */
export function asEtag(value: unknown): string | undefined {
  return typeof value === 'string' && ETAG.test(value) ? value : undefined
}
