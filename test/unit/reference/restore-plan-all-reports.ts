// The restore plan as it was before it was distributed (commit ed1f994, src/scr/restore-plan.ts and
// restore-unprotected.ts): every rank read every node's report. Kept only as the reference the
// distributed plan is checked against (test/unit/restore-plan.test.ts).
import type { DatasetRecord } from '../../../src/cache/records.js';
import { recoverable } from '../../../src/redundancy/rebuild.js';
import type { RedRecord } from '../../../src/scr/dataset.js';
import type { NodeReport } from '../../../src/scr/restore-scan.js';

export interface Plan {
  id: number;
  rec: DatasetRecord;
  /** rank → the node holding its intact data and redundancy (ranks to rebuild are absent). */
  holder: Map<number, string>;
  /** The dataset's directory on each node that reported it (stores may differ per node). */
  dirOn: Map<string, string>;
  /** The sets with their record, and the positions to rebuild. */
  sets: Array<{ red: RedRecord; lost: number[] }>;
  /** Why ranks' data or redundancy failed their checks, for the message. */
  damaged: string[];
}

export interface Drop {
  id: number;
  rec: DatasetRecord | null;
  why: string;
}

export interface Decision {
  plans: Plan[];
  drops: Drop[];
  /** Complete datasets written by another number of ranks: kept in cache as they are. */
  kept: DatasetRecord[];
  /** The largest dataset id seen anywhere (the next one must be larger), other prefixes' too. */
  maxId: number;
}

export function decide(nodeOf: readonly string[], size: number, reports: NodeReport[], schemeOf: (rec: DatasetRecord) => string): Decision {
  const live = new Set(nodeOf);
  const ids = new Set<number>();
  for (const r of reports) for (const id of Object.keys(r.datasets)) ids.add(Number(id));
  const foreignIds = reports.flatMap((r) => r.foreign.map((f) => f.id));
  const out: Decision = { plans: [], drops: [], kept: [], maxId: Math.max(0, ...ids, ...foreignIds) };
  for (const id of [...ids].sort((a, b) => a - b)) {
    const seen = reports.filter((r) => live.has(r.node) && r.datasets[String(id)]).map((r) => ({ node: r.node, d: r.datasets[String(id)]! }));
    const recs = seen.map((s) => s.d.rec);
    const rec = recs.find((x) => x?.complete) ?? recs.find((x) => x) ?? null;
    const damaged = seen.flatMap((s) => s.d.damaged.map((l) => `${l} (node ${s.node})`));
    if (!rec || !rec.complete) { out.drops.push({ id, why: 'incomplete (the job stopped while writing it)', rec}); continue; }
    if (rec.failed) { out.drops.push({ id, why: 'marked failed by completeRestart', rec}); continue; }
    if (rec.ranks !== size) { out.kept.push(rec); continue; }
    const dataAt = new Map<number, string>();
    const redAt = new Map<number, string>();
    const sets = new Map<number, RedRecord>();
    for (const s of seen) for (const red of s.d.sets) sets.set(red.members[0]!, red);
    // A rank's holder: a node with both its files and its redundancy intact, if any (a move cut
    // off half way can leave a copy of each on two nodes), else the first with each.
    const ranksSeen = new Set(seen.flatMap((s) => [...s.d.data, ...s.d.red]));
    for (const r of ranksSeen) {
      const both = seen.find((s) => s.d.data.includes(r) && s.d.red.includes(r));
      const data = both ?? seen.find((s) => s.d.data.includes(r));
      const red = both ?? seen.find((s) => s.d.red.includes(r));
      if (data) dataAt.set(r, data.node);
      if (red) redAt.set(r, red.node);
    }
    const inSet = new Set([...sets.values()].flatMap((s) => s.members));
    const plan: Plan = { id, rec, holder: new Map(), dirOn: new Map(seen.map((s) => [s.node, s.d.dir])), sets: [], damaged };
    let why: string | null = null;
    const uncovered = Array.from({ length: size }, (_, r) => r).filter((r) => !inSet.has(r) && !dataAt.has(r));
    if (uncovered.length) {
      const who = `rank${uncovered.length > 1 ? 's' : ''} ${uncovered.join(',')}`;
      // With redundancy configured, a rank no surviving record covers lost its whole set.
      why = schemeOf(rec) === 'SINGLE'
        ? `the files of rank ${uncovered[0]} are gone or damaged and no redundancy covers them`
        : `the files of ${who} are gone or damaged, and no record of their redundancy set survives (the whole set was lost), so nothing can restore them`;
    }
    for (const red of [...sets.values()].sort((a, b) => a.members[0]! - b.members[0]!)) {
      if (why) break;
      const n = red.members.length;
      const lost = red.members.map((r, pos) => (dataAt.has(r) && redAt.has(r) && dataAt.get(r) === redAt.get(r) ? -1 : pos)).filter((p) => p >= 0);
      if (!recoverable(red.scheme, red.k, n, lost)) {
        why = `${red.scheme} set of ranks ${red.members.join(',')} lost ${lost.length} member(s) (ranks ${lost.map((p) => red.members[p]).join(',')}), more than it can restore`;
      }
      plan.sets.push({ red, lost });
    }
    if (why) {
      out.drops.push({ id, why: [why, ...damaged, ...unexplained(plan, dataAt, redAt, damaged, live, seen.map((x) => x.node))].join('; '), rec });
      continue;
    }
    for (const [r, node] of dataAt) plan.holder.set(r, node);
    for (const s of plan.sets) for (const p of s.lost) plan.holder.delete(s.red.members[p]!);
    out.plans.push(plan);
  }
  return out;
}

/** For each rank whose data or redundancy is missing and that no damage line names: where it was
 * when written (from the sets' records), and whether that node is in this run at all. */
function unexplained(plan: Plan, dataAt: Map<number, string>, redAt: Map<number, string>, damaged: string[], live: Set<string>, reporting: string[]): string[] {
  const out: string[] = [];
  for (const { red } of plan.sets) {
    red.members.forEach((r, pos) => {
      if ((dataAt.has(r) && redAt.has(r)) || damaged.some((d) => d.startsWith(`rank ${r}'s `) || d.startsWith(`rank ${r}:`))) return;
      const node = red.nodes[pos];
      const what = !dataAt.has(r) && !redAt.has(r) ? 'its files and redundancy' : !dataAt.has(r) ? 'its files' : 'its redundancy data';
      if (node === undefined) out.push(`rank ${r}: ${what} were found on no node`);
      else if (!live.has(node)) out.push(`rank ${r}: ${what} were on node ${node}, which is not in this run`);
      else if (!reporting.includes(node)) out.push(`rank ${r}: ${what} were on node ${node}, which holds nothing of this dataset now`);
      else out.push(`rank ${r}: ${what} on node ${node} are missing (its file map or redundancy record is gone)`);
    });
  }
  return out;
}
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
