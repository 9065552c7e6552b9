// At restart (restore.ts, after the plan is decided on every rank alike): a checkpoint whose
// background encode (SCR_ENCODE_ASYNC=1, encode-async.ts) had not finished on every rank when the
// job stopped is not protected. It is never restored, even with every file present: its
// redundancy may be partial and, with SCR_CRC_ON_COPY=1, its CRC32s (computed in the encode's
// pass) are not known, so nothing could check the bytes handed back. It is dropped, saying which
// checkpoint the restart falls back to. A dataset counts as protected when any node's record says
// so (the ranks agreed before any node recorded it), or has no such field (older versions).
import type { DatasetRecord } from '../cache/records.js';
import type { Decision } from './restore-plan.js';
import type { NodeReport } from './restore-scan.js';

/** Whether every node's record of dataset `id` says its encode had not finished. */
function unprotected(id: number, reports: NodeReport[]): boolean {
  const recs = reports.map((r) => r.datasets[String(id)]?.rec).filter((x): x is DatasetRecord => !!x);
  return recs.length > 0 && recs.every((r) => r.protected === false);
}

/** The decision with every unprotected dataset moved to the drops, each with its reason. */
export function dropUnprotected(d: Decision, reports: NodeReport[]): Decision {
  const bad = (id: number) => unprotected(id, reports);
  // What stays is protected, whichever node's record the plan took: the job may have stopped
  // while the nodes were recording it, and a record still saying false must not make the restart
  // pass over it (nor be written back to every node's index).
  const asProtected = (r: DatasetRecord): DatasetRecord => (r.protected === false ? { ...r, protected: true } : r);
  const plans = d.plans.filter((p) => !bad(p.id)).map((p) => ({ ...p, rec: asProtected(p.rec) }));
  const kept = d.kept.filter((r) => !bad(r.id)).map(asProtected);
  const why = (id: number) => {
    const older = plans.filter((p) => p.id < id && p.rec.flags.checkpoint && !p.rec.failed).sort((a, b) => b.id - a.id)[0];
    return `not protected: its redundancy encode (SCR_ENCODE_ASYNC=1) had not finished on every rank when the job stopped, so it is not used; ` +
      (older ? `the restart falls back to ${older.rec.name} (id ${older.id}), the newest protected checkpoint in cache` : 'no older protected checkpoint is in cache (the restart fetches one from the file system, if any)');
  };
  const drops = d.drops.map((x) => (bad(x.id) ? { ...x, why: why(x.id) } : x));
  for (const p of d.plans) if (bad(p.id)) drops.push({ id: p.id, rec: p.rec, why: why(p.id) });
  for (const r of d.kept) if (bad(r.id)) drops.push({ id: r.id, rec: r, why: why(r.id) });
  return { ...d, plans, kept, drops };
}
