// Step 2 of a restore (restore.ts): what becomes of each dataset found in any node's cache —
// restored (whose data moves from which node, which set members are rebuilt), kept untouched
// (written by another number of ranks), or dropped (incomplete, failed, unprotected, or beyond
// what its redundancy can restore, with the reason) — decided without any rank seeing every
// node's report, so a rank's cost grows with log p, not with the job (docs/scaling.md):
//  1. the dataset ids found anywhere and the largest id: one MIN reduction per id;
//  2. each id's record (the first complete one in node order) and whether any node recorded it
//     protected: one reduction, one broadcast per id;
//  3. node leaders route to each rank what they hold of it (its files, its redundancy, its set's
//     record, a damage line naming it), and each rank works out where its intact data is;
//  4. each set's members route their state to one another, and each computes the same lost
//     positions and whether the set can restore them;
//  5. one reduction: a rank no record covers, a set that cannot restore, any rebuild, any move;
//  6. only when something happened: what rank 0 reports (damage lines, the ranks rebuilt or
//     moved, a drop's explanation) and each move's request to the node holding the data, routed.
// The decisions are the ones a rank seeing every report would make (test/unit/restore-plan.test.ts
// checks them against such a reference on many random losses).
import type { DatasetRecord } from '../cache/records.js';
import type { Routed } from '../mpi/route.js';
import { recoverable } from '../redundancy/rebuild.js';
import type { RedRecord } from './dataset.js';
import { type Detail, explainDrop, gatherDetails, type Verdict } from './restore-explain.js';
import type { NodeReport } from './restore-scan.js';
import { fallbackWhy } from './restore-unprotected.js';

/** The collectives the plan needs (restore.ts gives the job's; the unit test simulates them). */
export interface PlanNet {
  readonly rank: number;
  readonly size: number;
  /** Element-wise MIN over every rank. */
  min(v: Float64Array): Promise<Float64Array>;
  bcastObject<T>(value: T, root: number): Promise<T>;
  route<T>(items: Array<Routed<T>>): Promise<T[]>;
}

/** A dataset to restore, as this rank sees it. */
export interface Plan {
  id: number;
  /** The same on every rank. */
  rec: DatasetRecord;
  /** This rank's redundancy set and the positions it rebuilds (null: no record covers the rank). */
  set: { red: RedRecord; lost: number[] } | null;
  /** Whether any set rebuilds, any rank's data moves (the same on every rank). */
  anyRebuild: boolean;
  anyMove: boolean;
  /** The rank (a node leader) whose node holds this rank's intact data, or null when rebuilt. */
  holder: number | null;
  /** Ranks whose data this rank sends (it leads the node holding it), ascending, with their sets. */
  sends: Array<{ rank: number; red: RedRecord | undefined }>;
  /** Ranks moved and rebuilt (in set order), every rank; the damage lines, rank 0 only. */
  moved: number[];
  rebuilt: number[];
  scheme: string;
  damaged: string[];
}

