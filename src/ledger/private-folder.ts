/**
 * The folder the ledger is saved from: made fresh by this step, mode 0700, the file in it created
 * exclusively and never through a link. Its path must read the same on every run (the cache's
 * version is derived from it), so it cannot be a random name; instead whatever is at that path is
 * judged first: a symbolic link or anything but a folder is refused (a planted link would make
 * the save write through it), a folder left by an earlier step is removed (links inside it are
 * removed, never followed) and made again. The restore never writes here or anywhere.
 */
import { constants } from 'node:fs'
import { lstat, mkdir, open, rm } from 'node:fs/promises'
import { dirname, join } from 'node:path'

export class FolderRefused extends Error {}

/** Makes `dir` afresh and writes `file` in it; returns the file's path. */
export async function writePrivate(dir: string, file: string, text: string): Promise<string> {
  await mkdir(dirname(dir), { recursive: true })
  const found = await lstat(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined
    throw err
  })
  if (found?.isSymbolicLink())
    throw new FolderRefused(`${dir} is a symbolic link: the ledger is not written through it`)
  if (found && !found.isDirectory())
    throw new FolderRefused(`${dir} is not a folder: the ledger is not written there`)
  if (found) await rm(dir, { recursive: true, force: true })
  // Not recursive: fails if anything took the path meanwhile.
  await mkdir(dir, { mode: 0o700 })
  const made = await lstat(dir)
  if (!made.isDirectory() || (process.getuid && made.uid !== process.getuid()))
    throw new FolderRefused(`${dir} is not a folder of this step's own`)
  const path = join(dir, file)
  const handle = await open(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0),
    0o600
  )
  try {
    await handle.writeFile(text)
  } finally {
    await handle.close()
  }
  return path
}

/** Removes the folder once the save is done with it (never while a save may still read it). */
export async function removePrivate(dir: string): Promise<void> {
  const found = await lstat(dir).catch(() => undefined)
  if (found?.isDirectory()) await rm(dir, { recursive: true, force: true })
}
