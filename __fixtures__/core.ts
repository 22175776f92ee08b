// A stand-in for @actions/core in in-process tests (jest.unstable_mockModule): records, prints
// nothing. Typed after the real functions, as in actions/typescript-action.
import type * as core from '@actions/core'
import { jest } from '@jest/globals'

export const debug = jest.fn<typeof core.debug>()
export const info = jest.fn<typeof core.info>()
export const notice = jest.fn<typeof core.notice>()
export const warning = jest.fn<typeof core.warning>()
export const error = jest.fn<typeof core.error>()
export const setSecret = jest.fn<typeof core.setSecret>()
export const setOutput = jest.fn<typeof core.setOutput>()
export const setFailed = jest.fn<typeof core.setFailed>()
export const getInput = jest.fn<typeof core.getInput>(() => '')
export const isDebug = jest.fn<typeof core.isDebug>(() => false)
export const group = jest.fn(async <T>(_name: string, fn: () => Promise<T>): Promise<T> =>
  fn()
) as unknown as jest.MockedFunction<typeof core.group>
export const summary = {
  addRaw: jest.fn((_text: string) => summary),
  write: jest.fn(() => Promise.resolve(summary))
}
