// At restart (restore-plan.ts): a checkpoint whose background encode (SCR_ENCODE_ASYNC=1,
// encode-async.ts) had not finished on every rank when the job stopped is not protected. It is
// never restored, even with every file present: its redundancy may be partial and, with
// SCR_CRC_ON_COPY=1, its CRC32s (computed in the encode's pass) are not known, so nothing could
// check the bytes handed back. It counts as unprotected when every node's record says
// `protected: false`; a dataset any node recorded protected (the ranks agreed before any node
// recorded it), or whose record has no such field (older versions, synchronous encodes), is
// protected. It is dropped with this reason, naming the checkpoint the restart falls back to.
import type { DatasetRecord } from '../cache/records.js';

/** Why unprotected dataset `id` is dropped, given the datasets the restart restores. */
export function fallbackWhy(id: number, restored: ReadonlyArray<{ id: number; rec: DatasetRecord }>): string {
  const older = restored.filter((p) => p.id < id && p.rec.flags.checkpoint && !p.rec.failed).sort((a, b) => b.id - a.id)[0];
  return `not protected: its redundancy encode (SCR_ENCODE_ASYNC=1) had not finished on every rank when the job stopped, so it is not used; ` +
    (older ? `the restart falls back to ${older.rec.name} (id ${older.id}), the newest protected checkpoint in cache` : 'no older protected checkpoint is in cache (the restart fetches one from the file system, if any)');
}
