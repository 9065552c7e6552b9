// Restoring the members of a set that lost their data (SPEC §5), over the same ring as encode.
//
// XOR / RS, for each piece offset:
//  1. Accumulate: stripe j's buffer holds one partial per lost chunk of the stripe; it starts at
//     member j+k and visits every member once (n−1 hops, the encode schedule). Each surviving
//     member adds coeff·(its chunk of stripe j) to each partial, with the coefficients of the
//     decode plan (code.ts). The last member visited, j+k−1, then holds the finished chunks.
//  2. Deliver: that member sends each finished chunk to the lost member it belongs to, which
//     writes it to its data stream (data chunk) or its redundancy file (parity chunk).
// PARTNER: a lost member gets its data back from its right neighbour's copy and its copy of its
// left neighbour's data from the left neighbour itself.
// Local I/O errors never stop the ring; they are reported at the end (see encode.ts).
import { type FileHandle, open } from 'node:fs/promises';
import type { Comm } from '../mpi/index.js';
import { Request } from '../mpi/index.js';
import { gfMulAddAsync, xorAsync } from '../kernels/index.js';
import { type ChunkRef, decodePlan, stripeChunks } from './code.js';
import { RING_TAG } from './encode.js';
import type { FileStream } from './stream.js';

export interface RebuildJob {
  comm: Comm;
  scheme: 'PARTNER' | 'XOR' | 'RS';
  k: number;
  /** Positions of the members whose data and redundancy data are gone. */
  lost: number[];
  /** Chunk size (XOR/RS) from encode; stream lengths of every member. */
  chunk: number;
  lens: number[];
  /** This member's data: read from if it survived, written to if it is being rebuilt. */
  stream: FileStream;
  /** This member's redundancy file: read from, or written to. */
  parityPath: string;
  pieceSize: number;
}

/** Whether a set can be restored after losing these members. */
export function recoverable(scheme: string, k: number, n: number, lost: readonly number[]): boolean {
  if (lost.length === 0) return true;
  if (scheme === 'SINGLE') return false;
  if (scheme === 'PARTNER') {
    if (n < 2) return false;
    const set = new Set(lost);
    return lost.length < n && lost.every((l) => !set.has((l + 1) % n) && !set.has((l + n - 1) % n));
  }
  return lost.length <= k;
}

class Guard {
  error: Error | null = null;
  async run(fn: () => Promise<unknown>, fallback?: () => void): Promise<void> {
    if (this.error) { fallback?.(); return; }
    try { await fn(); } catch (e) { this.error = e instanceof Error ? e : new Error(String(e)); fallback?.(); }
  }
}

export async function rebuild(job: RebuildJob): Promise<{ error: Error | null }> {
  if (job.lost.length === 0) return { error: null };
  return job.scheme === 'PARTNER' ? rebuildPartner(job) : rebuildStripes(job);
}

