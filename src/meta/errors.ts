// Errors raised by the metadata layer: a metadata file that cannot be decoded (MetaError) and a
// lock that cannot be taken or was lost (LockError). Codes are stable strings; messages name the
// file, what is wrong and what to do.

/** Stable codes of {@link MetaError}. */
export type MetaErrorCode =
  | 'ERR_META_FOREIGN' // bad magic: not an scr metadata file
  | 'ERR_META_TRUNCATED' // shorter than its header says (torn by a crash)
  | 'ERR_META_TRAILING' // longer than its header says
  | 'ERR_META_HEADER' // header fields out of range (kind name)
  | 'ERR_META_CRC' // body does not match its CRC32
  | 'ERR_META_VERSION' // format version this code does not read
  | 'ERR_META_KIND' // holds another kind of record than the caller expected
  | 'ERR_META_BODY' // CRC fine but the msgpack body does not decode
  | 'ERR_META_TOO_LARGE'; // encoder: body over 4 GiB - 1

/** A metadata file (or buffer) could not be encoded or decoded. `path` is the file, if known. */
export class MetaError extends Error {
  constructor(readonly code: MetaErrorCode, message: string, readonly path?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MetaError';
  }
}

/** Who holds a lock, as written in the lock file. */
export interface LockHolder {
  host: string;
  pid: number;
  /** Epoch milliseconds when the holder took the lock. */
  time: number;
  /** Basename of the holder's unique file (the lock's other link), so a breaker can remove it. */
  file?: string;
}

/** Stable codes of {@link LockError}. */
export type LockErrorCode =
  | 'ERR_LOCK_TIMEOUT' // could not take the lock within timeoutMs
  | 'ERR_LOCK_LOST'; // the lock was broken as stale while we held it

/** A lock could not be taken, or was taken from us. `lockPath` is the lock file. */
export class LockError extends Error {
  constructor(readonly code: LockErrorCode, message: string, readonly lockPath: string, readonly holder?: LockHolder) {
    super(message);
    this.name = 'LockError';
  }
}
