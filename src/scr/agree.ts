// Agreement after a step that can fail locally (redset's habit): every rank says whether its part
// worked; if any did not, every rank throws the same error naming the failing ranks.
import type { Comm } from '../mpi/index.js';
import { CODES, ScrError } from './errors.js';

export interface Outcome {
  ok: boolean;
  message?: string;
  code?: string;
}

export function outcomeOf(e: unknown): Outcome {
  if (e === null || e === undefined) return { ok: true };
  const err = e as { message?: string; code?: string };
  return { ok: false, message: err.message ?? String(e), code: err.code };
}

/** Resolves if every rank's outcome is ok; otherwise rejects on every rank with one ScrError. */
export async function agree(comm: Comm, step: string, mine: Outcome): Promise<void> {
  // Fast path: one boolean reduction when everyone succeeded.
  if (await comm.allreduce(mine.ok, 'LAND')) return;
  const all = await comm.allgatherObject(mine);
  const bad = all.map((o, r) => ({ ...o, r })).filter((o) => !o.ok);
  const first = bad[0]!;
  const others = bad.length > 1 ? ` (and ${bad.length - 1} more rank${bad.length > 2 ? 's' : ''}: ${bad.slice(1, 6).map((b) => b.r).join(', ')}${bad.length > 6 ? ', …' : ''})` : '';
  // The first failing rank's own error code is kept (a usage error stays a usage error).
  throw new ScrError(`${step} failed on rank ${first.r}: ${first.message}${others}`, first.code?.startsWith('ERR_SCR_') ? first.code : CODES.REMOTE);
}

/** Runs `fn` on every rank and agrees on its success; returns its value. */
export async function agreeOn<T>(comm: Comm, step: string, fn: () => Promise<T>): Promise<T> {
  let value: T | undefined;
  let err: unknown = null;
  try {
    value = await fn();
  } catch (e) {
    err = e;
  }
  await agree(comm, step, outcomeOf(err));
  return value as T;
}

/** Agreement where a rank with its own error rethrows that error (keeping its class, e.g.
 * ScrConfigError with its problems), and the others throw the agreed summary. */
export async function agreeKeepingMine(comm: Comm, step: string, mine: unknown): Promise<void> {
  try {
    await agree(comm, step, outcomeOf(mine));
  } catch (e) {
    throw mine ?? e;
  }
}
