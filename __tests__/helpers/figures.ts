/**
 * The figures docs/reliability.md states. The tests that produce them use these numbers, and a
 * unit test asserts the document states them, so the document cannot drift from what is proven.
 */
export const INPUT_PROPERTY_RUNS = {
  /** One input at a time holds an arbitrary value (in-process). */
  perInput: 2000,
  /** Every input arbitrary at once (in-process). */
  allAtOnce: 1000,
  /** Arbitrary values given to dist/index.js as a child process. */
  throughDist: 24
}

export const MATRIX_FIGURES = {
  /** Fault rows × 2 (debug logging off and on). */
  faultsTried: 86,
  /** Hostile-server attacks × 2 (debug logging off and on), __tests__/e2e/hostile.test.ts. */
  hostileTried: 38,
  badInputsTried:
    INPUT_PROPERTY_RUNS.perInput + INPUT_PROPERTY_RUNS.allAtOnce + INPUT_PROPERTY_RUNS.throughDist
}
