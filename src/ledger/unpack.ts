/**
 * A cache archive's tar, decompressed in memory with a cap on what comes out: a decompression
 * bomb stops at the cap, having cost no disk and at most the cap in memory. @actions/cache makes
 * zstd archives where `zstd` is installed (GitHub's runners) and gzip elsewhere; both are told by
 * their magic bytes, whatever the entry claims. zstd goes through node:zlib where the runtime has
 * it (Node.js 22.15 and later, GitHub's `node24`), else through `zstd -d` as a pipe: no file, its
 * output bounded the same way, killed when over the cap or when the step gives up.
 */
import { spawn } from 'node:child_process'
import * as zlib from 'node:zlib'

const GZIP = Buffer.from([0x1f, 0x8b])
const ZSTD = Buffer.from([0x28, 0xb5, 0x2f, 0xfd])
/**
 * The largest zstd window a frame may ask for: 2^24 = 16 MiB, twice the largest ledger. A frame
 * asking for more (up to 2 GiB) would make the decoder allocate it; ours never do.
 */
const ZSTD_WINDOW_LOG_MAX = 24

export class UnpackError extends Error {}

type ZstdDecompress = (
  buf: Buffer,
  options: zlib.ZlibOptions & { params?: Record<number, number> },
  callback: (err: Error | null, out: Buffer) => void
) => void
// Typed here: @types/node 20 does not know it yet.
const nodeZstd = (zlib as unknown as { zstdDecompress?: ZstdDecompress }).zstdDecompress
const windowLogMax = (zlib.constants as unknown as Record<string, number>).ZSTD_d_windowLogMax

const tooLarge = (maxBytes: number): UnpackError =>
  new UnpackError(`it expands to more than ${maxBytes} bytes`)

/** The tar inside a gzip or zstd archive, at most `maxBytes` of it. */
export async function unpack(
  archive: Buffer,
  maxBytes: number,
  signal: AbortSignal
): Promise<Buffer> {
  const options = { maxOutputLength: maxBytes }
  if (archive.subarray(0, 2).equals(GZIP))
    return new Promise((resolve, reject) =>
      zlib.gunzip(archive, options, (err, out) =>
        err ? reject(zlibError(err, maxBytes, 'gzip')) : resolve(out)
      )
    )
  if (!archive.subarray(0, 4).equals(ZSTD))
    throw new UnpackError('it is neither a gzip nor a zstd archive')
  if (nodeZstd && windowLogMax !== undefined)
    return new Promise((resolve, reject) =>
      nodeZstd(
        archive,
        { ...options, params: { [windowLogMax]: ZSTD_WINDOW_LOG_MAX } },
        (err, out) => (err ? reject(zlibError(err, maxBytes, 'zstd')) : resolve(out))
      )
    )
  return zstdPipe(archive, maxBytes, signal)
}

function zlibError(err: Error & { code?: string }, maxBytes: number, what: string): UnpackError {
  if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) return tooLarge(maxBytes)
  return new UnpackError(`it is not a whole ${what} archive`)
}

/** `zstd -d` reading the archive from stdin, its stdout kept up to `maxBytes`. */
function zstdPipe(archive: Buffer, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      'zstd',
      ['-d', '-c', '-q', `--memory=${2 ** (ZSTD_WINDOW_LOG_MAX - 20)}MB`],
      { stdio: ['pipe', 'pipe', 'ignore'] }
    )
    const chunks: Buffer[] = []
    let size = 0
    let failed: UnpackError | undefined
    const stop = (err: UnpackError): void => {
      failed ??= err
      child.kill('SIGKILL')
    }
    const onAbort = (): void => stop(new UnpackError('cancelled'))
    if (signal.aborted) onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    child.stdout.on('data', (chunk: Buffer) => {
      size += chunk.length
      if (size > maxBytes) return stop(tooLarge(maxBytes))
      chunks.push(chunk)
    })
    // Not installed (then the library made gzip, unless the runner changed), or not runnable.
    child.on('error', err => {
      failed ??= new UnpackError(`zstd could not be run to read it (${err.message})`)
      reject(failed)
    })
    // A child that exits early closes its stdin: what is left to write is no longer wanted.
    child.stdin.on('error', () => undefined)
    child.on('close', code => {
      signal.removeEventListener('abort', onAbort)
      if (failed) return reject(failed)
      if (code !== 0) return reject(new UnpackError('it is not a whole zstd archive'))
      resolve(Buffer.concat(chunks))
    })
    child.stdin.end(archive)
  })
}
