// A communicator. Every communication method returns a Promise and does its work off the
// JavaScript thread; collectives must be called in the same order on every rank, as in MPI.
import { pack, unpack } from 'msgpackr';
import { counter } from '../common/count.js';
import type { MpiAddon } from '../native/mpi-addon.js';
import { prepareReduction, type ReduceOp, type Reducible } from './datatypes.js';
import { PostOrder } from './order.js';
import { Request, type Status } from './request.js';

export interface MpiConstants { ANY_SOURCE: number; ANY_TAG: number; UNDEFINED: number; TAG_UB: number }

/** Options of the gathering collectives. */
export interface GatherOptions {
  /** Every rank contributes the same number of bytes: one MPI call instead of two. */
  uniform?: boolean;
}

type Bytes = ArrayBufferView;
const noop = (): void => {};

function bytesOf(v: unknown, call: string, arg: string): Buffer {
  if (!ArrayBuffer.isView(v)) throw new TypeError(`${call}: ${arg} must be a Buffer or TypedArray, got ${typeof v}`);
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

function offsets(counts: Int32Array): { displs: Int32Array; total: number } {
  const displs = new Int32Array(counts.length);
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    displs[i] = total;
    total += counts[i]!;
  }
  if (total > 0x7fffffff) throw new RangeError(`gathered data would be ${total} bytes; the limit is 2 GiB - 1`);
  return { displs, total };
}

function slices(buf: Buffer, counts: Int32Array, displs: Int32Array): Buffer[] {
  return Array.from(counts, (n, i) => buf.subarray(displs[i]!, displs[i]! + n));
}

export class Comm {
  readonly #native: MpiAddon;
  readonly #id: number;
  readonly #k: MpiConstants;
  readonly #order = new PostOrder();
  readonly rank: number;
  readonly size: number;
  #freed = false;

  /** @internal Comms come from `mpi.world`, `mpi.self`, `split`, `splitByString` and `dup`. */
  constructor(native: MpiAddon, id: number, constants: MpiConstants) {
    this.#native = native;
    this.#id = id;
    this.#k = constants;
    this.rank = native.commRank(id);
    this.size = native.commSize(id);
  }

  get freed(): boolean {
    return this.#freed;
  }

