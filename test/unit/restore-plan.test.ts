// The restore plan at init (src/scr/restore-plan.ts) decides without any rank reading every node's
// report. Checked here against the plan that did read them all (test/unit/reference/, the
// previous code), on random caches after random faults — lost and excluded nodes, ranks moved to
// spares or swapped, damaged files and redundancy, missing file maps, damaged indexes, records
// that differ between nodes, copies left on two nodes by an interrupted move — with p ranks
// simulated in one process (test/harness/plan-net.ts). Every rank must reach the reference's
// decision for its part: which datasets are restored, kept or dropped, where its data comes
// from, which members its set rebuilds, which ranks it sends data to; rank 0 must print the same
// drop reasons, damage lines and rebuilt ranks.
import assert from 'node:assert/strict';
import type { DatasetRecord } from '../../src/cache/records.js';
import type { RedRecord } from '../../src/scr/dataset.js';
import { type Decision, decide } from '../../src/scr/restore-plan.js';
import type { DatasetReport, NodeReport } from '../../src/scr/restore-scan.js';
import { FakeNet } from '../harness/plan-net.js';
import * as ref from './reference/restore-plan-all-reports.js';

/** A small deterministic PRNG (mulberry32), so a failing seed can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Scenario {
  nodeOf: string[];
  reports: Map<string, NodeReport>;
  schemes: Map<number, string>;
}

const SCHEMES = ['SINGLE', 'PARTNER', 'XOR', 'RS'] as const;

/** Writes 1–3 datasets on an old layout, then damages and relaunches (see the file's comment). */
function scenario(seed: number): Scenario {
  const rand = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const chance = (x: number) => rand() < x;
  const nodes = 1 + Math.floor(rand() * 5);
  const perNode = 1 + Math.floor(rand() * 3);
  const p = nodes * perNode;
  const oldNodeOf = Array.from({ length: p }, (_, r) => `n${Math.floor(r / perNode)}`);
  // Per dataset id: its record and, per old node, what it holds.
  const held = new Map<string, Record<string, DatasetReport>>();
  const schemes = new Map<number, string>();
  const setsOf = new Map<number, RedRecord[]>();
  const nIds = 1 + Math.floor(rand() * 3);
  let id = Math.floor(rand() * 3);
  for (let d = 0; d < nIds; d++) {
    id += 1 + Math.floor(rand() * 2);
    const scheme = pick(SCHEMES);
    schemes.set(id, scheme);
    const ranks = chance(0.08) ? p + 1 : p;
    const rec: DatasetRecord = {
      id, name: `ckpt.${id}`, flags: { checkpoint: true, output: false }, created: 0, store: '/c', descriptor: 0, ranks, complete: !chance(0.08), prefix: '/p',
      ...(chance(0.06) ? { failed: true } : {}), ...(chance(0.08) ? { protected: false } : {}),
    };
    // Sets: ring of ranks at the same place on consecutive nodes, setSize nodes each.
    const setSize = scheme === 'SINGLE' ? 1 : Math.min(nodes, 2 + Math.floor(rand() * 3));
    const sets: RedRecord[] = [];
    for (let pos = 0; pos < perNode; pos++) {
      for (let n0 = 0; n0 < nodes; n0 += setSize) {
        const members = Array.from({ length: Math.min(setSize, nodes - n0) }, (_, j) => (n0 + j) * perNode + pos);
        const sc = members.length === 1 ? 'SINGLE' : scheme === 'RS' && members.length < 3 ? 'XOR' : scheme;
        sets.push({ dataset: id, scheme: sc, k: sc === 'RS' ? 2 : sc === 'XOR' ? 1 : 0, members, nodes: members.map((m) => oldNodeOf[m]!), position: 0, chunk: 64, lens: members.map(() => 100), filemaps: [], pieceSize: 64 });
      }
    }
    setsOf.set(id, sets);
    const setOf = (r: number) => sets.find((s) => s.members.includes(r))!;
    for (let n = 0; n < nodes; n++) {
      const node = `n${n}`;
      if (chance(0.05)) continue; // this node never had it
      const mine = oldNodeOf.map((x, r) => (x === node ? r : -1)).filter((r) => r >= 0);
      const nodeRec = chance(0.1) ? { ...rec, complete: !rec.complete } : chance(0.05) ? { ...rec, protected: true } : rec;
      const ds: DatasetReport = { rec: nodeRec, dir: `/c/${node}/${id}`, data: [], red: [], sets: [], damaged: [] };
      if (chance(0.04)) { ds.rec = null; ds.damaged.push(`this node's cache index has no record of dataset ${id} (the index is damaged), so its data here counts as lost`); }
      else if (chance(0.03)) ds.damaged.push(`${ds.dir} is a symbolic link: nothing in it is used, so its data here counts as lost`);
      else {
        for (const r of mine) {
          const f = rand();
          if (f < 0.08) ds.damaged.push(`rank ${r}'s f.${r} has CRC32 00000001, 00000002 when written (its contents changed)`);
          else if (f < 0.12) { /* file map gone, nothing said */ } else ds.data.push(r);
          const g = rand();
          if (g < 0.08) ds.damaged.push(`rank ${r}: its redundancy data has 3 bytes, 100 were written`);
          else if (g > 0.04 + 0.92) { /* record gone */ } else {
            ds.red.push(r);
            const s = setOf(r);
            if (!ds.sets.some((x) => x.members[0] === s.members[0])) ds.sets.push({ ...s, position: s.members.indexOf(r) });
          }
        }
        if (chance(0.05)) ds.damaged.push(`x.dat is here without a file map listing it (a rank's file map is missing), so it counts as lost`);
      }
      (held.get(node) ?? held.set(node, {}).get(node)!)[String(id)] = ds;
    }
  }
  // An interrupted move: one rank's data (and maybe its redundancy) also on another node.
  if (nodes > 1 && chance(0.15)) {
    const r = Math.floor(rand() * p);
    const other = `n${(Math.floor(r / perNode) + 1) % nodes}`;
    for (const [id, ds] of Object.entries(held.get(other) ?? {})) {
      if (ds.rec === null) continue;
      ds.data.push(r);
      if (chance(0.5)) {
        // The scan lists a set's record wherever a member's redundancy passed its check.
        ds.red.push(r);
        const s = setsOf.get(Number(id))!.find((x) => x.members.includes(r))!;
        if (!ds.sets.some((x) => x.members[0] === s.members[0])) ds.sets.push({ ...s, position: s.members.indexOf(r) });
      }
    }
  }
  // The relaunch: some nodes lost (their ranks on spares), sometimes ranks swapped between nodes.
  const lost = new Set(Array.from({ length: nodes }, (_, n) => `n${n}`).filter(() => chance(0.25)));
  const nodeOf = oldNodeOf.map((n) => (lost.has(n) ? `spare${n.slice(1)}` : n));
  if (nodes > 1 && chance(0.2)) {
    const a = Math.floor(rand() * p);
    const b = Math.floor(rand() * p);
    [nodeOf[a], nodeOf[b]] = [nodeOf[b]!, nodeOf[a]!];
  }
  const reports = new Map<string, NodeReport>();
  for (const node of new Set(nodeOf)) {
    const foreign = chance(0.05) ? [{ id: 40 + Math.floor(rand() * 5), name: 'other', prefix: '/q' }] : [];
    reports.set(node, { node, datasets: held.get(node) ?? {}, foreign });
  }
  return { nodeOf, reports, schemes };
}

