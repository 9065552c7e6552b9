// Applying redundancy to one dataset within one set (SPEC §5), as a pipelined ring in pieces
// of SCR_MPI_BUF_SIZE, so memory stays a few pieces whatever the checkpoint size.
//
// XOR / RS (code.ts): stripe j's parity travels the ring starting at its first data member.
// In round h every member sends one buffer of k partial parities to its right neighbour and
// receives one from its left: the partials of stripe (i−1−k−h). If the member holds data in
// that stripe it adds coeff·chunk to each partial (XOR: chunk); if it holds parity p there, it
// keeps partial p and passes the buffer on. After n−1 rounds each member has its k parity
// chunks. Each member reads each of its n−k data chunks once, sends and receives (n−1)·k pieces.
// PARTNER: each member sends its stream to its right neighbour, which stores it.
//
// Several piece offsets run at once ("lanes", each with its own tag), so a member waiting for
// its neighbour in one lane still computes and writes in another. Data is read with pread into
// reused buffers on the libuv pool, the file CRCs computed in the same pool job right after each
// block is copied (FileStream.read → preadCrc); redundancy data is received into reused buffers
// and written with pwrite on the pool, its CRC computed there too (red-out.ts). Nothing is
// checksummed on the JavaScript thread, and the resident set stays a few pieces per lane: on
// tmpfs this measured much faster than reading and writing through maps, whose page faults
// dominated (docs/kernels.md).
// Local I/O errors never stop the ring (a rank that stopped would leave the others blocked):
// the member carries on with zeros and reports the error when the ring is done.
import type { Comm } from '../mpi/index.js';
import { gfMulAddMultiAsync, xorAsync } from '../kernels/index.js';
import { RedundancyOut } from './red-out.js';
import { coefficient } from './code.js';
import type { FileStream } from './stream.js';

export const RING_TAG = 4242;
/** Piece offsets in flight at once: 1 → 3 lanes took XOR from ~1620 to ~2000 MiB/s on 2 cores
 * with 4 ranks (bench/checkpoint); 6 gave no more. */
export const LANES = 3;

export interface EncodeJob {
  /** The set's communicator: rank = position in the ring, size = n. */
  comm: Comm;
  scheme: 'PARTNER' | 'XOR' | 'RS';
  k: number;
  /** This member's data. */
  stream: FileStream;
  /** Stream length of every member (by position). */
  lens: number[];
  pieceSize: number;
  /** Where this member's redundancy data goes. */
  parityPath: string;
}

export interface EncodeResult {
  /** Chunk size C (XOR/RS), or the stored copy's length (PARTNER). */
  chunk: number;
  /** Bytes of redundancy data written. */
  bytes: number;
  /** The first local error, if any (the ring still completed). */
  error: Error | null;
  /** CRC32 of the redundancy data written (XOR/RS: computed as each parity piece is finished;
   * PARTNER: null, its copy is checked against the neighbour's file CRCs instead). */
  crc: number | null;
}

/** Chunk size of a set: the longest stream cut into n−k chunks. */
export function chunkSize(lens: number[], n: number, k: number): number {
  const longest = Math.max(0, ...lens);
  return Math.ceil(longest / (n - k));
}

/** Records the first local error and lets the ring go on. */
export class Guarded {
  error: Error | null = null;
  run<T>(fn: () => T, fallback: () => T): T {
    if (this.error) return fallback();
    try {
      return fn();
    } catch (e) {
      this.error = e instanceof Error ? e : new Error(String(e));
      return fallback();
    }
  }
  async runAsync<T>(fn: () => Promise<T>, fallback: () => T): Promise<T> {
    if (this.error) return fallback();
    try {
      return await fn();
    } catch (e) {
      this.error = e instanceof Error ? e : new Error(String(e));
      return fallback();
    }
  }
}

/** Runs `lane(l, offsets)` for LANES interleaved subsets of the offsets 0, P, 2P, … < total. */
export async function inLanes(total: number, P: number, lane: (l: number, offsets: number[]) => Promise<void>): Promise<void> {
  const count = Math.max(1, Math.min(LANES, Math.ceil(total / P)));
  const work = Array.from({ length: count }, (): number[] => []);
  for (let o = 0, x = 0; o < total; o += P, x++) work[x % count]!.push(o);
  await Promise.all(work.map((offsets, l) => lane(l, offsets)));
}

export async function encode(job: EncodeJob): Promise<EncodeResult> {
  return job.scheme === 'PARTNER' ? encodePartner(job) : encodeStripes(job);
}