  #countKey(call: string): string {
    return `${call}@${this.size === this.#native.commSize(0) ? 'world' : 'sub'}`;
  }

  /** Counts one call (SCR_COUNT_FILE, src/common/count.ts); callers test counter.on first. */
  #count(call: string, ops: number, sent: number, recv: number): void {
    counter.add(this.#countKey(call), ops, sent, recv, this.size);
  }

  // ---- argument checks: a TypeError or RangeError that names the argument ----
  #live(call: string): number {
    if (this.#freed) throw new TypeError(`${call}: the communicator has been freed`);
    return this.#id;
  }

  #rankArg(v: unknown, call: string, arg: string, any = false): number {
    if (any && v === this.#k.ANY_SOURCE) return v;
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= this.size) {
      throw new RangeError(`${call}: ${arg} must be a rank from 0 to ${this.size - 1}${any ? ' or mpi.ANY_SOURCE' : ''}, got ${String(v)}`);
    }
    return v as number;
  }

  #tagArg(v: unknown, call: string, any = false): number {
    if (any && v === this.#k.ANY_TAG) return v;
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > this.#k.TAG_UB) {
      throw new RangeError(`${call}: tag must be an integer from 0 to ${this.#k.TAG_UB}${any ? ' or mpi.ANY_TAG' : ''}, got ${String(v)}`);
    }
    return v as number;
  }

  // ---- collectives ----
  barrier(): Promise<void> {
    const id = this.#live('barrier');
    if (counter.on) this.#count('barrier', 1, 0, 0);
    return this.#order.post(() => this.#native.barrier(id));
  }

  /** Broadcasts `buf` from `root`, filling it in place on the other ranks; resolves to `buf`. */
  bcast<T extends Bytes>(buf: T, root = 0): Promise<T> {
    const id = this.#live('bcast');
    const b = bytesOf(buf, 'bcast', 'buf');
    const r = this.#rankArg(root, 'bcast', 'root');
    if (counter.on) this.#count('bcast', 1, this.rank === r ? b.length : 0, this.rank === r ? 0 : b.length);
    return this.#order.post(() => this.#native.bcast(id, b, r)).then(() => buf);
  }

  /** Broadcasts any msgpack-able value from `root`; other ranks' `value` is ignored. */
  bcastObject<T>(value: T, root = 0): Promise<T> {
    const id = this.#live('bcastObject');
    const r = this.#rankArg(root, 'bcastObject', 'root');
    return this.#order.staged(async (posted) => {
      const data = this.rank === r ? pack(value) : undefined;
      const len = Int32Array.of(data ? data.length : 0);
      await this.#native.bcast(id, len, r);
      const buf = data ?? Buffer.allocUnsafe(len[0]!);
      if (counter.on) this.#count('bcastObject', 2, data ? 4 + buf.length : 0, data ? 0 : 4 + buf.length);
      const done = this.#native.bcast(id, buf, r);
      posted();
      await done;
      return unpack(buf) as T;
    }, 'bcastObject');
  }

  /** Reduces to `root`: the result there, `undefined` elsewhere. */
  reduce<T extends Reducible>(value: T, op: ReduceOp, root = 0): Promise<T | undefined> {
    const id = this.#live('reduce');
    const p = prepareReduction(value, op, 'reduce');
    const r = this.#rankArg(root, 'reduce', 'root');
    const mine = this.rank === r;
    if (counter.on) this.#count('reduce', 1, p.send.byteLength, mine ? p.recv.byteLength : 0);
    return this.#order
      .post(() => this.#native.reduce(id, p.send, mine ? p.recv : null, p.code, op, r))
      .then(() => (mine ? (p.back(p.recv) as T) : undefined));
  }

  /** Reduces over all ranks; every rank gets the result (a new array for array input). */
  allreduce<T extends Reducible>(value: T, op: ReduceOp): Promise<T> {
    const id = this.#live('allreduce');
    const p = prepareReduction(value, op, 'allreduce');
    if (counter.on) this.#count('allreduce', 1, p.send.byteLength, p.recv.byteLength);
    return this.#order.post(() => this.#native.allreduce(id, p.send, p.recv, p.code, op)).then(() => p.back(p.recv) as T);
  }

  /** `allreduce` that blocks the JavaScript thread: for tiny, frequent agreements only. It never
   * overtakes a call made before it: split/dup/free still queued are waited for; a collective whose
   * posting needs the JavaScript thread (the second step of a variable-size gather, scatter,
   * alltoall, bcastObject or splitByString, or a call queued behind one) makes it throw, because
   * blocking would keep that step from ever being posted. */
  allreduceSync<T extends Reducible>(value: T, op: ReduceOp): T {
    const id = this.#live('allreduceSync');
    const p = prepareReduction(value, op, 'allreduceSync');
    const earlier = this.#order.firstUnposted;
    if (earlier !== null) {
      throw new Error(`allreduceSync: ${earlier}, called earlier on this communicator, has not been posted to MPI yet, ` +
        `and allreduceSync blocks the JavaScript thread that would post it, so it cannot run now without overtaking it ` +
        `(ranks would then match collectives in different orders). Await the earlier call first, or use ` +
        `'await comm.allreduce(...)', which is queued behind it.`);
    }
    if (counter.on) this.#count('allreduceSync', 1, p.send.byteLength, p.recv.byteLength);
    this.#native.allreduceSync(id, p.send, p.recv, p.code, op);
    return p.back(p.recv) as T;
  }

  /** Gathers each rank's bytes to `root` (sizes may differ): an array of Buffers there, else undefined. */
  gather(buf: Bytes, root = 0, opts: GatherOptions = {}): Promise<Buffer[] | undefined> {
    const id = this.#live('gather');
    const b = bytesOf(buf, 'gather', 'buf');
    const r = this.#rankArg(root, 'gather', 'root');
    const mine = this.rank === r;
    if (opts.uniform) {
      if (counter.on) this.#count('gather', 1, b.length, mine ? b.length * this.size : 0);
      const recv = mine ? Buffer.allocUnsafe(b.length * this.size) : null;
      return this.#order.post(() => this.#native.gather(id, b, recv, r)).then(() => {
        if (!recv) return undefined;
        return Array.from({ length: this.size }, (_, i) => recv.subarray(i * b.length, (i + 1) * b.length));
      });
    }
    return this.#order.staged(async (posted) => {
      const counts = mine ? new Int32Array(this.size) : null;
      await this.#native.gather(id, Int32Array.of(b.length), counts, r);
      const layout = counts ? offsets(counts) : null;
      if (counter.on) this.#count('gather', 2, 4 + b.length, mine ? 4 * this.size + layout!.total : 0);
      const recv = layout ? Buffer.allocUnsafe(layout.total) : null;
      const done = this.#native.gatherv(id, b, recv, counts, layout?.displs ?? null, r);
      posted();
      await done;
      return recv && counts && layout ? slices(recv, counts, layout.displs) : undefined;
    }, 'gather');
  }

  /** Gathers every rank's bytes to every rank (sizes may differ). */
  allgather(buf: Bytes, opts: GatherOptions = {}): Promise<Buffer[]> {
    const id = this.#live('allgather');
    const b = bytesOf(buf, 'allgather', 'buf');
    if (opts.uniform) {
      if (counter.on) this.#count('allgather', 1, b.length, b.length * this.size);
      const recv = Buffer.allocUnsafe(b.length * this.size);
      return this.#order.post(() => this.#native.allgather(id, b, recv)).then(() =>
        Array.from({ length: this.size }, (_, i) => recv.subarray(i * b.length, (i + 1) * b.length)));
    }
    return this.#order.staged((posted) => this.#allgatherSteps(id, b, posted), 'allgather');
  }

  /** A variable-size allgather's two steps (sizes, then data); `posted` is called once the second
   * step is posted. Runs inside a staged call of this communicator's PostOrder. */
  async #allgatherSteps(id: number, b: Buffer, posted: () => void): Promise<Buffer[]> {
    const counts = new Int32Array(this.size);
    await this.#native.allgather(id, Int32Array.of(b.length), counts);
    const { displs, total } = offsets(counts);
    if (counter.on) this.#count('allgather', 2, 4 + b.length, 4 * this.size + total);
    const recv = Buffer.allocUnsafe(total);
    const done = this.#native.allgatherv(id, b, recv, counts, displs);
    posted();
    await done;
    return slices(recv, counts, displs);
  }

  /** Gathers msgpack-able values to `root`. */
  async gatherObject<T>(value: T, root = 0): Promise<T[] | undefined> {
    const bufs = await this.gather(pack(value), root);
    return bufs?.map((b) => unpack(b) as T);
  }

  /** Gathers msgpack-able values to every rank. */
  async allgatherObject<T>(value: T): Promise<T[]> {
    return (await this.allgather(pack(value))).map((b) => unpack(b) as T);
  }

  /** Sends `bufs[i]` from `root` to rank i (sizes may differ); every rank resolves to its part. */
  scatter(bufs: Bytes[] | undefined, root = 0): Promise<Buffer> {
    const id = this.#live('scatter');
    const r = this.#rankArg(root, 'scatter', 'root');
    const mine = this.rank === r;
    let parts: Buffer[] | null = null;
    if (mine) {
      if (!Array.isArray(bufs) || bufs.length !== this.size) {
        throw new TypeError(`scatter: on the root, bufs must be an array of ${this.size} Buffers (one per rank)`);
      }
      parts = bufs.map((x, i) => bytesOf(x, 'scatter', `bufs[${i}]`));
    }
    return this.#order.staged(async (posted) => {
      const counts = parts ? Int32Array.from(parts, (p) => p.length) : null;
      const mySize = new Int32Array(1);
      await this.#native.scatter(id, counts, mySize, r);
      const layout = counts ? offsets(counts) : null;
      if (counter.on) this.#count('scatter', 2, layout ? 4 * this.size + layout.total : 0, 4 + mySize[0]!);
      const send = parts ? Buffer.concat(parts) : null;
      const recv = Buffer.allocUnsafe(mySize[0]!);
      const done = this.#native.scatterv(id, send, counts, layout?.displs ?? null, recv, r);
      posted();
      await done;
      return recv;
    }, 'scatter');
  }

  /** Sends `values[i]` (msgpack-able) from `root` to rank i; every rank resolves to its own. */
  async scatterObject<T>(values: T[] | undefined, root = 0): Promise<T> {
    return unpack(await this.scatter(this.rank === root ? values?.map((v) => pack(v)) : undefined, root)) as T;
  }

  /** Rank i sends `bufs[j]` to rank j (sizes may differ); resolves to what each rank sent here. */
  alltoall(bufs: Bytes[]): Promise<Buffer[]> {
    const id = this.#live('alltoall');
    if (!Array.isArray(bufs) || bufs.length !== this.size) {
      throw new TypeError(`alltoall: bufs must be an array of ${this.size} Buffers (one per rank)`);
    }
    const parts = bufs.map((x, i) => bytesOf(x, 'alltoall', `bufs[${i}]`));
    return this.#order.staged(async (posted) => {
      const sendCounts = Int32Array.from(parts, (p) => p.length);
      const recvCounts = new Int32Array(this.size);
      await this.#native.alltoall(id, sendCounts, recvCounts, 4);
      const s = offsets(sendCounts);
      const rl = offsets(recvCounts);
      if (counter.on) this.#count('alltoall', 2, 4 * this.size + s.total, 4 * this.size + rl.total);
      const recv = Buffer.allocUnsafe(rl.total);
      const done = this.#native.alltoallv(id, Buffer.concat(parts), sendCounts, s.displs, recv, recvCounts, rl.displs);
      posted();
      await done;
      return slices(recv, recvCounts, rl.displs);
    }, 'alltoall');
  }

  // ---- point to point ----
  /** Starts sending `buf` to `dest`; the Request keeps `buf` alive until the send completes. */
  isend(buf: Bytes, dest: number, tag = 0): Request<void> {
    const id = this.#live('isend');
    const b = bytesOf(buf, 'isend', 'buf');
    const d = this.#rankArg(dest, 'isend', 'dest');
    const t = this.#tagArg(tag, 'isend');
    if (counter.on) this.#count('send', 1, b.length, 0);
    return new Request(this.#order.post(() => this.#native.isend(id, b, d, t)));
  }

  /** Starts receiving into `buf`; resolves to the Status (source, tag, bytes received). */
  irecv(buf: Bytes, source: number = this.#k.ANY_SOURCE, tag: number = this.#k.ANY_TAG): Request<Status> {
    const id = this.#live('irecv');
    const b = bytesOf(buf, 'irecv', 'buf');
    const s = this.#rankArg(source, 'irecv', 'source', true);
    const t = this.#tagArg(tag, 'irecv', true);
    if (!counter.on) return new Request(this.#order.post(() => this.#native.irecv(id, b, s, t)));
    this.#count('recv', 1, 0, 0);
    const [ph, key] = [counter.phase, this.#countKey('recv')];
    return new Request(this.#order.post(() => this.#native.irecv(id, b, s, t)).then((st) => { counter.addRecv(ph, key, st.count); return st; }));
  }

  send(buf: Bytes, dest: number, tag = 0): Promise<void> {
    return this.isend(buf, dest, tag).wait();
  }

  recv(buf: Bytes, source?: number, tag?: number): Promise<Status> {
    return this.irecv(buf, source, tag).wait();
  }

  /** Sends `sendBuf` to `dest` while receiving into `recvBuf` from `source`, with one tag. */
  sendrecv(sendBuf: Bytes, dest: number, recvBuf: Bytes, source: number, tag = 0): Promise<Status> {
    const id = this.#live('sendrecv');
    const s = bytesOf(sendBuf, 'sendrecv', 'sendBuf');
    const r = bytesOf(recvBuf, 'sendrecv', 'recvBuf');
    const d = this.#rankArg(dest, 'sendrecv', 'dest');
    const src = this.#rankArg(source, 'sendrecv', 'source', true);
    const t = this.#tagArg(tag, 'sendrecv');
    if (!counter.on) return this.#order.post(() => this.#native.sendrecv(id, s, d, t, r, src, t));
    this.#count('sendrecv', 2, s.length, 0);
    const [ph, key] = [counter.phase, this.#countKey('sendrecv')];
    return this.#order.post(() => this.#native.sendrecv(id, s, d, t, r, src, t)).then((st) => { counter.addRecv(ph, key, st.count); return st; });
  }

  // ---- communicators ----
  /** Ranks with the same `color` form a new communicator, ordered by `key`. A `null` or negative
   * color leaves this rank out: it resolves to null. */
  async split(color: number | null, key: number = this.rank): Promise<Comm | null> {
    const id = this.#live('split');
    if (color !== null && !Number.isInteger(color)) throw new TypeError(`split: color must be an integer or null, got ${String(color)}`);
    if (!Number.isInteger(key)) throw new TypeError(`split: key must be an integer, got ${String(key)}`);
    if (counter.on) this.#count('split', 1, 8, 8 * this.size);
    const newId = await this.#native.split(id, color === null ? -1 : color, key);
    return newId < 0 ? null : new Comm(this.#native, newId, this.#k);
  }

  /** Ranks passing equal strings (e.g. node names) form a new communicator, ordered by `key`.
   * One call in posting order: calls made after it wait until its split has been handed to MPI. */
  async splitByString(str: string, key: number = this.rank): Promise<Comm> {
    if (typeof str !== 'string') throw new TypeError(`splitByString: str must be a string, got ${typeof str}`);
    if (!Number.isInteger(key)) throw new TypeError(`splitByString: key must be an integer, got ${String(key)}`);
    const id = this.#live('splitByString');
    return this.#order.staged(async (posted) => {
      if (counter.on) this.#count('splitByString', 1, 8, 8 * this.size);
      const all = (await this.#allgatherSteps(id, Buffer.from(str, 'utf8'), noop)).map((b) => b.toString('utf8'));
      const split = this.#native.split(id, all.indexOf(str), key);
      posted();
      return new Comm(this.#native, await split, this.#k);
    }, 'splitByString');
  }

  async dup(): Promise<Comm> {
    const live = this.#live('dup');
    if (counter.on) this.#count('dup', 1, 0, 0);
    const newId = await this.#native.dup(live);
    return new Comm(this.#native, newId, this.#k);
  }

  /** Frees the communicator (collective). Using it afterwards is a TypeError. */
  free(): Promise<void> {
    const id = this.#live('free');
    if (counter.on) this.#count('free', 1, 0, 0);
    const p = this.#native.free(id);
    this.#freed = true;
    return p;
  }
}