/** Every rank's decision from the distributed plan. */
async function distributed(s: Scenario): Promise<{ decisions: Decision[]; net: FakeNet }> {
  const p = s.nodeOf.length;
  const net = new FakeNet(p);
  const leader = (r: number) => s.nodeOf.indexOf(s.nodeOf[r]!) === r;
  const decisions = await Promise.all(Array.from({ length: p }, (_, r) =>
    decide(net.net(r), leader(r) ? structuredClone(s.reports.get(s.nodeOf[r]!)!) : null, s.nodeOf, (rec) => s.schemes.get(rec.id) ?? 'XOR')));
  return { decisions, net };
}

function reference(s: Scenario): ref.Decision {
  // Reports in the order the allgather gave them: by their leader's rank.
  const order = [...new Set(s.nodeOf)].map((n) => s.reports.get(n)!);
  return ref.dropUnprotected(ref.decide(s.nodeOf, s.nodeOf.length, order, (rec) => s.schemes.get(rec.id) ?? 'XOR'), order);
}

function compare(s: Scenario, want: ref.Decision, got: Decision[], seed: number): void {
  const p = s.nodeOf.length;
  const at = `seed ${seed}`;
  for (let r = 0; r < p; r++) {
    const d = got[r]!;
    assert.equal(d.maxId, want.maxId, `${at} rank ${r}: maxId`);
    assert.deepEqual(d.kept.map((k) => [k.id, k.protected]), want.kept.map((k) => [k.id, k.protected]), `${at} rank ${r}: kept`);
    assert.deepEqual(d.drops.map((x) => x.id), want.drops.map((x) => x.id).sort((a, b) => a - b), `${at} rank ${r}: dropped ids`);
    assert.deepEqual(d.plans.map((x) => x.id), want.plans.map((x) => x.id), `${at} rank ${r}: restored ids`);
    for (const [i, w] of want.plans.entries()) {
      const g = d.plans[i]!;
      assert.deepEqual(g.rec, w.rec, `${at} rank ${r} dataset ${w.id}: record`);
      const holder = w.holder.get(r) ?? null;
      assert.equal(g.holder === null ? null : s.nodeOf[g.holder], holder, `${at} rank ${r} dataset ${w.id}: holder`);
      if (g.holder !== null) assert.equal(g.holder, s.nodeOf.indexOf(holder!), `${at} rank ${r} dataset ${w.id}: the holder's leader`);
      const set = w.sets.find((x) => x.red.members.includes(r));
      assert.deepEqual(g.set?.lost ?? null, set ? set.lost : null, `${at} rank ${r} dataset ${w.id}: lost positions of its set`);
      assert.equal(g.anyRebuild, w.sets.some((x) => x.lost.length > 0), `${at} rank ${r} dataset ${w.id}: any rebuild`);
      const moves = [...w.holder].filter(([rr, node]) => s.nodeOf[rr] !== node);
      assert.equal(g.anyMove, moves.length > 0, `${at} rank ${r} dataset ${w.id}: any move`);
      assert.deepEqual(g.sends.map((x) => x.rank), moves.filter(([, node]) => s.nodeOf.indexOf(node) === r).map(([rr]) => rr).sort((a, b) => a - b), `${at} rank ${r} dataset ${w.id}: sends`);
      for (const x of g.sends) {
        const theirs = w.sets.find((y) => y.red.members.includes(x.rank))?.red;
        assert.deepEqual(x.red?.members, theirs?.members, `${at} rank ${r}: the set record of rank ${x.rank}, whose data it sends`);
      }
      assert.deepEqual(g.rebuilt, w.sets.flatMap((x) => x.lost.map((q) => x.red.members[q]!)), `${at} rank ${r} dataset ${w.id}: rebuilt ranks`);
      assert.deepEqual(g.moved, moves.map(([rr]) => rr).sort((a, b) => a - b), `${at} rank ${r} dataset ${w.id}: moved ranks`);
      if (g.rebuilt.length) assert.equal(g.scheme, w.sets.find((x) => x.lost.length)!.red.scheme, `${at}: scheme`);
      if (r === 0) assert.deepEqual(g.damaged, w.damaged, `${at} dataset ${w.id}: damage lines`);
    }
  }
  const byId = new Map(want.drops.map((x) => [x.id, x.why]));
  for (const x of got[0]!.drops) assert.equal(x.why, byId.get(x.id), `${at} rank 0: why dataset ${x.id} is dropped`);
}