async function encodeStripes(job: EncodeJob): Promise<EncodeResult> {
  const { comm, k, stream, pieceSize: P } = job;
  const n = comm.size;
  const i = comm.rank;
  const right = (i + 1) % n;
  const left = (i + n - 1) % n;
  const kind = job.scheme === 'XOR' ? 'XOR' : 'RS';
  const C = chunkSize(job.lens, n, k);
  const g = new Guarded();
  // The parity CRC is kept whatever SCR_CRC_ON_COPY says: restart checks it, so a damaged parity
  // byte is never used to rebuild (the files may have no CRC of their own to catch it).
  const red = await RedundancyOut.create(g, job.parityPath, k * C, true);
  // RS: the k coefficients a data chunk at stripe position q adds to the k partials.
  const column = Array.from({ length: n - k }, (_, q) => Uint8Array.from({ length: k }, (_, p) => coefficient(kind, k, p, q)));

  await inLanes(C, P, async (lane, offsets) => {
    const tag = RING_TAG + lane;
    let acc = Buffer.alloc(k * P);
    let inbox = Buffer.alloc(k * P);
    // Writes of finished parity still reading a buffer, which must end before it is reused.
    const writing = new Map<Buffer, Promise<void>>();
    const settle = async (b: Buffer) => { const w = writing.get(b); if (w) { writing.delete(b); await w; } };
    // Round 0's chunk may still be on its way out when round 1 reads the next: two scratch buffers.
    const scratch = [Buffer.alloc(P), Buffer.alloc(P)] as const;
    const chunkPiece = (c: number, o: number, len: number) => {
      const into = scratch[c === 0 ? 0 : 1];
      return g.runAsync(() => stream.bytes(c * C + o, into, len), () => into.fill(0, 0, len).subarray(0, len));
    };
    for (const o of offsets) {
      const len = Math.min(P, C - o);
      // Round 0: this member is data position 0 of stripe (i − k): its chunk 0 starts the partials.
      const d0 = await chunkPiece(0, o, len);
      let first: Buffer;
      if (kind === 'XOR') {
        first = d0;
      } else {
        await settle(acc);
        acc.fill(0, 0, k * len);
        await gfMulAddMultiAsync(acc.subarray(0, k * len), column[0]!, d0);
        first = acc.subarray(0, k * len);
      }
      for (let h = 0; h < n - 1; h++) {
        const pos = h + 1; // this member's hop position in the stripe it receives
        const isData = pos <= n - k - 1;
        await settle(inbox);
        const into = inbox.subarray(0, k * len);
        const sending = h === 0 ? first : acc.subarray(0, k * len);
        const exchange = comm.sendrecv(sending, right, into, left, tag);
        const next = isData ? chunkPiece(pos, o, len) : null;
        const [, d] = await Promise.all([exchange, next]);
        if (d) {
          if (kind === 'XOR') await xorAsync(inbox.subarray(0, len), d);
          else await gfMulAddMultiAsync(into, column[pos]!, d);
        } else {
          // Partial p of this stripe is finished: it is this member's parity p, written on the
          // pool while the buffer travels on.
          const p = pos - (n - k);
          writing.set(inbox, red.put(p * C + o, inbox.subarray(p * len, (p + 1) * len)));
        }
        [acc, inbox] = [inbox, acc];
      }
    }
    await Promise.all([...writing.values()]);
  });
  await red.close();
  return { chunk: C, bytes: k * C, error: g.error, crc: g.error ? null : red.crc.value(k * C) };
}

async function encodePartner(job: EncodeJob): Promise<EncodeResult> {
  const { comm, stream, pieceSize: P, lens } = job;
  const n = comm.size;
  const i = comm.rank;
  const right = (i + 1) % n;
  const left = (i + n - 1) % n;
  const g = new Guarded();
  // The copy is checked against the left neighbour's file CRCs instead: no CRC of its own.
  const red = await RedundancyOut.create(g, job.parityPath, lens[left]!, false);
  const total = Math.max(0, ...lens);
  await inLanes(total, P, async (lane, offsets) => {
    const tag = RING_TAG + lane;
    // Two of each, so the next piece is read and the last one written while this one travels.
    const out = [Buffer.alloc(P), Buffer.alloc(P)] as const;
    const sinks = [Buffer.alloc(P), Buffer.alloc(P)] as const;
    const writing: Array<Promise<void> | null> = [null, null];
    const mine = (o: number) => Math.max(0, Math.min(P, lens[i]! - o));
    const readPiece = (x: number, o: number): Promise<Buffer> => {
      const sl = mine(o);
      const b = out[x % 2]!;
      return sl > 0 ? g.runAsync(() => stream.bytes(o, b, sl), () => b.fill(0, 0, sl).subarray(0, sl)) : Promise.resolve(b.subarray(0, 0));
    };
    let reading = offsets.length ? readPiece(0, offsets[0]!) : null;
    for (let x = 0; x < offsets.length; x++) {
      const o = offsets[x]!;
      const rl = Math.max(0, Math.min(P, lens[left]! - o));
      const sending = await reading!;
      reading = x + 1 < offsets.length ? readPiece(x + 1, offsets[x + 1]!) : null;
      const sink = sinks[x % 2]!;
      await writing[x % 2];
      const into = sink.subarray(0, rl);
      await comm.sendrecv(sending, right, into, left, tag);
      // The left neighbour's data is this member's copy of it.
      writing[x % 2] = red.put(o, into);
    }
    await Promise.all(writing);
    await reading;
  });
  await red.close();
  return { chunk: lens[left]!, bytes: lens[left]!, error: g.error, crc: null };
}
