// Metadata files on disk: atomic writes (temp file in the same directory, fsync, rename, fsync the
// directory) and checked reads. A reader sees the old file or the new one, never a torn mix.
// Async functions are the main API; the *Sync twins exist for code that runs at process exit.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { counter } from '../common/count.js';
import { decodeMeta, encodeMeta, type MetaRecord } from './format.js';

export interface WriteMetaOptions {
  /** Permission bits of the file, set exactly (not filtered by the umask). Default 0o600. */
  mode?: number;
}

export interface ReadMetaOptions {
  /** Reject the file unless it holds this kind of record (MetaError 'ERR_META_KIND'). */
  expectKind?: string;
}

/** The temp name a write goes through: hidden, in the same directory, unique per process and call.
 * A writer killed mid-write leaves such a file behind; the target is never touched. */
export function metaTempPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp.${process.pid}.${randomBytes(6).toString('hex')}`);
}

/** Writes `value` as a `kind` record to `path` atomically and durably. */
export async function writeMetaFile(path: string, kind: string, value: unknown, opts: WriteMetaOptions = {}): Promise<void> {
  const data = encodeMeta(kind, value);
  if (counter.on) counter.add(`write:${kind}`, 1, data.length, 0);
  const tmp = metaTempPath(path);
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(tmp, 'wx', opts.mode ?? 0o600);
    await fh.chmod(opts.mode ?? 0o600);
    await fh.writeFile(data);
    await fh.sync();
    await fh.close();
    fh = undefined;
    await fsp.rename(tmp, path);
  } catch (err) {
    await fh?.close().catch(() => {});
    await fsp.unlink(tmp).catch(() => {});
    throw err;
  }
  await syncDir(dirname(path));
}

/** Synchronous {@link writeMetaFile}. */
export function writeMetaFileSync(path: string, kind: string, value: unknown, opts: WriteMetaOptions = {}): void {
  const data = encodeMeta(kind, value);
  if (counter.on) counter.add(`write:${kind}`, 1, data.length, 0);
  const tmp = metaTempPath(path);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', opts.mode ?? 0o600);
    fs.fchmodSync(fd, opts.mode ?? 0o600);
    fs.writeFileSync(fd, data);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) try { fs.closeSync(fd); } catch { /* already failing */ }
    try { fs.unlinkSync(tmp); } catch { /* may not exist */ }
    throw err;
  }
  syncDirSync(dirname(path));
}

/** Counts one read (SCR_COUNT_FILE): a missing file counts as a read of 0 bytes. */
function countRead(opts: ReadMetaOptions, bytes: number): void {
  counter.add(`read:${opts.expectKind ?? 'meta'}`, 1, 0, bytes);
}

/** Reads and checks a metadata file; resolves to its kind, format version and value.
 * A missing file rejects with Node's error (code 'ENOENT'); a bad one with a MetaError. */
export async function readMetaFileWithHeader<T = unknown>(path: string, opts: ReadMetaOptions = {}): Promise<MetaRecord<T>> {
  const data = await fsp.readFile(path).catch((e: unknown) => { if (counter.on) countRead(opts, 0); throw e; });
  if (counter.on) countRead(opts, data.length);
  return decodeMeta<T>(data, { expectKind: opts.expectKind, path });
}

/** Reads and checks a metadata file; resolves to its value. */
export async function readMetaFile<T = unknown>(path: string, opts: ReadMetaOptions = {}): Promise<T> {
  return (await readMetaFileWithHeader<T>(path, opts)).value;
}

/** Like {@link readMetaFile}, but resolves to undefined when the file does not exist. */
export async function readMetaFileIfExists<T = unknown>(path: string, opts: ReadMetaOptions = {}): Promise<T | undefined> {
  let data: Buffer;
  try {
    data = await fsp.readFile(path);
  } catch (err) {
    if (counter.on) countRead(opts, 0);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (counter.on) countRead(opts, data.length);
  return decodeMeta<T>(data, { expectKind: opts.expectKind, path }).value;
}

/** Synchronous {@link readMetaFileWithHeader}. */
export function readMetaFileWithHeaderSync<T = unknown>(path: string, opts: ReadMetaOptions = {}): MetaRecord<T> {
  let data: Buffer;
  try {
    data = fs.readFileSync(path);
  } catch (err) {
    if (counter.on) countRead(opts, 0);
    throw err;
  }
  if (counter.on) countRead(opts, data.length);
  return decodeMeta<T>(data, { expectKind: opts.expectKind, path });
}

/** Synchronous {@link readMetaFile}. */
export function readMetaFileSync<T = unknown>(path: string, opts: ReadMetaOptions = {}): T {
  return readMetaFileWithHeaderSync<T>(path, opts).value;
}

/** Synchronous {@link readMetaFileIfExists}. */
export function readMetaFileIfExistsSync<T = unknown>(path: string, opts: ReadMetaOptions = {}): T | undefined {
  let data: Buffer;
  try {
    data = fs.readFileSync(path);
  } catch (err) {
    if (counter.on) countRead(opts, 0);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  if (counter.on) countRead(opts, data.length);
  return decodeMeta<T>(data, { expectKind: opts.expectKind, path }).value;
}

// Some file systems cannot fsync a directory (EINVAL, EISDIR, ENOTSUP); the rename is still done,
// only its durability across a power cut is up to them.
const DIR_SYNC_UNSUPPORTED = new Set(['EINVAL', 'EISDIR', 'ENOTSUP', 'EOPNOTSUPP', 'EBADF', 'EPERM', 'EACCES']);

/** fsyncs a directory so a rename in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle | undefined;
  try {
    fh = await fsp.open(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    await fh.sync();
  } catch (err) {
    if (!DIR_SYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    await fh?.close();
  }
}

/** Synchronous {@link syncDir}. */
export function syncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    fs.fsyncSync(fd);
  } catch (err) {
    if (!DIR_SYNC_UNSUPPORTED.has((err as NodeJS.ErrnoException).code ?? '')) throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
