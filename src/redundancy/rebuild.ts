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
import { preadCrc } from '../kernels/index.js';
import type { Comm } from '../mpi/index.js';
import { Request } from '../mpi/index.js';
import { gfMulAddMultiAsync, xorAsync } from '../kernels/index.js';
import { type ChunkRef, decodePlan, stripeChunks } from './code.js';
import { Guarded, inLanes, RING_TAG } from './encode.js';
import { RedundancyOut } from './red-out.js';
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
  const g = new Guarded();

  // Per stripe: the lost chunks (slots) and this member's coefficient for each.
  const stripes = Array.from({ length: n }, (_, j) => {
    const chunks = stripeChunks(n, k, j);
    const lostPos = chunks.map((c, t) => (lostSet.has(c.member) ? t : -1)).filter((t) => t >= 0);
    const plan = decodePlan(kind, n, k, lostPos);
    const myPos = chunks.findIndex((c) => c.member === i);
    const slots = plan.map((s) => ({ target: chunks[s.lost]!, coeff: s.terms.find((t) => t.from === myPos)?.coeff ?? 0 }));
    return { mine: chunks[myPos]!, slots, coeffs: Uint8Array.from(slots, (x) => x.coeff) };
  });
  const m = job.lost.length;
  const holderOf = (j: number) => (j + k - 1 + n) % n; // the last member stripe j visits
  const stripeAt = (member: number, h: number) => (((member - k - h) % n) + n) % n;
  const mineFinal = stripeAt(left, n - 2);
  if (holderOf(mineFinal) !== i) throw new Error('bug: rebuild schedule out of step');

  // Survivors read their redundancy file with pread into a reused buffer; lost members write
  // theirs with pwrite (both on the libuv pool). On tmpfs this is several times faster than going
  // through maps, whose page faults dominated the rebuild (bench/checkpoint --workload test-api).
  const parIn = amLost ? null : await g.runAsync(() => open(job.parityPath, 'r'), () => null);
  const parOut = amLost ? await RedundancyOut.create(g, job.parityPath, k * C, false) : null;

  await inLanes(C, P, async (lane, offsets) => {
    const tag = RING_TAG + 1 + 2 * lane;
    let acc = Buffer.alloc(m * P);
    let inbox = Buffer.alloc(m * P);
    const scratch = Buffer.alloc(P);
    const incoming = Array.from({ length: n }, () => Buffer.alloc(P));
    const myChunk = async (ref: ChunkRef, o: number, len: number): Promise<Buffer> => {
      if (ref.role === 'data') return g.runAsync(() => stream.bytes(ref.index * C + o, scratch, len), () => scratch.fill(0, 0, len).subarray(0, len));
      const fh = parIn;
      if (!fh) return scratch.fill(0, 0, len).subarray(0, len);
      return g.runAsync(async () => {
        const r = await preadCrc(fh.fd, scratch.subarray(0, len), ref.index * C + o, { path: job.parityPath });
        if (r.bytes < len) throw Object.assign(new Error(`${job.parityPath} is shorter than its recorded ${k * C} bytes`), { code: 'ERR_SCR_IO' });
        return scratch.subarray(0, len);
      }, () => scratch.fill(0, 0, len).subarray(0, len));
    };
    // This member's chunk of stripe j for the piece at o, or null when it adds nothing there.
    const fetchMine = async (j: number, o: number, len: number): Promise<Buffer | null> => {
      const s = stripes[j]!;
      if (amLost || s.slots.every((x) => x.coeff === 0)) return null;
      return myChunk(s.mine, o, len);
    };
    const addMine = async (j: number, buf: Buffer, d: Buffer | null, len: number) => {
      if (!d) return;
      const s = stripes[j]!;
      if (m === 1 && s.coeffs[0] === 1) await xorAsync(buf.subarray(0, len), d);
      else await gfMulAddMultiAsync(buf.subarray(0, m * len), s.coeffs, d);
    };
    for (const o of offsets) {
      const len = Math.min(P, C - o);
      // Phase 1: accumulate every stripe's missing chunks around the ring. The chunk this member
      // adds after a hop is read while the hop's transfer runs.
      acc.fill(0, 0, m * len);
      await addMine(stripeAt(i, 0), acc, await fetchMine(stripeAt(i, 0), o, len), len);
      for (let h = 0; h < n - 1; h++) {
        const j = stripeAt(left, h);
        const [, d] = await Promise.all([comm.sendrecv(acc.subarray(0, m * len), right, inbox.subarray(0, m * len), left, tag), fetchMine(j, o, len)]);
        await addMine(j, inbox, d, len);
        [acc, inbox] = [inbox, acc];
      }
      // Phase 2: `acc` holds the finished chunks of stripe mineFinal; deliver each to its owner,
      // which receives it into a reused buffer and writes it to its file (or redundancy file).
      const sends: Array<Request<void>> = [];
      const recvs: Array<Promise<unknown>> = [];
      const sinks: Array<{ buf: Buffer; commit: () => Promise<void> }> = [];
      if (amLost) {
        for (let j = 0; j < n; j++) {
          const ref = stripes[j]!.slots.find((x) => x.target.member === i)!.target;
          // A piece that cannot be placed is recorded as the error; the piece goes to scratch,
          // and this member stays in the ring so no survivor waits for it.
          const scratchSink = () => ({ buf: incoming[j]!.subarray(0, len), commit: async () => undefined });
          const sink = ref.role === 'data' ? g.run(() => stream.sink(ref.index * C + o, len, incoming[j]!), scratchSink)
            : { buf: incoming[j]!.subarray(0, len), commit: () => parOut!.put(ref.index * C + o, incoming[j]!.subarray(0, len)) };
          sinks.push(sink);
          if (holderOf(j) !== i) recvs.push(comm.irecv(sink.buf, holderOf(j), tag + 1).wait());
        }
      }
      stripes[mineFinal]!.slots.forEach((slot, x) => {
        if (slot.target.member === i) acc.copy(sinks[mineFinal]!.buf, 0, x * len, (x + 1) * len);
        else sends.push(comm.isend(acc.subarray(x * len, (x + 1) * len), slot.target.member, tag + 1));
      });
      await Promise.all([...recvs, Request.waitAll(sends)]);
      for (const sink of sinks) await g.runAsync(sink.commit, () => undefined);
    }
  });
  await parIn?.close().catch(() => undefined);
  await parOut?.close();
  return { error: g.error };
}

