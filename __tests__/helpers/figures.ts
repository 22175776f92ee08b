/**
 * The figures docs/reliability.md states, computed from the tests that prove them: the fault rows
 * the fault matrix runs, the attacks the hostile suite runs, the samples the input properties
 * draw. `npm run docs` writes them into the document and a unit test fails when it states
 * anything else, so the document cannot drift from what is proven.
 */
import { readFileSync } from 'node:fs'
import { ROWS } from './fault-rows.js'

export const INPUT_PROPERTY_RUNS = {
  /** One input at a time holds an arbitrary value (in-process). */
  perInput: 2000,
  /** Every input arbitrary at once (in-process). */
  allAtOnce: 1000,
  /** Arbitrary values given to dist/index.js as a child process. */
  throughDist: 24
}

// Every case runs twice, with debug logging off and on (__tests__/e2e/faults.test.ts, hostile.test.ts).
const LOG_LEVELS = 2

/** The hostile suite's attacks (one `it` each) and their classes (one `describe` each). */
function hostileSuite(): { attacks: number; classes: number } {
  const text = readFileSync(new URL('../e2e/hostile.test.ts', import.meta.url), 'utf8')
  return {
    attacks: text.match(/^\s+it\(/gm)?.length ?? 0,
    // The classes are the describes inside the suite's outer one.
    classes: text.match(/^\s+describe\(/gm)?.length ?? 0
  }
}

const hostile = hostileSuite()

export const MATRIX_FIGURES = {
  faults: ROWS.length,
  faultsTried: ROWS.length * LOG_LEVELS,
  attacks: hostile.attacks,
  attackClasses: hostile.classes,
  hostileTried: hostile.attacks * LOG_LEVELS,
  badInputsInProcess: INPUT_PROPERTY_RUNS.perInput + INPUT_PROPERTY_RUNS.allAtOnce,
  badInputsTried:
    INPUT_PROPERTY_RUNS.perInput + INPUT_PROPERTY_RUNS.allAtOnce + INPUT_PROPERTY_RUNS.throughDist
}

/** The figures paragraph of docs/reliability.md, as `npm run docs` writes it. */
export function figuresParagraph(f = MATRIX_FIGURES): string {
  const n = (value: number): string => value.toLocaleString('en-US')
  return [
    `**Figures:** faults tried: ${f.faultsTried} (${f.faults} faults, each with debug logging off and on)`,
    `outcomes as expected: ${f.faultsTried}`,
    `hostile answers tried: ${f.hostileTried} (${f.attacks} attacks in ${f.attackClasses} classes, each with debug logging off and on; every one of them failed against the action before this section was written)`,
    'duplicates created: 0',
    'secrets leaked: 0',
    `bad inputs tried: ${f.badInputsTried} (${n(f.badInputsInProcess)} in-process, ${INPUT_PROPERTY_RUNS.throughDist} through \`dist/index.js\`), each accepted or answered with one \`::error::\` line and nothing sent, never a stack trace.`
  ].join(' · ')
}
