/**
 * Every output of the action, defined once: `npm run docs` writes action.yml's `outputs:` and the
 * README's outputs table from it, and __tests__/unit/contract.test.ts holds both, and the code
 * that sets them (report.ts), to it.
 */
export interface OutputSpec {
  name: string
  description: string
}

export const OUTPUT_TABLE = [
  {
    name: 'new-run-id',
    description:
      "The new run's ID, when exactly one run was re-triggered (or adopted: see Safe to repeat)."
  },
  {
    name: 'etag',
    description:
      'The new run\'s ETag, verbatim: it includes its double quotes (`"1100c53e-…"`), when exactly one run was re-triggered.'
  },
  {
    name: 'looked',
    description:
      "`true` when the step looked at what it was asked to: it authenticated, read the runs in `run-id` and, with `flow-id`, listed the sandbox's flows and failed runs. `false` when it stopped before (inputs, credentials, a host, a listing): then the other outputs say nothing of the sandbox, an empty `results` included."
  },
  {
    name: 'new-run-ids',
    description:
      'JSON array of the new runs: one for each run in `results` that has one (re-triggered by this step, or an earlier retry adopted: see Safe to repeat), in the order of `results`. Runs without one are left out (with `dry-run`, every run that would be re-triggered); `results` pairs each run with its new run.'
  },
  {
    name: 'run-ids',
    description:
      "JSON array of the runs re-triggered (with `dry-run`: that would be), as the log names them: when a window is retried again, its failed retry (the run the re-trigger is sent to; `results` holds the window's first run as `run-id`). Ready for `fromJSON` in a matrix. Runs already retried, past `max-retries` or needing a fix are not in it."
  },
  {
    name: 'sandboxes',
    description:
      'JSON array of the sandboxes swept (with `dry-run`: that would be): the one `sandbox` names, the ones it lists, or with `all` every active sandbox the credential sees, without `!` exclusions. Ready for `fromJSON` in a job matrix (see docs/recipes.md). Empty when the step stopped before it knew them.'
  },
  {
    name: 'results',
    description:
      "JSON array, one object per run (each failed window of a sweep): `run-id`, `source` (`run-id` or `flow-id`), `flow-id`, `flow-name`, `previous-status`, `window` (`{start, end}`, ISO times, when Adobe reports the copy activity's window), `started-at`, `state` (`retriggered`, `already-retriggered`, `would-retrigger`, `waiting`, `retries-exhausted`, `needs-fix`, `partial-ingestion`, `error`, `pending`), `new-run-id`, `etag`, `retriggered-run-id`, `earlier-retries`, `next-retry-at` (with `waiting`: when the next retry is due), `status`, `duration`, `records-ingested`, `error`."
  },
  { name: 'flow-id', description: "The run's dataflow ID (one run, pre-checked)." },
  {
    name: 'previous-status',
    description: "The run's status before the re-trigger, as Adobe reports it (one run)."
  },
  {
    name: 'status',
    description:
      'With `wait`, one run: `success`, `failed`, `cancelled`, `partial-success` or `timeout`.'
  },
  { name: 'duration', description: 'With `wait`, one run: seconds the new run took.' },
  { name: 'records-ingested', description: 'With `wait`, one run: records the new run ingested.' }
] as const satisfies readonly OutputSpec[]

export type OutputName = (typeof OUTPUT_TABLE)[number]['name']