export interface Drop {
  id: number;
  rec: DatasetRecord | null;
  /** Complete on rank 0 (the one that prints it); other ranks may have less. */
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

/** What a node leader routes to a rank about one dataset. */
type Fact =
  | { id: number; k: 'have'; from: number; data: boolean; red: boolean }
  | { id: number; k: 'set'; from: number; red: RedRecord }
  | { id: number; k: 'named' };

/** This rank's view of one dataset after step 3: the leaders of the nodes with its files and its
 * redundancy intact (one node with both if any), its set's record, whether a damage line names it. */
type Mine = Verdict['view'];

const INF = Infinity;
const minAbove = (xs: number[], x: number) => Math.min(INF, ...xs.filter((y) => y > x));

export async function decide(net: PlanNet, mine: NodeReport | null, nodeOf: readonly string[], schemeOf: (rec: DatasetRecord) => string): Promise<Decision> {
  const here = mine?.datasets ?? {};
  const myIds = Object.keys(here).map(Number);
  // 1. Ids, smallest first.
  const first = await net.min(Float64Array.of(minAbove(myIds, -INF), -Math.max(0, ...myIds, ...(mine?.foreign ?? []).map((f) => f.id))));
  const out: Decision = { plans: [], drops: [], kept: [], maxId: -first[1]! };
  const ids: number[] = [];
  for (let next = first[0]!; next !== INF; next = (await net.min(Float64Array.of(minAbove(myIds, next))))[0]!) ids.push(next);
  // 2. Records: the first complete one in node order (leaders in rank order), else the first.
  const v = new Float64Array(3 * ids.length).fill(INF);
  ids.forEach((id, i) => {
    const rec = here[String(id)]?.rec;
    if (rec?.complete) v[3 * i] = net.rank;
    if (rec) [v[3 * i + 1], v[3 * i + 2]] = [net.rank, rec.protected === false ? 1 : 0];
  });
  const w = await net.min(v);
  const candidates: Array<{ id: number; rec: DatasetRecord }> = [];
  const unprotected: Array<{ id: number; rec: DatasetRecord | null }> = [];
  for (const [i, id] of ids.entries()) {
    const root = w[3 * i] !== INF ? w[3 * i]! : w[3 * i + 1]!;
    const rec = root === INF ? null : await net.bcastObject(root === net.rank ? here[String(id)]!.rec : null, root);
    // Unprotected: every node's record says its encode had not finished (restore-unprotected.ts).
    if (w[3 * i + 2] === 1) unprotected.push({ id, rec });
    else if (!rec || !rec.complete) out.drops.push({ id, rec, why: 'incomplete (the job stopped while writing it)' });
    else if (rec.failed) out.drops.push({ id, rec, why: 'marked failed by completeRestart' });
    else if (rec.ranks !== net.size) out.kept.push(asProtected(rec));
    else candidates.push({ id, rec: asProtected(rec) });
  }
  if (candidates.length) await planCandidates(net, here, nodeOf, schemeOf, candidates, out);
  out.plans.sort((a, b) => a.id - b.id);
  for (const u of unprotected) out.drops.push({ ...u, why: fallbackWhy(u.id, out.plans) });
  out.drops.sort((a, b) => a.id - b.id);
  return out;
}

/** A dataset that got this far is protected, whichever node's record the plan took: the job may
 * have stopped while the nodes were recording it, and a record still saying false must not make
 * the restart pass over it (nor be written back to every node's index). */
const asProtected = (r: DatasetRecord): DatasetRecord => (r.protected === false ? { ...r, protected: true } : r);

/** Steps 3 to 6 for the datasets whose fate depends on what survives. */
async function planCandidates(net: PlanNet, here: NodeReport['datasets'], nodeOf: readonly string[], schemeOf: (rec: DatasetRecord) => string,
  candidates: Array<{ id: number; rec: DatasetRecord }>, out: Decision): Promise<void> {
  const p = net.size;
  const ok = (r: number) => Number.isInteger(r) && r >= 0 && r < p;
  // 3. What each node holds, to the ranks concerned.
  const facts: Array<Routed<Fact>> = [];
  for (const { id } of candidates) {
    const ds = here[String(id)];
    if (!ds) continue;
    for (const r of new Set([...ds.data, ...ds.red])) if (ok(r)) facts.push({ to: r, value: { id, k: 'have', from: net.rank, data: ds.data.includes(r), red: ds.red.includes(r) } });
    for (const red of ds.sets) for (const m of red.members) if (ok(m)) facts.push({ to: m, value: { id, k: 'set', from: net.rank, red } });
    for (const line of ds.damaged) {
      const r = Number(/^rank (\d+)(?:'s |:)/.exec(line)?.[1]);
      if (ok(r)) facts.push({ to: r, value: { id, k: 'named' } });
    }
  }
  const got = await net.route(facts);
  const views = candidates.map(({ id }) => viewOf(got.filter((f) => f.id === id)));
  // 4. Each set's members tell one another whether their data and redundancy are intact on one
  // node; every member then knows the same lost positions.
  const states: Array<Routed<{ id: number; pos: number }>> = [];
  candidates.forEach(({ id }, i) => {
    const m = views[i]!;
    if (!m.set || intact(m)) return;
    const pos = m.set.members.indexOf(net.rank);
    for (const r of m.set.members) if (ok(r)) states.push({ to: r, value: { id, pos } });
  });
  const lostAt = await net.route(states);
  candidates.forEach(({ id }, i) => {
    const m = views[i]!;
    // A member that is not a rank of this job (a damaged record) has nothing anywhere: lost.
    const absent = m.set ? m.set.members.flatMap((r, pos) => (ok(r) ? [] : [pos])) : [];
    m.lost = [...new Set([...absent, ...lostAt.filter((s) => s.id === id).map((s) => s.pos)])].sort((a, b) => a - b);
  });
  // 5. One reduction: [a rank nothing covers, a set that cannot restore, −rebuild, −move, −damage].
  const v = new Float64Array(5 * candidates.length);
  candidates.forEach(({ id }, i) => {
    const m = views[i]!;
    const holder = holderOf(m, net.rank);
    v[5 * i] = !m.set && m.dataAt === undefined ? net.rank : INF;
    // (A set listing a rank this job does not have cannot be rebuilt over this job's ranks.)
    v[5 * i + 1] = m.set && (!recoverable(m.set.scheme, m.set.k, m.set.members.length, m.lost) || !m.set.members.every(ok)) ? m.set.members[0]! : INF;
    v[5 * i + 2] = m.lost.length ? -1 : 0;
    v[5 * i + 3] = holder !== null && nodeOf[holder] !== nodeOf[net.rank] ? -1 : 0;
    v[5 * i + 4] = here[String(id)]?.damaged.length ? -1 : 0;
  });
  const w = await net.min(v);
  // 6. Details, routed only when something needs them.
  const verdicts = candidates.map((c, i) => ({ ...c, uncovered: w[5 * i]!, failing: w[5 * i + 1]!, rebuild: w[5 * i + 2] === -1, move: w[5 * i + 3] === -1, damage: w[5 * i + 4] === -1 }));
  let details: Detail[] = [];
  if (verdicts.some((x) => x.uncovered !== INF || x.failing !== INF || x.rebuild || x.move || x.damage)) {
    details = await gatherDetails(net, verdicts.map((x, i) => ({ ...x, view: views[i]!, holder: holderOf(views[i]!, net.rank), ds: here[String(x.id)] })), nodeOf);
  }
  for (const [i, x] of verdicts.entries()) {
    const mineHere = details.filter((d) => d.id === x.id);
    const damaged = net.rank === 0 ? damageLines(mineHere, nodeOf) : [];
    if (x.uncovered !== INF || x.failing !== INF) {
      out.drops.push({ id: x.id, rec: x.rec, why: net.rank === 0 ? explainDrop(x, mineHere, damaged, nodeOf, schemeOf(x.rec)) : 'its data cannot be restored' });
      continue;
    }
    const m = views[i]!;
    const lostRanks = mineHere.flatMap((d) => (d.k === 'lost' ? [d] : [])).sort((a, b) => a.leader - b.leader || a.pos - b.pos);
    const note: Pick<Plan, 'moved' | 'rebuilt' | 'scheme'> = net.rank === 0 && (x.rebuild || x.move)
      ? { moved: mineHere.flatMap((d) => (d.k === 'moved' ? [d.r] : [])).sort((a, b) => a - b), rebuilt: lostRanks.map((d) => d.r), scheme: lostRanks[0]?.scheme ?? '' }
      : { moved: [], rebuilt: [], scheme: '' };
    // Every rank reports the same moved and rebuilt ranks (restoreStats): as many as happened.
    const lists = x.rebuild || x.move ? await net.bcastObject(note, 0) : note;
    out.plans.push({
      id: x.id, rec: x.rec, set: m.set ? { red: m.set, lost: m.lost } : null, anyRebuild: x.rebuild, anyMove: x.move,
      holder: holderOf(m, net.rank),
      sends: mineHere.flatMap((d) => (d.k === 'request' ? [{ rank: d.r, red: here[String(x.id)]?.sets.find((s) => s.members.includes(d.r)) }] : [])).sort((a, b) => a.rank - b.rank),
      ...lists,
      damaged,
    });
  }
}

/** Where this rank's data is, from what the leaders routed to it (the same tie-breaks as a rank
 * reading the reports in node order: a node with both intact first, else the first with each). */
function viewOf(facts: Fact[]): Mine {
  const haves = facts.flatMap((f) => (f.k === 'have' ? [f] : [])).sort((a, b) => a.from - b.from);
  const both = haves.find((h) => h.data && h.red);
  const sets = facts.flatMap((f) => (f.k === 'set' ? [f] : [])).sort((a, b) => a.from - b.from);
  return {
    dataAt: (both ?? haves.find((h) => h.data))?.from,
    redAt: (both ?? haves.find((h) => h.red))?.from,
    set: sets[sets.length - 1]?.red,
    named: facts.some((f) => f.k === 'named'),
    lost: [],
  };
}

/** Files and redundancy intact on one node. */
const intact = (m: Mine) => m.dataAt !== undefined && m.dataAt === m.redAt;

/** The node (its leader) this rank restores its data from, or null when its set rebuilds it. */
function holderOf(m: Mine, rank: number): number | null {
  if (m.set && m.lost.includes(m.set.members.indexOf(rank))) return null;
  return m.dataAt ?? null;
}

/** Every node's damage lines, in node order, each naming its node. */
export function damageLines(details: Detail[], nodeOf: readonly string[]): string[] {
  return details.flatMap((d) => (d.k === 'damaged' ? [d] : [])).sort((a, b) => a.from - b.from)
    .flatMap((d) => d.lines.map((l) => `${l} (node ${nodeOf[d.from]})`));
}
