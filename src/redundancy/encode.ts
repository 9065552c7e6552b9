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
// Local I/O errors never stop the ring (a rank that stopped would leave the others blocked):
// the member carries on with zeros and reports the error when the ring is done.
import { type FileHandle, open } from 'node:fs/promises';
import type { Comm } from '../mpi/index.js';
import { gfMulAddAsync, xorAsync } from '../kernels/index.js';
import { coefficient } from './code.js';
import type { FileStream } from './stream.js';

export const RING_TAG = 4242;

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
}

/** Chunk size of a set: the longest stream cut into n−k chunks. */
export function chunkSize(lens: number[], n: number, k: number): number {
  const longest = Math.max(0, ...lens);
  return Math.ceil(longest / (n - k));
}

class Guarded {
  error: Error | null = null;
  async run(fn: () => Promise<unknown>, onFail?: () => void): Promise<void> {
    if (this.error) { onFail?.(); return; }
    try {
      await fn();
    } catch (e) {
      this.error = e instanceof Error ? e : new Error(String(e));
      onFail?.();
    }
  }
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
  let out: FileHandle | null = null;
  await g.run(async () => { out = await open(job.parityPath, 'w', 0o600); await out.truncate(k * C); });
  let send = Buffer.alloc(k * P);
  let recv = Buffer.alloc(k * P);
  const data = Buffer.alloc(P);
  const zeroData = (len: number) => data.fill(0, 0, len);

  for (let o = 0; o < C; o += P) {
    const len = Math.min(P, C - o);
    await g.run(() => stream.read(o, data, len), () => zeroData(len));
    // Round 0: start the partials of stripe (i − k), where this member is data position 0.
    send.fill(0, 0, k * len);
    for (let p = 0; p < k; p++) {
      const part = send.subarray(p * len, (p + 1) * len);
      if (kind === 'XOR') data.copy(part, 0, 0, len);
      else await gfMulAddAsync(part, coefficient(kind, k, p, 0), data.subarray(0, len));
    }
    for (let h = 0; h < n - 1; h++) {
      const pos = h + 1; // this member's hop position in the stripe it receives
      const isData = pos <= n - k - 1;
      const exchange = comm.sendrecv(send.subarray(0, k * len), right, recv.subarray(0, k * len), left, RING_TAG);
      const reading = isData ? g.run(() => stream.read(pos * C + o, data, len), () => zeroData(len)) : null;
      await Promise.all([exchange, reading]);
      if (isData) {
        for (let p = 0; p < k; p++) {
          const part = recv.subarray(p * len, (p + 1) * len);
          if (kind === 'XOR') await xorAsync(part, data.subarray(0, len));
          else await gfMulAddAsync(part, coefficient(kind, k, p, pos), data.subarray(0, len));
        }
      } else {
        const p = pos - (n - k);
        await g.run(() => out!.write(recv, p * len, len, p * C + o));
      }
      [send, recv] = [recv, send];
    }
  }
  await g.run(async () => { await out?.sync(); await out?.close(); });
  return { chunk: C, bytes: k * C, error: g.error };
}

async function encodePartner(job: EncodeJob): Promise<EncodeResult> {
  const { comm, stream, pieceSize: P, lens } = job;
  const n = comm.size;
  const i = comm.rank;
  const right = (i + 1) % n;
  const left = (i + n - 1) % n;
  const g = new Guarded();
  let out: FileHandle | null = null;
  await g.run(async () => { out = await open(job.parityPath, 'w', 0o600); await out.truncate(lens[left]!); });
  const send = Buffer.alloc(P);
  const recv = Buffer.alloc(P);
  const rounds = Math.ceil(Math.max(0, ...lens) / P);
  for (let r = 0; r < rounds; r++) {
    const o = r * P;
    const sl = Math.max(0, Math.min(P, lens[i]! - o));
    const rl = Math.max(0, Math.min(P, lens[left]! - o));
    if (sl > 0) await g.run(() => stream.read(o, send, sl), () => send.fill(0, 0, sl));
    await comm.sendrecv(send.subarray(0, sl), right, recv.subarray(0, rl), left, RING_TAG);
    if (rl > 0) await g.run(() => out!.write(recv, 0, rl, o));
  }
  await g.run(async () => { await out?.sync(); await out?.close(); });
  return { chunk: lens[left]!, bytes: lens[left]!, error: g.error };
}