describe('restore plan: distributed, the same decisions as reading every report', () => {
  it('matches the reference on 600 random caches after random faults', async function () {
    this.timeout(60_000);
    const seen = { restored: 0, rebuilt: 0, moved: 0, dropped: 0, kept: 0 };
    for (let seed = 1; seed <= 600; seed++) {
      const s = scenario(seed);
      const want = reference(s);
      const { decisions } = await distributed(s);
      compare(s, want, decisions, seed);
      seen.restored += want.plans.length;
      seen.rebuilt += want.plans.filter((x) => x.sets.some((y) => y.lost.length)).length;
      seen.moved += want.plans.filter((x) => [...x.holder].some(([r, n]) => s.nodeOf[r] !== n)).length;
      seen.dropped += want.drops.length;
      seen.kept += want.kept.length;
    }
    // The random cases reach every outcome often (else the comparison proves little).
    for (const [k, n] of Object.entries(seen)) assert.ok(n >= 20, `only ${n} ${k} datasets in 600 cases: ${JSON.stringify(seen)}`);
  });

  it('routes nothing to rank 0 and makes no job-wide gathering when nothing was lost', async () => {
    const nodes = 8;
    const nodeOf = Array.from({ length: nodes * 4 }, (_, r) => `n${Math.floor(r / 4)}`);
    const rec: DatasetRecord = { id: 3, name: 'ckpt.3', flags: { checkpoint: true, output: false }, created: 0, store: '/c', descriptor: 0, ranks: nodeOf.length, complete: true };
    const setOf = (r: number): RedRecord => {
      const members = Array.from({ length: nodes }, (_, n) => n * 4 + (r % 4));
      return { dataset: 3, scheme: 'XOR', k: 1, members, nodes: members.map((m) => nodeOf[m]!), position: 0, chunk: 1, lens: [], filemaps: [], pieceSize: 1 };
    };
    const reports = new Map(Array.from({ length: nodes }, (_, n) => {
      const ranks = [0, 1, 2, 3].map((j) => n * 4 + j);
      return [`n${n}`, { node: `n${n}`, foreign: [], datasets: { 3: { rec, dir: `/c/${n}`, data: ranks, red: ranks, sets: ranks.map(setOf), damaged: [] } } }];
    }));
    const { decisions, net } = await distributed({ nodeOf, reports, schemes: new Map([[3, 'XOR']]) });
    for (const d of decisions) assert.deepEqual(d.plans.map((x) => [x.id, x.holder === null ? null : nodeOf[x.holder], x.anyMove, x.anyRebuild]), [[3, nodeOf[0], false, false]].map(() => [3, nodeOf[decisions.indexOf(d)], false, false]));
    // One routing of what the nodes hold (no details), ids (2), records (1 + 1 broadcast), the verdict.
    assert.deepEqual(net.counts, { min: 4, bcast: 1, route: 2 });
    // What a rank receives is its own facts and its set's records: bounded by the set, not the job.
    const most = Math.max(...net.routedTo);
    assert.ok(most < 8 * 1024, `a rank received ${most} bytes`);
  });

  it('a set record naming a rank the job does not have drops the dataset on every rank, without a throw', async () => {
    const nodeOf = ['n0', 'n1'];
    const rec: DatasetRecord = { id: 2, name: 'ckpt.2', flags: { checkpoint: true, output: false }, created: 0, store: '/c', descriptor: 0, ranks: 2, complete: true };
    const red: RedRecord = { dataset: 2, scheme: 'XOR', k: 1, members: [0, 1, 7], nodes: ['n0', 'n1', 'n7'], position: 0, chunk: 1, lens: [], filemaps: [], pieceSize: 1 };
    const report = (n: number): NodeReport => ({ node: `n${n}`, foreign: [], datasets: { 2: { rec, dir: `/c/${n}`, data: n === 0 ? [] : [1], red: [n], sets: [red], damaged: [] } } });
    const { decisions } = await distributed({ nodeOf, reports: new Map([['n0', report(0)], ['n1', report(1)]]), schemes: new Map([[2, 'XOR']]) });
    for (const d of decisions) assert.deepEqual([d.plans.length, d.drops.map((x) => x.id)], [0, [2]]);
    assert.match(decisions[0]!.drops[0]!.why, /XOR set of ranks 0,1,7 lost 2 member\(s\) \(ranks 0,7\)/);
  });

  it('a dataset whose id is negative (a stray directory name) is still decided, here dropped as incomplete', async () => {
    const nodeOf = ['n0'];
    const rec: DatasetRecord = { id: -3, name: 'x', flags: { checkpoint: true, output: false }, created: 0, store: '/c', descriptor: 0, ranks: 1, complete: false };
    const { decisions } = await distributed({ nodeOf, reports: new Map([['n0', { node: 'n0', foreign: [], datasets: { '-3': { rec, dir: '/c/x', data: [0], red: [], sets: [], damaged: [] } } }]]), schemes: new Map() });
    assert.deepEqual(decisions[0]!.drops.map((x) => [x.id, x.why]), [[-3, 'incomplete (the job stopped while writing it)']]);
  });
});
