/**
 * The figures docs/reliability.md states. The tests that produce them assert these numbers, and a
 * unit test asserts the document states them, so the document cannot drift from what is proven.
 */
export const MATRIX_FIGURES = {
  /** Fault rows × 2 (debug logging off and on). */
  faultsTried: 72,
  /** Bad input values tried by the property-based input tests (in-process and through dist/). */
  badInputsTried: 0
}
