// The redundancy file being written by the encode: pieces go in with pwrite on the libuv pool
// (pwriteCrc), their CRC-32 computed in the same pool job just before the copy, never on the
// JavaScript thread. Measured on tmpfs (docs/kernels.md): receiving into a reused buffer and
// pwriting it costs a tenth of writing through a writable map, whose page faults dominate.
// Errors are kept by the caller's Guarded; once one happened, pieces go nowhere.
import { constants } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { pwriteCrc } from '../kernels/index.js';
import { PieceCrc } from '../common/crc.js';
import type { Guarded } from './encode.js';

// O_NOFOLLOW: a symlink planted where the file goes is an error (ELOOP), never written through.
const FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW;

export class RedundancyOut {
  readonly crc = new PieceCrc();
  #fh: FileHandle | null;
  readonly #path: string;
  readonly #g: Guarded;
  readonly #wantCrc: boolean;

  private constructor(g: Guarded, path: string, fh: FileHandle | null, wantCrc: boolean) {
    this.#g = g;
    this.#path = path;
    this.#fh = fh;
    this.#wantCrc = wantCrc;
  }

  /** Creates (0600) or truncates `path` and sizes it to `size` bytes (unwritten parts read as
   * zeros); an error is recorded in `g` and the result then discards what it is given. */
  static async create(g: Guarded, path: string, size: number, wantCrc: boolean): Promise<RedundancyOut> {
    const fh = await g.runAsync(async () => {
      const h = await open(path, FLAGS, 0o600);
      try {
        await h.truncate(size);
      } catch (e) {
        await h.close().catch(() => undefined);
        throw e;
      }
      return h;
    }, () => null);
    return new RedundancyOut(g, path, fh, wantCrc);
  }

  /** Writes data at `at` (its CRC recorded when asked for). */
  async put(at: number, data: Uint8Array): Promise<void> {
    const fh = this.#fh;
    if (!fh || data.length === 0) return;
    await this.#g.runAsync(async () => {
      const r = await pwriteCrc(fh.fd, data, at, { crc: this.#wantCrc, path: this.#path });
      if (this.#wantCrc) this.crc.addCrc(at, data.length, r.crc);
    }, () => undefined);
  }

  /** Closes the file (a close error counts as a write error). */
  async close(): Promise<void> {
    const fh = this.#fh;
    this.#fh = null;
    if (!fh) return;
    try {
      await fh.close();
    } catch (e) {
      this.#g.error ??= e instanceof Error ? e : new Error(String(e));
    }
  }
}
