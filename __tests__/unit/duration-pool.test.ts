import { describe, expect, it } from '@jest/globals'
import { formatDuration, parseDuration } from '../../src/inputs/duration.js'
import { KeyedLock, mapLimited } from '../../src/step/pool.js'

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['15m', 900_000],
    ['2h', 7_200_000],
    ['1h30m', 5_400_000],
    ['45', 45_000],
    ['0.5', 500],
    [' 2M ', 120_000]
  ])('%s is %i ms', (text, ms) => expect(parseDuration(text)).toBe(ms))

  it.each(['', 'soon', '-1', '1 h', '1d', 'h', '30s30', '1e3'])('%j is not a duration', text =>
    expect(parseDuration(text)).toBeUndefined()
  )

  it('formats for people', () => {
    expect(formatDuration(250)).toBe('250ms')
    expect(formatDuration(1500)).toBe('1.5s')
    expect(formatDuration(600_000)).toBe('10m')
    expect(formatDuration(605_000)).toBe('10m5s')
    expect(formatDuration(3_600_000)).toBe('1h')
    expect(formatDuration(720 * 3_600_000)).toBe('720h')
    expect(formatDuration(24 * 3_600_000)).toBe('24h')
    expect(formatDuration(150 * 60_000)).toBe('2h30m')
  })
})

describe('mapLimited', () => {
  it('keeps the input order and never exceeds the limit', async () => {
    let running = 0
    let peak = 0
    const out = await mapLimited([5, 1, 4, 2, 3], 2, async n => {
      peak = Math.max(peak, ++running)
      await new Promise(r => setTimeout(r, n * 5))
      running--
      return n * 10
    })
    expect(out).toEqual([50, 10, 40, 20, 30])
    expect(peak).toBe(2)
  })
})

describe('KeyedLock', () => {
  it('serialises work per key and lets other keys run alongside', async () => {
    const lock = new KeyedLock()
    const log: string[] = []
    const job = (key: string, name: string, ms: number) =>
      lock.run(key, async () => {
        log.push(`${name}+`)
        await new Promise(r => setTimeout(r, ms))
        log.push(`${name}-`)
      })
    await Promise.all([job('f', 'a', 20), job('f', 'b', 1), job('g', 'c', 1)])
    expect(log.indexOf('b+')).toBeGreaterThan(log.indexOf('a-'))
    expect(log.indexOf('c-')).toBeLessThan(log.indexOf('a-'))
  })

  it('goes on after a failed job', async () => {
    const lock = new KeyedLock()
    await expect(lock.run('k', async () => Promise.reject(new Error('x')))).rejects.toThrow('x')
    await expect(lock.run('k', async () => 1)).resolves.toBe(1)
  })
})
