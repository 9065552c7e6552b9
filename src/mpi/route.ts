// Sparse personalized exchange: every rank hands over values addressed to any ranks, without
// knowing what it will receive, and gets the values addressed to it. Collective over `comm`.
//
// Routed in ⌈log₂ p⌉ rounds (Bruck's indexing): in round k every rank passes to rank + 2^k the
// values whose remaining distance (destination − here, mod p) has bit k set, and takes those of
// rank − 2^k. A value travels at most ⌈log₂ p⌉ hops, each round is one pair of exchanges with
// fixed partners (its length, then its bytes), and nothing is gathered anywhere: a rank's
// traffic is what it sends, receives and forwards, not the size of the job. It cannot hang on a
// wrong guess of what arrives (every rank makes the same rounds), which an exchange of point-
// to-point messages whose count the receiver does not know could.
import { pack, unpack } from 'msgpackr';
import type { Comm } from './comm.js';

export interface Routed<T> {
  to: number;
  value: T;
}

/** Delivers each item's value to rank `to`; resolves to the values addressed to this rank, in no
 * particular order (callers that need an order carry a key in the value). */
export async function routeObjects<T>(comm: Comm, items: ReadonlyArray<Routed<T>>, tag: number): Promise<T[]> {
  const p = comm.size;
  const mine: T[] = [];
  let moving: Array<{ d: number; value: T }> = [];
  for (const it of items) {
    if (!Number.isInteger(it.to) || it.to < 0 || it.to >= p) throw new RangeError(`routeObjects: destination ${String(it.to)} is not a rank of a communicator of ${p}`);
    const d = (it.to - comm.rank + p) % p;
    if (d === 0) mine.push(it.value);
    else moving.push({ d, value: it.value });
  }
  const len = new Float64Array(1);
  for (let step = 1; step < p; step *= 2) {
    const to = (comm.rank + step) % p;
    const from = (comm.rank - step + p) % p;
    const out = moving.filter((m) => (m.d & step) !== 0).map((m) => ({ d: m.d - step, value: m.value }));
    moving = moving.filter((m) => (m.d & step) === 0);
    const bytes = pack(out);
    await comm.sendrecv(Float64Array.of(bytes.length), to, len, from, tag);
    const got = Buffer.allocUnsafe(len[0]!);
    await comm.sendrecv(bytes, to, got, from, tag);
    for (const m of unpack(got) as Array<{ d: number; value: T }>) {
      if (m.d === 0) mine.push(m.value);
      else moving.push(m);
    }
  }
  return mine;
}
