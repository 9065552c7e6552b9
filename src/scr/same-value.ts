// Whether every rank passed the same argument, at a cost that does not grow with the job: one
// reduction of a 48-bit hash of the value (its MIN and MAX, as one array). Only when they differ
// (an error, once) are the values themselves exchanged: rank 0's by a broadcast, the first rank
// whose value differs found by a reduction, and its value by a broadcast (docs/scaling.md).
import { createHash } from 'node:crypto';
import type { Comm } from '../mpi/index.js';

const text = (v: unknown): string => JSON.stringify(v ?? null);

/** A 48-bit hash of a JSON-able value, exact as a double. */
export function valueHash(v: unknown): number {
  return createHash('sha256').update(text(v)).digest().readUIntBE(0, 6);
}

/** Collective: whether every rank's `value` hashes alike (equal values always do; a false
 * "same" needs a 48-bit collision). */
export async function sameEverywhere(comm: Comm, value: unknown): Promise<boolean> {
  const h = valueHash(value);
  const r = await comm.allreduce(Float64Array.of(h, -h), 'MIN');
  return r[0] === -r[1]!;
}

/** Collective, after sameEverywhere said no: rank 0's value, the lowest rank whose value differs
 * from it, and that rank's value, on every rank. */
export async function firstDiffering(comm: Comm, value: unknown): Promise<{ root: unknown; r: number; theirs: unknown }> {
  const root = await comm.bcastObject(value ?? null, 0);
  const differs = text(value) !== text(root);
  const r = await comm.allreduce(differs ? comm.rank : comm.size, 'MIN');
  // (A hash collision between different values cannot reach here; equal texts on every rank after
  // a differing hash cannot happen either, so r < size.)
  const theirs = await comm.bcastObject(value ?? null, Math.min(r, comm.size - 1));
  return { root, r, theirs };
}
