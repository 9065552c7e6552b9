// A rank's files seen as one logical stream (in file-map order), zero-padded past its end: the
// unit the redundancy schemes cut into chunks. Reads and writes go through pread/pwrite into
// reused buffers on the libuv pool (preadCrc/pwriteCrc), which compute the per-file CRCs in the
// same pass. (Maps were tried and dropped: on tmpfs their page faults cost several times more.)
import { type FileHandle, open } from 'node:fs/promises';
import { PieceCrc } from '../common/crc.js';
import { preadCrc, pwriteCrc } from '../kernels/index.js';

export interface StreamFile {
  /** Where the file is (its cache path). */
  path: string;
  size: number;
}

export class FileStream {
  readonly length: number;
  readonly #files: StreamFile[];
  readonly #starts: number[];
  /** Open handles, as promises: lanes may ask for the same file at once and must share one. */
  readonly #handles = new Map<number, Promise<FileHandle>>();
  readonly #mode: 'r' | 'w';
  /** Per-file CRCs of everything read (when asked for). */
  readonly crcs: PieceCrc[] | null;

  constructor(files: StreamFile[], opts: { mode?: 'r' | 'w'; crc?: boolean } = {}) {
    this.#files = files;
    this.#mode = opts.mode ?? 'r';
    this.#starts = [];
    let at = 0;
    for (const f of files) { this.#starts.push(at); at += f.size; }
    this.length = at;
    this.crcs = opts.crc ? files.map(() => new PieceCrc()) : null;
  }

  /** Where to put [offset, offset+len) of a stream being written: a scratch buffer to receive
   * into, and commit() to write it out (recording the CRCs). */
  sink(offset: number, len: number, scratch: Buffer): { buf: Buffer; commit: () => Promise<void> } {
    const buf = scratch.subarray(0, len);
    return { buf, commit: () => this.write(offset, buf, len) };
  }

  /** The bytes at [offset, offset+len), read into `buf` (a view of it is returned). */
  async bytes(offset: number, buf: Buffer, len: number): Promise<Buffer> {
    await this.read(offset, buf, len);
    return buf.subarray(0, len);
  }

  #handle(i: number): Promise<FileHandle> {
    let h = this.#handles.get(i);
    if (!h) {
      const path = this.#files[i]!.path;
      h = this.#mode === 'r' ? open(path, 'r')
        // Never truncate: createAll() may already have sized the file.
        : open(path, 'r+').catch((e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
          return open(path, 'w', 0o600);
        });
      this.#handles.set(i, h);
    }
    return h;
  }

  /** The files overlapping [offset, offset+len), with the overlap. */
  *#spans(offset: number, len: number): Generator<{ file: number; fileOffset: number; bufOffset: number; n: number }> {
    const end = Math.min(offset + len, this.length);
    for (let i = 0; i < this.#files.length && offset < end; i++) {
      const s = this.#starts[i]!;
      const e = s + this.#files[i]!.size;
      if (e <= offset || s >= end) continue;
      const from = Math.max(s, offset);
      const to = Math.min(e, end);
      yield { file: i, fileOffset: from - s, bufOffset: from - offset, n: to - from };
    }
  }

  /** Fills buf[0, len) with the stream's bytes from `offset` (zeros past the end). */
  async read(offset: number, buf: Buffer, len: number = buf.length): Promise<void> {
    let filled = 0;
    for (const sp of this.#spans(offset, len)) {
      const h = await this.#handle(sp.file);
      const path = this.#files[sp.file]!.path;
      // pread and CRC in one job on the libuv pool, each block checksummed while in cache.
      const got = await preadCrc(h.fd, buf.subarray(sp.bufOffset, sp.bufOffset + sp.n), sp.fileOffset, { crc: this.crcs !== null, path });
      if (got.bytes < sp.n) throw Object.assign(new Error(`${path} is shorter than its recorded ${this.#files[sp.file]!.size} bytes`), { code: 'ERR_SCR_IO' });
      this.crcs?.[sp.file]!.addCrc(sp.fileOffset, sp.n, got.crc);
      filled = Math.max(filled, sp.bufOffset + sp.n);
    }
    if (filled < len) buf.fill(0, filled, len);
  }

  /** Writes buf[0, len) at `offset` into the files (bytes past the stream's end are padding). */
  async write(offset: number, buf: Buffer, len: number = buf.length): Promise<void> {
    for (const sp of this.#spans(offset, len)) {
      const h = await this.#handle(sp.file);
      const put = await pwriteCrc(h.fd, buf.subarray(sp.bufOffset, sp.bufOffset + sp.n), sp.fileOffset, { crc: this.crcs !== null, path: this.#files[sp.file]!.path });
      this.crcs?.[sp.file]!.addCrc(sp.fileOffset, sp.n, put.crc);
    }
  }

  /** Creates every file at its full size (so zero-length files and holes exist). */
  async createAll(): Promise<void> {
    for (let i = 0; i < this.#files.length; i++) {
      await (await this.#handle(i)).truncate(this.#files[i]!.size);
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#handles.values()].map((h) => h.then((x) => x.close(), () => undefined)));
    this.#handles.clear();
  }
}
