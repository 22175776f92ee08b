/**
 * The one file a restored cache entry may give: read from the archive's bytes in memory, never
 * extracted. A cache entry is anyone's to write (any workflow of the repository can save under
 * the ledger's key), so its tar is hostile input: `../` and absolute names, links, FIFOs and
 * devices are never acted on, only named in why the entry is refused. Pure: no I/O.
 *
 * What @actions/cache makes of our folder (GNU tar --posix, names relative to the workspace):
 * a pax header before each member, the folder itself, then `<…>/aep-retry-ledger/ledger.json`.
 * Anything else in the entry means it is not one of ours: the whole entry is refused.
 */

export const LEDGER_FOLDER = 'aep-retry-ledger'
export const LEDGER_FILE = 'ledger.json'

const BLOCK = 512
/** A pax or GNU long-name header is a few hundred bytes; more is not ours. */
const MAX_META_BYTES = 64 * 1024

export type Member = { data: Buffer } | { problem: string }

/** The kinds of member tar knows, in the words a warning uses. */
const KINDS: Record<string, string> = {
  '0': 'file',
  '\0': 'file',
  '1': 'hard link',
  '2': 'symbolic link',
  '3': 'character device',
  '4': 'block device',
  '5': 'folder',
  '6': 'FIFO',
  '7': 'contiguous file'
}

/** A member's name for a warning: quoted, escaped, clipped; never acted on. */
const shown = (name: string): string =>
  JSON.stringify(name.length > 120 ? `${name.slice(0, 120)}…` : name)

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length)
  const end = raw.indexOf(0)
  return raw.subarray(0, end === -1 ? length : end).toString('utf8')
}

/** An octal number field; undefined when it is not one (base-256 sizes are not ours). */
function octal(header: Buffer, start: number, length: number): number | undefined {
  const text = field(header, start, length).trim()
  if (!/^[0-7]{1,12}$/.test(text)) return undefined
  const value = parseInt(text, 8)
  return Number.isSafeInteger(value) ? value : undefined
}

function checksumOk(header: Buffer): boolean {
  const stored = octal(header, 148, 8)
  let sum = 0
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]
  return stored === sum
}

/** `length key=value\n` records; only `path` and `size` matter to reading on. */
function paxRecords(data: Buffer): Map<string, string> | undefined {
  const records = new Map<string, string>()
  let at = 0
  while (at < data.length) {
    const space = data.indexOf(0x20, at)
    const length = Number(data.subarray(at, space).toString('latin1'))
    if (space === -1 || !Number.isSafeInteger(length) || length <= 0 || at + length > data.length)
      return undefined
    const record = data.subarray(space + 1, at + length - 1).toString('utf8')
    const eq = record.indexOf('=')
    if (eq === -1 || data[at + length - 1] !== 0x0a) return undefined
    records.set(record.slice(0, eq), record.slice(eq + 1))
    at += length
  }
  return records
}

/** Path components, trailing slash and `./` dropped. */
const parts = (name: string): string[] => name.split('/').filter(p => p !== '' && p !== '.')

const isLedger = (p: string[]): boolean =>
  p.length >= 2 && p[p.length - 1] === LEDGER_FILE && p[p.length - 2] === LEDGER_FOLDER

/**
 * The ledger file of a tar archive, if the archive is what our save makes and nothing else:
 * one regular file `…/aep-retry-ledger/ledger.json` of at most `maxBytes`, the folder that holds
 * it, and pax headers. Anything else (another file, a link, a FIFO, a device, a second ledger, a
 * header out of shape) is a problem naming the first member at fault.
 */
export function ledgerFromTar(tar: Buffer, maxBytes: number): Member {
  let at = 0
  let found: Buffer | undefined
  // What a pax (`x`) or GNU long-name (`L`) header says of the member after it.
  let nextPath: string | undefined
  let nextSize: number | undefined
  while (at + BLOCK <= tar.length) {
    const header = tar.subarray(at, at + BLOCK)
    if (header.every(b => b === 0)) break
    if (!checksumOk(header))
      return { problem: `not a tar archive (a header's checksum is wrong at byte ${at})` }
    const type = String.fromCharCode(header[156])
    const ustar = header.subarray(257, 262).toString('latin1') === 'ustar'
    const prefix = ustar ? field(header, 345, 155) : ''
    const name = nextPath ?? (prefix ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100))
    const size = nextSize ?? octal(header, 124, 12)
    if (size === undefined) return { problem: `member ${shown(name)} has a size out of shape` }
    const start = at + BLOCK
    if (start + size > tar.length) return { problem: `member ${shown(name)} is cut short` }
    const data = tar.subarray(start, start + size)
    at = start + Math.ceil(size / BLOCK) * BLOCK
    nextPath = nextSize = undefined

    if (type === 'x' || type === 'g' || type === 'L') {
      if (size > MAX_META_BYTES) return { problem: `a ${size}-byte extended header` }
      if (type === 'g') continue
      if (type === 'L') {
        nextPath = field(data, 0, data.length)
        continue
      }
      const records = paxRecords(data)
      if (!records) return { problem: 'an extended header out of shape' }
      nextPath = records.get('path')
      const paxSize = records.get('size')
      if (paxSize !== undefined) {
        if (!/^\d{1,15}$/.test(paxSize))
          return { problem: 'an extended header with a size out of shape' }
        nextSize = Number(paxSize)
      }
      continue
    }
    const kind = KINDS[type] ?? `member of type ${JSON.stringify(type)}`
    const p = parts(name)
    if (type === '5' && p[p.length - 1] === LEDGER_FOLDER) continue
    if ((type === '0' || type === '\0') && isLedger(p)) {
      if (found) return { problem: `two ${LEDGER_FILE} files` }
      if (size > maxBytes) return { problem: `${LEDGER_FILE} is larger than ${maxBytes} bytes` }
      found = data
      continue
    }
    if (isLedger(p)) return { problem: `${LEDGER_FILE} is a ${kind}, not a file` }
    return { problem: `it holds a ${kind} ${shown(name)} besides the ledger` }
  }
  if (nextPath !== undefined || nextSize !== undefined)
    return { problem: 'an extended header with no member after it' }
  return found ? { data: found } : { problem: `no ${LEDGER_FILE} in it` }
}