async function rebuildPartner(job: RebuildJob): Promise<{ error: Error | null }> {
  const { comm, stream, pieceSize: P, lens } = job;
  const n = comm.size;
  const i = comm.rank;
  const right = (i + 1) % n;
  const left = (i + n - 1) % n;
  const lost = new Set(job.lost);
  const g = new Guarded();
  let par: FileHandle | null = null;
  await g.runAsync(async () => {
    par = await open(job.parityPath, lost.has(i) ? 'w' : 'r', 0o600);
    if (lost.has(i)) await par.truncate(lens[left]!);
  }, () => undefined);
  // Pass A: my copy of my left neighbour goes back to it, if it was lost.
  // Pass B: my own data goes to my right neighbour, if it was lost (it rebuilds its copy of me).
  // Both at once, each on its own tags: a lost member takes its data from its right neighbour
  // and its copy of its left neighbour's data from that neighbour in parallel.
  await Promise.all((['A', 'B'] as const).map(async (pass) => {
    const giveTo = pass === 'A' ? left : right;
    const takeFrom = pass === 'A' ? right : left;
    const giving = lost.has(giveTo) && !lost.has(i);
    const taking = lost.has(i);
    const giveLen = pass === 'A' ? lens[left]! : lens[i]!;
    const takeLen = pass === 'A' ? lens[i]! : lens[left]!;
    const total = Math.max(giving ? giveLen : 0, taking ? takeLen : 0);
    await inLanes(total, P, async (lane, offsets) => {
      const tag = RING_TAG + 16 + (pass === 'A' ? 0 : 8) + lane;
      // Only the buffers this member uses in this pass (a lost member takes in both at once).
      const buf = giving ? Buffer.alloc(P) : Buffer.alloc(0);
      const into = taking ? Buffer.alloc(P) : Buffer.alloc(0);
      for (const o of offsets) {
        const sl = giving ? Math.max(0, Math.min(P, giveLen - o)) : 0;
        const rl = taking ? Math.max(0, Math.min(P, takeLen - o)) : 0;
        const ops: Array<Promise<unknown>> = [];
        if (sl > 0) {
          const out = await g.runAsync(async () => {
            if (pass === 'B') return stream.bytes(o, buf, sl);
            const r = await par!.read(buf, 0, sl, o);
            if (r.bytesRead < sl) throw new Error(`${job.parityPath} is short`);
            return buf.subarray(0, sl);
          }, () => buf.fill(0, 0, sl).subarray(0, sl));
          ops.push(comm.send(out, giveTo, tag));
        }
        if (rl > 0) ops.push(comm.recv(into.subarray(0, rl), takeFrom, tag));
        await Promise.all(ops);
        if (rl > 0) await g.runAsync(async () => { if (pass === 'A') await stream.write(o, into, rl); else await par!.write(into, 0, rl, o); }, () => undefined);
      }
    });
  }));
  // Closed whatever happened (a recorded error must not leak the descriptor).
  const handle = par as FileHandle | null;
  if (!g.error && lost.has(i)) await g.runAsync(async () => { await handle?.sync(); }, () => undefined);
  await handle?.close().catch(() => undefined);
  return { error: g.error };
}
