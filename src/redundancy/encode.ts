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
// its neighbour in one lane still computes and writes in another. Data is read through
// read-only maps of the files (round 0 sends straight from the page cache), and redundancy data
// is received straight into a writable map of the redundancy file; pages are let go as soon as
// a piece is done, so the resident set stays a few pieces.
// Local I/O errors never stop the ring (a rank that stopped would leave the others blocked):
// the member carries on with zeros and reports the error when the ring is done.
import type { Comm } from '../mpi/index.js';
import { dropPages, gfMulAddMultiAsync, mapFileWrite, unmapFile, xorAsync } from '../kernels/index.js';
import { PieceCrc } from '../common/crc.js';
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
  /** This member's data (opened with `map` for zero-copy views where possible). */
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

/** The redundancy file, mapped for writing (null after an error: pieces then go nowhere). */
function openRedundancy(g: Guarded, path: string, size: number): Buffer | null {
  return g.run(() => mapFileWrite(path, size), () => null);
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
  const red = openRedundancy(g, job.parityPath, k * C);
  const parityCrc = new PieceCrc();
  // RS: the k coefficients a data chunk at stripe position q adds to the k partials.
  const column = Array.from({ length: n - k }, (_, q) => Uint8Array.from({ length: k }, (_, p) => coefficient(kind, k, p, q)));

  await inLanes(C, P, async (lane, offsets) => {
    const tag = RING_TAG + lane;
    let acc = Buffer.alloc(k * P);
    let inbox = Buffer.alloc(k * P);
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
        first = d0; // sent straight from the map
      } else {
        acc.fill(0, 0, k * len);
        await gfMulAddMultiAsync(acc.subarray(0, k * len), column[0]!, d0);
        first = acc.subarray(0, k * len);
      }
      for (let h = 0; h < n - 1; h++) {
        const pos = h + 1; // this member's hop position in the stripe it receives
        const isData = pos <= n - k - 1;
        // XOR's last round brings this member's finished parity: receive it into the file.
        const direct = !isData && k === 1 && red !== null;
        const into = direct ? red!.subarray(o, o + len) : inbox.subarray(0, k * len);
        const sending = h === 0 ? first : acc.subarray(0, k * len);
        const exchange = comm.sendrecv(sending, right, into, left, tag);
        const next = isData ? chunkPiece(pos, o, len) : null;
        const [, d] = await Promise.all([exchange, next]);
        if (h === 0) stream.release(d0);
        if (d) {
          if (kind === 'XOR') await xorAsync(inbox.subarray(0, len), d);
          else await gfMulAddMultiAsync(inbox.subarray(0, k * len), column[pos]!, d);
          stream.release(d);
        } else if (!direct && red) {
          const p = pos - (n - k);
          inbox.copy(red, p * C + o, p * len, (p + 1) * len);
        }
        if (!isData && red) {
          const at = (pos - (n - k)) * C + o;
          const done = red.subarray(at, at + len);
          parityCrc.add(at, done);
          dropPages(done);
        }
        [acc, inbox] = [inbox, acc];
      }
    }
  });
  if (red) unmapFile(red);
  return { chunk: C, bytes: k * C, error: g.error, crc: red && !g.error ? parityCrc.value(k * C) : null };
}

async function encodePartner(job: EncodeJob): Promise<EncodeResult> {
  const { comm, stream, pieceSize: P, lens } = job;
  const n = comm.size;
  const i = comm.rank;
  const right = (i + 1) % n;
  const left = (i + n - 1) % n;
  const g = new Guarded();
  const red = openRedundancy(g, job.parityPath, lens[left]!);
  const total = Math.max(0, ...lens);
  await inLanes(total, P, async (lane, offsets) => {
    const tag = RING_TAG + lane;
    const scratch = Buffer.alloc(P);
    const sink = Buffer.alloc(P);
    for (const o of offsets) {
      const sl = Math.max(0, Math.min(P, lens[i]! - o));
      const rl = Math.max(0, Math.min(P, lens[left]! - o));
      const sending = sl > 0 ? await g.runAsync(() => stream.bytes(o, scratch, sl), () => scratch.fill(0, 0, sl).subarray(0, sl)) : scratch.subarray(0, 0);
      // The left neighbour's data goes straight into this member's copy of it.
      const into = red ? red.subarray(o, o + rl) : sink.subarray(0, rl);
      await comm.sendrecv(sending, right, into, left, tag);
      stream.release(sending);
      if (red && rl > 0) dropPages(into);
    }
  });
  if (red) unmapFile(red);
  return { chunk: lens[left]!, bytes: lens[left]!, error: g.error, crc: null };
}