async function rebuildStripes(job: RebuildJob): Promise<{ error: Error | null }> {
  const { comm, k, stream, pieceSize: P, chunk: C } = job;
  const n = comm.size;
  const i = comm.rank;
  const right = (i + 1) % n;
  const left = (i + n - 1) % n;
  const kind = job.scheme === 'XOR' ? 'XOR' : 'RS';
  const lostSet = new Set(job.lost);
  const amLost = lostSet.has(i);
  const g = new Guard();

  // Per stripe: the lost chunks (slots) and this member's coefficient for each.
  const stripes = Array.from({ length: n }, (_, j) => {
    const chunks = stripeChunks(n, k, j);
    const lostPos = chunks.map((c, t) => (lostSet.has(c.member) ? t : -1)).filter((t) => t >= 0);
    const plan = decodePlan(kind, n, k, lostPos);
    const myPos = chunks.findIndex((c) => c.member === i);
    return {
      mine: chunks[myPos]!,
      slots: plan.map((s) => ({ target: chunks[s.lost]!, coeff: s.terms.find((t) => t.from === myPos)?.coeff ?? 0 })),
    };
  });
  const m = job.lost.length;
  const holderOf = (j: number) => (j + k - 1 + n) % n; // last member stripe j visits
  const stripeAt = (member: number, h: number) => (((member - k - h) % n) + n) % n;

  let par: FileHandle | null = null;
  await g.run(async () => {
    par = await open(job.parityPath, amLost ? 'w' : 'r', 0o600);
    if (amLost) await par.truncate(k * C);
  });
  const readChunk = async (ref: ChunkRef, o: number, buf: Buffer, len: number) => {
    if (ref.role === 'data') await stream.read(ref.index * C + o, buf, len);
    else {
      const { bytesRead } = await par!.read(buf, 0, len, ref.index * C + o);
      if (bytesRead < len) throw new Error(`${job.parityPath} is shorter than expected`);
    }
  };
  const writeChunk = async (ref: ChunkRef, o: number, buf: Buffer, len: number) => {
    if (ref.role === 'data') await stream.write(ref.index * C + o, buf, len);
    else await par!.write(buf, 0, len, ref.index * C + o);
  };
  const addMine = async (j: number, buf: Buffer, len: number, data: Buffer) => {
    if (amLost) return;
    const s = stripes[j]!;
    if (s.slots.every((x) => x.coeff === 0)) return;
    await g.run(() => readChunk(s.mine, o_, data, len), () => data.fill(0, 0, len));
    for (let x = 0; x < m; x++) {
      const c = s.slots[x]!.coeff;
      if (c === 0) continue;
      const part = buf.subarray(x * len, (x + 1) * len);
      if (kind === 'XOR' || c === 1) await xorAsync(part, data.subarray(0, len));
      else await gfMulAddAsync(part, c, data.subarray(0, len));
    }
  };
  let o_ = 0;
  let send = Buffer.alloc(m * P);
  let recv = Buffer.alloc(m * P);
  const data = Buffer.alloc(P);
  const incoming = Array.from({ length: n }, () => Buffer.alloc(P));

  for (let o = 0; o < C; o += P) {
    o_ = o;
    const len = Math.min(P, C - o);
    // Phase 1: accumulate.
    send.fill(0, 0, m * len);
    await addMine(stripeAt(i, 0), send, len, data);
    for (let h = 0; h < n - 1; h++) {
      await comm.sendrecv(send.subarray(0, m * len), right, recv.subarray(0, m * len), left, RING_TAG + 1);
      await addMine(stripeAt(left, h), recv, len, data);
      [send, recv] = [recv, send];
    }
    // Now `send` holds the finished chunks of the stripe this member visits last.
    const mineFinal = stripeAt(left, n - 2);
    if (holderOf(mineFinal) !== i) throw new Error('bug: rebuild schedule out of step');
    // Phase 2: deliver each finished chunk to its lost member.
    const sends: Array<Request<void>> = [];
    const recvs: Array<Promise<unknown>> = [];
    if (amLost) {
      for (let j = 0; j < n; j++) {
        const holder = holderOf(j);
        if (holder === i) continue;
        recvs.push(comm.irecv(incoming[j]!.subarray(0, len), holder, RING_TAG + 2 + j).wait());
      }
    }
    stripes[mineFinal]!.slots.forEach((slot, x) => {
      if (slot.target.member === i) send.copy(incoming[mineFinal]!, 0, x * len, (x + 1) * len);
      else sends.push(comm.isend(send.subarray(x * len, (x + 1) * len), slot.target.member, RING_TAG + 2 + mineFinal));
    });
    await Promise.all([...recvs, Request.waitAll(sends)]);
    if (amLost) {
      for (let j = 0; j < n; j++) {
        const slot = stripes[j]!.slots.find((s) => s.target.member === i)!;
        await g.run(() => writeChunk(slot.target, o, incoming[j]!, len));
      }
    }
  }
  await g.run(async () => { if (amLost) await par?.sync(); await par?.close(); });
  return { error: g.error };
}

async function rebuildPartner(job: RebuildJob): Promise<{ error: Error | null }> {
  const { comm, stream, pieceSize: P, lens } = job;
  const n = comm.size;
  const i = comm.rank;
  const right = (i + 1) % n;
  const left = (i + n - 1) % n;
  const lost = new Set(job.lost);
  const g = new Guard();
  let par: FileHandle | null = null;
  await g.run(async () => {
    par = await open(job.parityPath, lost.has(i) ? 'w' : 'r', 0o600);
    if (lost.has(i)) await par.truncate(lens[left]!);
  });
  const buf = Buffer.alloc(P);
  // Pass A: my copy of my left neighbour goes back to it, if it was lost.
  // Pass B: my own data goes to my right neighbour, if it was lost (it rebuilds its copy of me).
  for (const pass of ['A', 'B'] as const) {
    const giveTo = pass === 'A' ? left : right;
    const takeFrom = pass === 'A' ? right : left;
    const giving = lost.has(giveTo) && !lost.has(i);
    const taking = lost.has(i);
    const giveLen = pass === 'A' ? lens[left]! : lens[i]!;
    const takeLen = pass === 'A' ? lens[i]! : lens[left]!;
    for (let o = 0; o < Math.max(giving ? giveLen : 0, taking ? takeLen : 0); o += P) {
      const sl = giving ? Math.max(0, Math.min(P, giveLen - o)) : 0;
      const rl = taking ? Math.max(0, Math.min(P, takeLen - o)) : 0;
      const ops: Array<Promise<unknown>> = [];
      if (sl > 0) {
        await g.run(async () => {
          if (pass === 'A') { const r = await par!.read(buf, 0, sl, o); if (r.bytesRead < sl) throw new Error(`${job.parityPath} is short`); }
          else await stream.read(o, buf, sl);
        }, () => buf.fill(0, 0, sl));
        ops.push(comm.send(buf.subarray(0, sl), giveTo, RING_TAG + 3));
      }
      const into = Buffer.alloc(rl);
      if (rl > 0) ops.push(comm.recv(into, takeFrom, RING_TAG + 3));
      await Promise.all(ops);
      if (rl > 0) await g.run(() => (pass === 'A' ? stream.write(o, into, rl) : par!.write(into, 0, rl, o)));
    }
  }
  await g.run(async () => { if (lost.has(i)) await par?.sync(); await par?.close(); });
  return { error: g.error };
}
