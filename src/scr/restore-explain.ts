// Step 6 of a restore's plan (restore-plan.ts): the details only a few ranks need, routed to them
// once the reduction showed something happened. Rank 0 gets what it prints — every node's damage
// lines, the ranks rebuilt and moved, and, for a dataset that cannot be restored, the ranks no
// record covers or the first set that lost too much, with where each unexplained member's data
// was — and each node leader gets the requests of the ranks whose data it sends. What rank 0
// receives grows with what was lost or damaged (and, to explain a drop, with the nodes holding the
// dataset), never with the job on a restart that lost nothing.
import type { DatasetRecord } from '../cache/records.js';
import type { Routed } from '../mpi/route.js';
import type { RedRecord } from './dataset.js';
import type { PlanNet } from './restore-plan.js';
import type { DatasetReport } from './restore-scan.js';

export type Detail =
  | { id: number; k: 'damaged'; from: number; lines: string[] }
  | { id: number; k: 'uncovered'; r: number }
  | { id: number; k: 'fail'; scheme: string; members: number[]; lost: number[] }
  | { id: number; k: 'unexplained'; r: number; leader: number; pos: number; what: string; node: string | null }
  | { id: number; k: 'reporting'; from: number }
  | { id: number; k: 'lost'; r: number; leader: number; pos: number; scheme: string }
  | { id: number; k: 'moved'; r: number }
  | { id: number; k: 'request'; r: number };

/** One dataset's reduced verdict and this rank's view of it. */
export interface Verdict {
  id: number;
  rec: DatasetRecord;
  /** The lowest rank no record covers, the first set (its first member) that cannot restore: Infinity if none. */
  uncovered: number;
  failing: number;
  view: { dataAt: number | undefined; redAt: number | undefined; set: RedRecord | undefined; named: boolean; lost: number[] };
  /** The leader whose node holds this rank's data (null: rebuilt). */
  holder: number | null;
  /** This node's report of it (node leaders that hold it). */
  ds: DatasetReport | undefined;
}

/** Routes the details (collective: every rank calls it, or none). */
export async function gatherDetails(net: PlanNet, verdicts: Verdict[], nodeOf: readonly string[]): Promise<Detail[]> {
  const items: Array<Routed<Detail>> = [];
  const to0 = (value: Detail) => items.push({ to: 0, value });
  for (const x of verdicts) {
    const { id, view: m, ds } = x;
    const pos = m.set ? m.set.members.indexOf(net.rank) : -1;
    if (ds?.damaged.length) to0({ id, k: 'damaged', from: net.rank, lines: ds.damaged });
    if (x.uncovered !== Infinity) {
      if (!m.set && m.dataAt === undefined) to0({ id, k: 'uncovered', r: net.rank });
    } else if (x.failing !== Infinity) {
      if (m.set && m.set.members[0] === x.failing && pos === 0) to0({ id, k: 'fail', scheme: m.set.scheme, members: m.set.members, lost: m.lost });
      if (m.set && m.set.members[0]! <= x.failing && !(m.dataAt !== undefined && m.redAt !== undefined) && !m.named) {
        const what = m.dataAt === undefined && m.redAt === undefined ? 'its files and redundancy' : m.dataAt === undefined ? 'its files' : 'its redundancy data';
        to0({ id, k: 'unexplained', r: net.rank, leader: m.set.members[0]!, pos, what, node: m.set.nodes[pos] ?? null });
      }
      if (ds) to0({ id, k: 'reporting', from: net.rank });
    } else if (m.set && m.lost.includes(pos)) {
      to0({ id, k: 'lost', r: net.rank, leader: m.set.members[0]!, pos, scheme: m.set.scheme });
    } else if (x.holder !== null && nodeOf[x.holder] !== nodeOf[net.rank]) {
      to0({ id, k: 'moved', r: net.rank });
      items.push({ to: x.holder, value: { id, k: 'request', r: net.rank } });
    }
  }
  return net.route(items);
}

/** Rank 0's line for a dataset that cannot be restored: why, every damage line, and where each
 * member of the sets up to the failing one whose data nothing explains was. */
export function explainDrop(x: Pick<Verdict, 'uncovered' | 'failing'>, details: Detail[], damaged: string[], nodeOf: readonly string[], scheme: string): string {
  if (x.uncovered !== Infinity) {
    const ranks = details.flatMap((d) => (d.k === 'uncovered' ? [d.r] : [])).sort((a, b) => a - b);
    const who = `rank${ranks.length > 1 ? 's' : ''} ${ranks.join(',')}`;
    // With redundancy configured, a rank no surviving record covers lost its whole set.
    const why = scheme === 'SINGLE'
      ? `the files of rank ${x.uncovered} are gone or damaged and no redundancy covers them`
      : `the files of ${who} are gone or damaged, and no record of their redundancy set survives (the whole set was lost), so nothing can restore them`;
    return [why, ...damaged].join('; ');
  }
  const fail = details.find((d) => d.k === 'fail');
  const why = fail?.k === 'fail'
    ? `${fail.scheme} set of ranks ${fail.members.join(',')} lost ${fail.lost.length} member(s) (ranks ${fail.lost.map((p) => fail.members[p]).join(',')}), more than it can restore`
    : `the redundancy set of rank ${x.failing} lost more members than it can restore`;
  const live = new Set(nodeOf);
  const reporting = new Set(details.flatMap((d) => (d.k === 'reporting' ? [nodeOf[d.from]] : [])));
  const unexplained = details.flatMap((d) => (d.k === 'unexplained' ? [d] : [])).sort((a, b) => a.leader - b.leader || a.pos - b.pos).map((d) => {
    if (d.node === null) return `rank ${d.r}: ${d.what} were found on no node`;
    if (!live.has(d.node)) return `rank ${d.r}: ${d.what} were on node ${d.node}, which is not in this run`;
    if (!reporting.has(d.node)) return `rank ${d.r}: ${d.what} were on node ${d.node}, which holds nothing of this dataset now`;
    return `rank ${d.r}: ${d.what} on node ${d.node} are missing (its file map or redundancy record is gone)`;
  });
  return [why, ...damaged, ...unexplained].join('; ');
}
