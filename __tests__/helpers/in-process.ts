// run() in-process with the typed @actions/core fixture: the inputs it reads and the outputs it set.
import * as core from '../../__fixtures__/core.js'

/** The step's inputs, as `core.getInput` answers them (an input not given reads ''). */
export function given(inputs: Record<string, string>): void {
  core.getInput.mockImplementation(name => inputs[name] ?? '')
}

/** Every output the step set, by name (the last value wins). */
export function outputs(): Record<string, string> {
  return Object.fromEntries(core.setOutput.mock.calls.map(([name, value]) => [name, String(value)]))
}
