/**
 * Adobe's error codes that a retry only repeats: `skip-errors`' default. A failed window whose
 * newest failure carries one is not re-triggered but handed to a person at once (`needs-fix`).
 * Everything else, unknown codes included, is retried: a code this table does not know is not
 * evidence that a retry cannot help. `skip-errors: none` retries every code.
 */
export const NEEDS_FIX_CODES: readonly { pattern: string; why: string }[] = [
  {
    // Data Prep (the mapper): a mapping or transform that fails on the data, e.g.
    // MAPPER-3700-400 "mapper transform error". Source: Adobe's sources monitoring and
    // troubleshooting docs (experience-platform: help/dataflows/ui/monitor-sources.md and
    // help/sources/troubleshooting.md: "data and mapping errors fail again on a retry until the
    // data or mapping is fixed"); the activity-level codes are listed in
    // help/sources/tutorials/api/monitor.md (`activities[].statusSummary.extensions.errors`).
    pattern: 'MAPPER-*',
    why: 'a mapping error: fix the mapping or the data'
  },
  {
    // Batch ingestion's client errors, e.g. INGEST-1212-400 "errors in the data" (records that do
    // not fit the schema). Same sources; the 5xx ingestion codes are Adobe-side and retried.
    pattern: 'INGEST-*-400',
    why: 'the data does not fit the dataset: fix the data'
  }
]

/** The default of `skip-errors`, as action.yml declares it. */
export const DEFAULT_SKIP_ERRORS = NEEDS_FIX_CODES.map(c => c.pattern).join(', ')
