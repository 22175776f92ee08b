// A stand-in for @actions/core in unit tests (jest.unstable_mockModule): records, prints nothing.
import { jest } from '@jest/globals'

export const debug = jest.fn()
export const info = jest.fn()
export const notice = jest.fn()
export const warning = jest.fn()
export const error = jest.fn()
export const setSecret = jest.fn()
export const setOutput = jest.fn()
export const setFailed = jest.fn()
export const getInput = jest.fn(() => '')
export const group = jest.fn(async <T>(_name: string, fn: () => Promise<T>): Promise<T> => fn())
export const summary = { addRaw: jest.fn(() => summary), write: jest.fn(async () => summary) }
