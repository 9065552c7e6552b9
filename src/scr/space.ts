// Room in a store: turning ENOSPC into a message that names the store, the node, what needed the
// room and how much, and what to do about it.
import { statfs } from 'node:fs/promises';
import { humanBytes } from '../common/bytes.js';
import { CODES, ScrError } from './errors.js';

export interface Room {
  free: number;
  total: number;
}

/** Free and total bytes of the file system holding `dir` (for this user), or null. */
export async function roomIn(dir: string): Promise<Room | null> {
  try {
    const s = await statfs(dir);
    return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
  } catch {
    return null;
  }
}

/** Whether an error means "no room" (ENOSPC, or a quota: EDQUOT). */
export function isNoSpace(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === CODES.NO_SPACE;
}

/** Nearly full: less than 1 MiB or 2 % of the store left. */
export function nearlyFull(r: Room | null): boolean {
  return r !== null && (r.free < 2 ** 20 || r.free < r.total * 0.02);
}

/** The ScrError for a store without room for `what`, which needed `need` bytes. */
export async function noSpaceError(cause: unknown, opts: { what: string; store: string; node: string; need: number }): Promise<ScrError> {
  const r = await roomIn(opts.store);
  const free = r ? `${humanBytes(r.free)} free of ${humanBytes(r.total)}` : 'its free space is unknown';
  return new ScrError(`no space left in the cache store ${opts.store} on node ${opts.node} for ${opts.what}: it needs ${humanBytes(opts.need)}, ${free}. ` +
    'Give the cache more room (a larger SCR_CACHE_BASE or STORE=), keep fewer datasets in it (SCR_CACHE_SIZE), or choose a scheme that stores less (SCR_COPY_TYPE)', CODES.NO_SPACE, { cause });
}
