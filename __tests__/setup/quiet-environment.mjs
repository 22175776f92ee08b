/**
 * Jest's Node environment, with what the code under test writes to stdout held back: @actions/core
 * (`::debug::`, `::warning::`, `::add-mask::`, info lines), @actions/exec's `[command]…` lines and
 * @actions/cache's progress are what a runner's log shows, not a test's result, and in a passing
 * run they only bury it. Each test's output is kept and printed (under the file's "Console", with
 * the test's name) only when that test fails; output outside any test (beforeAll, afterAll, module
 * load) is printed when anything in the file failed.
 *
 * Only the tests' own `process.stdout` is replaced, so Jest's results, failure messages and
 * console (console.log in a test still prints, as always) are untouched, and a test that spies on
 * `process.stdout.write` to read what was written still sees every chunk. stderr is left alone:
 * what lands there (a Node warning, a leak) is worth seeing in a passing run too. The end-to-end
 * tests run the action as a child whose output sim/run-action.ts collects; nothing of it is echoed.
 */
import { Buffer } from 'node:buffer'
import { Writable } from 'node:stream'
import { TestEnvironment } from 'jest-environment-node'

// A test that prints in a loop must not hold a worker's memory: the end is what explains a failure.
const MAX_CHARS = 200_000

class Held {
  text = ''
  cut = 0

  add(chunk) {
    this.text += chunk
    if (this.text.length > MAX_CHARS) {
      this.cut += this.text.length - MAX_CHARS
      this.text = this.text.slice(-MAX_CHARS)
    }
  }

  toString() {
    return this.cut ? `(${this.cut} characters before these left out)\n${this.text}` : this.text
  }
}

/** "describe › it", as Jest names a test in its results. */
function fullName(test) {
  const names = []
  for (let block = test; block && block.parent; block = block.parent) names.unshift(block.name)
  return names.join(' › ')
}

export default class QuietEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context)
    /** Output outside any test; `this.current` is where a write goes now. */
    this.outside = new Held()
    this.current = this.outside
    this.failed = false
    const stdout = new Writable({
      decodeStrings: false,
      write: (chunk, encoding, done) => {
        this.current.add(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString())
        done()
      }
    })
    stdout.isTTY = false
    stdout.fd = 1
    Object.defineProperty(this.global.process, 'stdout', {
      configurable: true,
      enumerable: true,
      get: () => stdout
    })
  }

  /** Prints through the test file's console, which Jest reports with the file's results. */
  print(heading, held) {
    const text = held.toString()
    if (text) this.global.console.log('%s', `${heading}\n${text.replace(/\n$/, '')}`)
  }

  async handleTestEvent(event, state) {
    await super.handleTestEvent?.(event, state)
    switch (event.name) {
      case 'test_start':
        this.current = new Held()
        break
      case 'test_done':
        if (event.test.errors.length > 0) {
          this.failed = true
          this.print(`stdout of the failed test "${fullName(event.test)}":`, this.current)
        }
        this.current = this.outside
        break
      case 'test_skip':
      case 'test_todo':
        this.current = this.outside
        break
      case 'hook_failure':
        this.failed = true
        break
      case 'run_finish':
        if (this.failed || state.unhandledErrors.length > 0)
          this.print('stdout outside the tests (hooks, module load):', this.outside)
        this.outside = new Held()
        this.current = this.outside
        break
    }
  }
}
