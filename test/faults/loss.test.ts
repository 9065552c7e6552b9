// The fault suite's node-loss families (issue 10): whole nodes lost between a write launch and a
// restart launch, on private node storage (test/harness/nodes.ts), many cases per launch.
//
//  A  every subset of lost nodes, up to one more than the scheme survives: SINGLE, PARTNER, XOR on
//     4 nodes, RS k=2 on 5, RS k=3 on 6 (1 rank per node), with SCR_FLUSH=0 (the older cached
//     checkpoint shares the loss: nothing is restored, and the drops name the set and lost ranks)
//     and SCR_FLUSH=1 (the flushed newest checkpoint is fetched from the prefix); and an older
//     cached checkpoint of a stronger scheme that survives a loss the newest does not
//  B  two ranks per node (8 ranks on 4 nodes, by block and round robin): a lost node loses two
//     ranks of different sets (XOR, PARTNER)
//  C  spares in place of lost nodes, a spare lost again at a third launch, healthy nodes left out
//     of the relaunch, and ranks moved between surviving nodes (each file's bytes checked where
//     it lands)
//  D  nodes with another SCR_CACHE_BASE and/or SCR_CNTL_BASE: no loss, the odd node lost, another
//     node lost, per scheme; moved to and from such a node
//  E  spares missing from GROUPS= lines with SCR_GROUP=RACK: a group of their own, with a warning
//  F  data shapes: zero-length files, many files per rank, sizes that differ a lot between ranks,
//     reused paths ('same') vs per-checkpoint directories
//
// The expected outcome of each case comes from this file's own model of the sets (ranks grouped
// by failure group, lines across the groups, one set per line here, a ring in rank order) and of
// what each scheme survives; it does not use the library's. Every case asserts, by CRC (the
// fixture checks every byte it reads), that every rank got exactly the bytes of the expected
// checkpoint back, or nothing plus the messages naming what was lost; and, where a checkpoint was
// restored, that each rank's files now sit in its own node's cache with exactly those bytes.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { MpiFlavour } from '../../src/native/paths.js';
import {
  assertCase, type CaseReport, ckptName, checkOutcome, type DataSpec, type Expectation, type FaultCase, FaultSuite, fileBytes,
  type RankResult, runCases,
} from '../harness/faults.js';
import { flavoursBuilt } from '../harness/launch.js';
import { privateNodesMissing } from '../harness/nodes.js';
import { skipBecause } from '../harness/skip.js';

const missing = privateNodesMissing();

type Scheme = 'SINGLE' | 'PARTNER' | 'XOR' | 'RS';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const nodeNames = (n: number) => range(n).map((i) => `n${i}`);
/** A regex that needs every part, in any order. */
const all = (...parts: string[]) => new RegExp(parts.map((p) => `(?=[^]*${p})`).join(''));

/** Every subset of `items` with at most `max` members, smallest first. */
function subsets<T>(items: T[], max: number): T[][] {
  const out: T[][] = [];
  for (let mask = 0; mask < 1 << items.length; mask++) {
    const s = items.filter((_, i) => mask & (1 << i));
    if (s.length <= max) out.push(s);
  }
  return out.sort((a, b) => a.length - b.length || a.join().localeCompare(b.join()));
}

// ---------------------------------------------------------------------------------------------
// The model: sets, and what each scheme survives.

interface ModelSet { members: number[]; scheme: Scheme; k: number }

/** The sets of a job: ranks grouped by failure group (in order of their lowest rank), lines of
 * the i-th rank of each group, each line cut into sets of at least `setSize` members (SCR_SET_SIZE,
 * default 8; the remainder spread over the first sets); a set too small for its scheme is weaker
 * (RS needs more than k members, XOR and PARTNER two); all ranks in one group: SINGLE. */
function modelSets(groupOf: string[], scheme: Scheme, k: number, setSize = 8): ModelSet[] {
  const order: string[] = [];
  const byGroup = new Map<string, number[]>();
  groupOf.forEach((g, r) => { if (!byGroup.has(g)) { byGroup.set(g, []); order.push(g); } byGroup.get(g)!.push(r); });
  const lines: number[][] = [];
  for (const g of order) byGroup.get(g)!.forEach((r, i) => (lines[i] ??= []).push(r));
  const cut: number[][] = [];
  for (const line of lines) {
    const count = Math.max(1, Math.floor(line.length / setSize));
    let at = 0;
    for (let i = 0; i < count; i++) {
      const size = Math.floor(line.length / count) + (i < line.length % count ? 1 : 0);
      cut.push(line.slice(at, at + size));
      at += size;
    }
  }
  const oneGroup = order.length === 1;
  return cut.map((members) => {
    const n = members.length;
    if (scheme === 'SINGLE' || oneGroup) return { members, scheme: 'SINGLE', k: 0 };
    if (scheme === 'RS' && n > k) return { members, scheme, k };
    if ((scheme === 'RS' || scheme === 'XOR') && n >= 2) return { members, scheme: 'XOR', k: 1 };
    if (n >= 2) return { members, scheme: 'PARTNER', k: 0 };
    return { members, scheme: 'SINGLE', k: 0 };
  });
}

/** Whether a set survives losing the members at positions `lost` (a ring in member order). */
function survives(s: ModelSet, lost: number[]): boolean {
  const n = s.members.length;
  if (lost.length === 0) return true;
  switch (s.scheme) {
    case 'SINGLE': return false;
    // Each member keeps a copy of its left neighbour's files: two ring neighbours lost together
    // take one member's only copy with them.
    case 'PARTNER': return lost.length < n && lost.every((p) => !lost.includes((p + 1) % n));
    case 'XOR': return lost.length <= 1;
    case 'RS': return lost.length <= s.k;
  }
}

interface Prediction {
  ok: boolean;
  /** Ranks rebuilt (set by set, in set order), and the scheme named in the message. */
  rebuilt: number[];
  scheme: Scheme | null;
  /** Why the dataset is dropped (regex source, after "dataset N (ckpt.N): "). */
  why: string | null;
  /** A whole set was lost (every member). */
  wholeSet?: boolean;
}

function predict(sets: ModelSet[], lostRanks: Set<number>): Prediction {
  const bySet = [...sets].sort((a, b) => a.members[0]! - b.members[0]!);
  // A rank with no redundancy (SINGLE) whose files are gone is named first, the lowest one.
  const bare = bySet.filter((s) => s.scheme === 'SINGLE').flatMap((s) => s.members).filter((r) => lostRanks.has(r)).sort((a, b) => a - b);
  if (bare.length) return { ok: false, rebuilt: [], scheme: null, why: `the files of rank ${bare[0]} are gone or damaged and no redundancy covers them` };
  for (const s of bySet) {
    const lost = s.members.map((r, p) => (lostRanks.has(r) ? p : -1)).filter((p) => p >= 0);
    if (lost.length === s.members.length) {
      // Every member lost: no record of the set is left to read, but the drop must still name
      // the ranks lost with it, and not claim that no redundancy covered them (it did).
      return { ok: false, rebuilt: [], scheme: null, why: `[^\\n]*\\b${s.members.join(',')}\\b`, wholeSet: true };
    }
    if (!survives(s, lost)) {
      return { ok: false, rebuilt: [], scheme: null, why: `${s.scheme} set of ranks ${s.members.join(',')} lost ${lost.length} member\\(s\\) \\(ranks ${lost.map((p) => s.members[p]).join(',')}\\), more than it can restore` };
    }
  }
  const hit = bySet.filter((s) => s.members.some((r) => lostRanks.has(r)));
  return { ok: true, rebuilt: hit.flatMap((s) => s.members.filter((r) => lostRanks.has(r))), scheme: hit[0]?.scheme ?? null, why: null };
}

const rebuiltMsg = (ckpt: number, p: Prediction) => `rebuilt dataset ckpt\\.${ckpt}: files of rank\\(s\\) ${p.rebuilt.join(',')} restored from ${p.scheme} redundancy`;
const droppedMsg = (ckpt: number, p: Prediction) => `cache: dropped dataset ${ckpt} \\(ckpt\\.${ckpt}\\): ${p.why}`;

// ---------------------------------------------------------------------------------------------
// Cases.

/** A case with what this file checks beyond the Expectation. */
interface LossCase extends FaultCase {
  /** Shown in the test title after the id. */
  title: string;
  /** stderr of the restart must NOT match these (e.g. no drop when the loss is recoverable). */
  absent?: RegExp[];
  /** The prefix's event log must show a FETCH of this checkpoint (it came from the prefix), or
   * none at all (false: it came from the cache). */
  fetched?: string | false;
  /** Where each rank runs at the restart; with `placed`, each restored rank's files must be in
   * its node's cache with the restored checkpoint's bytes, and no other rank's files there. */
  placement?: string[];
  placed?: boolean;
  /** Every rank must have written these checkpoints after the restart (thenWrite). */
  wroteAfter?: string[];
  /** Extra checks after the restart launch: problems found. */
  after?: (suite: FaultSuite, rep: CaseReport) => string[];
  /** A third launch (see Batch.again): nodes emptied first, then a restart on `on`. */
  again?: { lose: string[]; on: string[]; expect: Expectation; absent?: RegExp[] };
}

/** The schemes as settings. */
interface SchemeRun { scheme: Scheme; k: number; tag: string; env: Record<string, string> }
const SINGLE: SchemeRun = { scheme: 'SINGLE', k: 0, tag: 'single', env: { SCR_COPY_TYPE: 'SINGLE' } };
const PARTNER: SchemeRun = { scheme: 'PARTNER', k: 0, tag: 'partner', env: { SCR_COPY_TYPE: 'PARTNER' } };
const XOR: SchemeRun = { scheme: 'XOR', k: 1, tag: 'xor', env: { SCR_COPY_TYPE: 'XOR' } };
const RS2: SchemeRun = { scheme: 'RS', k: 2, tag: 'rs2', env: { SCR_COPY_TYPE: 'RS', SCR_SET_FAILURES: '2' } };
const RS3: SchemeRun = { scheme: 'RS', k: 3, tag: 'rs3', env: { SCR_COPY_TYPE: 'RS', SCR_SET_FAILURES: '3' } };
const schemeTitle = (s: SchemeRun) => (s.scheme === 'RS' ? `RS k=${s.k}` : s.scheme);

interface LossSpec {
  id: string;
  scheme: SchemeRun;
  /** Where each rank runs when writing, and at the restart (default: the same). */
  nodes: string[];
  restartOn?: string[];
  /** Nodes emptied between the launches (besides those the restart leaves out). */
  lose: string[];
  flush: 0 | 1;
  data: DataSpec;
  /** Failure group of each node (SCR_GROUP=RACK with GROUPS= lines); default: by node. */
  groupOf?: (node: string) => string;
  env?: Record<string, string>;
  nodeEnv?: Record<string, Record<string, string>>;
  restart?: LossCase['restart'];
  /** Text for the title (what is special about the case). */
  note?: string;
}

/** A case and its expected outcome from the model. */
function lossCase(sp: LossSpec): LossCase {
  const on = sp.restartOn ?? sp.nodes;
  const gone = new Set([...sp.lose, ...sp.nodes.filter((n) => !on.includes(n))]);
  const lostRanks = new Set(sp.nodes.map((n, r) => (gone.has(n) ? r : -1)).filter((r) => r >= 0));
  const setSize = Number(sp.env?.SCR_SET_SIZE ?? sp.scheme.env.SCR_SET_SIZE ?? 8);
  const sets = modelSets(sp.nodes.map((n) => (sp.groupOf ? sp.groupOf(n) : n)), sp.scheme.scheme, sp.scheme.k, setSize);
  const p = predict(sets, lostRanks);
  const newest = (sp.data.first ?? 1) + sp.data.ckpts - 1;
  const name = ckptName(newest);
  const what = [...sp.lose.map((n) => (on.includes(n) ? `lose ${n}` : `lose ${n} (not in the relaunch)`)),
    ...sp.nodes.filter((n, i, a) => !on.includes(n) && !sp.lose.includes(n) && a.indexOf(n) === i).map((n) => `${n} healthy but left out`)].join(', ') || 'no loss';
  const outcome = p.ok ? (lostRanks.size ? `rank(s) ${p.rebuilt.join(',')} rebuilt` : 'restored as is') : sp.flush ? `dropped, the flushed ${name} fetched` : 'dropped, nothing left';
  const c: LossCase = {
    id: sp.id,
    title: `${schemeTitle(sp.scheme)}, SCR_FLUSH=${sp.flush}${sp.note ? `, ${sp.note}` : ''}, ${what}: ${outcome}`,
    env: { ...sp.scheme.env, SCR_FLUSH: String(sp.flush), ...sp.env },
    nodeEnv: sp.nodeEnv,
    data: sp.data,
    fault: (x) => { for (const n of sp.lose) x.loseNode(n); },
    restart: sp.restart,
    expect: { restored: name },
    placement: on,
    placed: true,
  };
  if (p.ok) {
    c.fetched = false;
    if (lostRanks.size) {
      c.expect.message = new RegExp(rebuiltMsg(newest, p));
      c.absent = [/dropped/, /marking .* failed/];
    } else {
      c.absent = [/dropped/, /rebuilt/, /damaged/];
    }
  } else {
    // Every cached checkpoint shares the loss: each is dropped, named with its set and lost ranks.
    const why = range(Math.min(sp.data.ckpts, 2)).map((i) => droppedMsg(newest - i, p));
    c.absent = [/rebuilt dataset/, ...(p.wholeSet ? [/no redundancy covers/] : [])];
    if (sp.flush) {
      c.expect = { restored: name, message: all(...why) };
      c.fetched = name;
    } else {
      // (`message`, not `orRefused`: with restored null, checkOutcome takes orRefused as an
      // alternative and would pass a refusal without any message.)
      c.expect = { restored: null, message: all(...why) };
      c.fetched = false;
    }
  }
  return c;
}

/** The matrix of family A (or B): every subset of the nodes up to one more than the scheme can
 * survive, each flush setting. */
function matrix(prefix: string, s: SchemeRun, nodes: string[], flushes: Array<0 | 1>, data: DataSpec, extra: Partial<LossSpec> = {}, keep: (lost: string[], flush: 0 | 1) => boolean = () => true): LossCase[] {
  const distinct = [...new Set(nodes)];
  const sets = modelSets(nodes, s.scheme, s.k);
  // How many nodes the scheme survives at most (one set per line, each node one member of each).
  const most = Math.max(...subsets(distinct, distinct.length).filter((l) => predict(sets, new Set(nodes.map((n, r) => (l.includes(n) ? r : -1)))).ok).map((l) => l.length));
  const out: LossCase[] = [];
  for (const flush of flushes) {
    for (const lost of subsets(distinct, most + 1)) {
      if (!keep(lost, flush)) continue;
      out.push(lossCase({ id: `${prefix}-${s.tag}-f${flush}-lost${lost.length ? lost.map((n) => n.slice(1)).join('') : 'none'}`, scheme: s, nodes, lose: lost, flush, data, ...extra }));
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checking beyond checkOutcome.

/** The FETCH events of a case's prefix log. */
function fetches(suite: FaultSuite, id: string): string[] {
  const log = suite.files(id, 'log')[0];
  if (!log) return [];
  return readFileSync(log.path, 'utf8').split('\n').filter((l) => / FETCH /.test(l)).map((l) => /name=(\S+)/.exec(l)?.[1] ?? '?');
}

/** Each rank's files of checkpoint `name` in its node's cache, with exactly its bytes; no other
 * rank's files of it on that node. */
function placedProblems(suite: FaultSuite, id: string, data: DataSpec, name: string, placement: string[]): string[] {
  const ckpt = Number(name.slice('ckpt.'.length));
  const problems: string[] = [];
  for (const node of new Set(placement)) {
    const here = placement.map((n, r) => (n === node ? r : -1)).filter((r) => r >= 0);
    const found = suite.files(id, 'data', { node, dataset: ckpt });
    for (const f of found) if (!here.includes(f.rank ?? -1)) problems.push(`node ${node} holds ${f.path}, of rank ${f.rank}, which runs on ${placement[f.rank ?? 0]}`);
    for (const r of here) {
      for (let i = 0; i < data.files; i++) {
        const f = found.find((x) => x.rank === r && x.file === i);
        if (!f) { problems.push(`rank ${r}'s file ${i} of ${name} is not in node ${node}'s cache`); continue; }
        if (!readFileSync(f.path).equals(fileBytes(data, ckpt, r, i))) problems.push(`${f.path} (rank ${r}'s file ${i} of ${name} on ${node}) does not hold the bytes written`);
      }
    }
  }
  return problems;
}

const stderrOf = (lines: Array<RankResult | undefined>) => lines.filter(Boolean).map((l) => l!.stderr).join('');

/** The checks of this file beyond checkOutcome, added to the case's problems. */
function extraChecks(suite: FaultSuite, c: LossCase, rep: CaseReport): void {
  const stderr = stderrOf(rep.restart);
  const problems: string[] = [];
  for (const a of c.absent ?? []) if (a.test(stderr)) problems.push(`stderr matches ${a}, which it must not: ${stderr.split('\n').find((l) => a.test(l))}`);
  if (c.fetched !== undefined) {
    const f = fetches(suite, c.id);
    if (c.fetched === false && f.length) problems.push(`the restart fetched ${f.join(', ')} from the prefix; expected it from the cache`);
    if (typeof c.fetched === 'string' && !f.includes(c.fetched)) problems.push(`the prefix's log shows no FETCH of ${c.fetched} (fetches: ${f.join(', ') || 'none'})`);
  }
  const restored = rep.outcome?.kind === 'restored' ? rep.outcome.restored : null;
  if (c.placed && c.placement && restored) problems.push(...placedProblems(suite, c.id, c.data, restored, c.placement));
  if (c.wroteAfter) {
    const want = JSON.stringify(c.wroteAfter.map((name) => ({ name, ok: true })));
    rep.restart.forEach((l, r) => { if (l && JSON.stringify(l.wrote) !== want) problems.push(`rank ${r} wrote ${JSON.stringify(l.wrote)} after the restart, expected ${want}`); });
  }
  if (c.after) problems.push(...c.after(suite, rep));
  if (problems.length) rep.problems.push(...problems, ...(rep.problems.some((p) => p.startsWith('stderr of the scenario')) ? [] : [`stderr of the restart:\n${stderr.slice(0, 2000) || '(empty)'}`]));
}

/** A batch of cases sharing the launches. */
interface Batch {
  title: string;
  nodes: string[];
  restartOn?: string[];
  cases: (root: string) => LossCase[];
}

function defineBatch(flavour: MpiFlavour, b: Batch): void {
  describe(b.title, () => {
    // Ids and titles do not depend on the job root (only paths inside the cases do).
    const named = b.cases('/ROOT');
    let suite: FaultSuite;
    let reports: Map<string, CaseReport>;
    before(async function () {
      if (missing) skipBecause(this, missing);
      suite = new FaultSuite(flavour);
      const cases = b.cases(suite.root);
      const t0 = performance.now();
      reports = await runCases(suite, cases, { nodes: b.nodes, restartOn: b.restartOn });
      for (const c of cases) extraChecks(suite, c, reports.get(c.id)!);
      await againLaunch(suite, cases.filter((c) => c.again), reports);
      if (process.env.LOSS_TIMES) console.log(`      [${cases.length} cases: ${((performance.now() - t0) / 1000).toFixed(1)} s]`);
    });
    after(() => suite?.cleanup());
    for (const c of named) it(`${c.id}: ${c.title}`, () => assertCase(reports.get(c.id)));
  });
}

/** Third launches (family C: a spare lost again): each case's nodes emptied, then one restart
 * launch per placement (`again.on`) for all the cases that use it. */
async function againLaunch(suite: FaultSuite, cases: LossCase[], reports: Map<string, CaseReport>): Promise<void> {
  for (const c of cases) for (const n of c.again!.lose) suite.loseCaseNode(c.id, n);
  const groups = new Map<string, LossCase[]>();
  for (const c of cases) groups.set(c.again!.on.join(), [...(groups.get(c.again!.on.join()) ?? []), c]);
  for (const group of groups.values()) {
    const on = group[0]!.again!.on;
    const l = await suite.launch(on, group.map((c) => suite.scenario(c.id, { kind: 'restart', data: c.data })));
    for (const c of group) {
      const rep = reports.get(c.id)!;
      const lines = l.results.get(c.id)!;
      const o = checkOutcome(lines, on.length, c.again!.expect);
      const problems = o.problems.map((p) => `third launch (on ${on.join(',')}): ${p}`);
      if (l.run.code !== 0 || l.run.timedOut) problems.push(`third launch: ${l.run.timedOut ? 'killed at its time limit' : `exited with ${l.run.code ?? l.run.signal}`}\n${l.run.stderr.slice(0, 2000)}`);
      const stderr = stderrOf(lines);
      for (const a of c.again!.absent ?? []) if (a.test(stderr)) problems.push(`third launch: stderr matches ${a}, which it must not: ${stderr.split('\n').find((x) => a.test(x))}`);
      if (o.kind === 'restored') problems.push(...placedProblems(suite, c.id, c.data, o.restored!, on).map((p) => `third launch: ${p}`));
      if (problems.length && !o.problems.length) problems.push(`third launch stderr:\n${stderr.slice(0, 2000) || '(empty)'}`);
      rep.problems.push(...problems);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The batches.

const DATA: DataSpec = { ckpts: 2, files: 2, bytes: 2000, seed: 7 };
const N4 = nodeNames(4);

/** Data shapes of family F. */
const SHAPES: Array<{ tag: string; note: string; data: DataSpec }> = [
  { tag: 'zero', note: 'file 1 of 3 is empty', data: { ckpts: 2, files: 3, bytes: 1500, seed: 21, zeroFile: 1 } },
  { tag: 'allzero', note: 'every file empty', data: { ckpts: 2, files: 1, bytes: 1500, seed: 22, zeroFile: 0 } },
  { tag: 'many', note: '24 files per rank', data: { ckpts: 2, files: 24, bytes: 150, seed: 23 } },
  { tag: 'skew', note: 'one file of 6 to 122 bytes (rank 0 smallest, 20x apart)', data: { ckpts: 2, files: 1, bytes: 1, seed: 24 } },
  { tag: 'skew0', note: 'an empty file and two of 18 to 147 bytes', data: { ckpts: 2, files: 3, bytes: 0, seed: 25, zeroFile: 0 } },
];

/** Family F on 4 nodes (same names at the restart), both layouts. */
function shapeCases(): LossCase[] {
  const out: LossCase[] = [];
  for (const sh of SHAPES) {
    for (const layout of ['dirs', 'same'] as const) {
      const data: DataSpec = { ...sh.data, layout };
      const note = `${sh.note}, layout ${layout}`;
      const id = (s: string) => `F-${sh.tag}-${layout}-${s}`;
      out.push(
        lossCase({ id: id('xor-lost1'), scheme: XOR, nodes: N4, lose: ['n1'], flush: 0, data, note }),
        lossCase({ id: id('partner-lost02'), scheme: PARTNER, nodes: N4, lose: ['n0', 'n2'], flush: 0, data, note }),
        lossCase({ id: id('rs2-lost13'), scheme: RS2, nodes: N4, lose: ['n1', 'n3'], flush: 0, data, note }),
        // Unrecoverable, flushed: with 'same', ckpt.1's flushed files were replaced by ckpt.2's.
        lossCase({ id: id('xor-f1-lost12'), scheme: XOR, nodes: N4, lose: ['n1', 'n2'], flush: 1, data, note }),
      );
    }
  }
  return out;
}

/** Family D: per-node cache and control bases. */
interface PathVariant { tag: string; note: string; odd: string[]; env: (root: string) => Record<string, Record<string, string>> }
const PATHS: PathVariant[] = [
  { tag: 'c0', note: 'n0 (rank 0) caches in cacheB', odd: ['n0'], env: (root) => ({ n0: { SCR_CACHE_BASE: join(root, 'local', 'cacheB') } }) },
  { tag: 'k2', note: 'n2 keeps its control files in cntlB', odd: ['n2'], env: (root) => ({ n2: { SCR_CNTL_BASE: join(root, 'local', 'cntlB') } }) },
  { tag: 'ck13', note: 'n1 has cacheB and cntlB, n3 cacheC', odd: ['n1', 'n3'], env: (root) => ({
    n1: { SCR_CACHE_BASE: join(root, 'local', 'cacheB'), SCR_CNTL_BASE: join(root, 'local', 'cntlB') },
    n3: { SCR_CACHE_BASE: join(root, 'local', 'cacheC') },
  }) },
];

function pathCases(root: string, schemes: SchemeRun[], nodes: string[]): LossCase[] {
  const out: LossCase[] = [];
  for (const s of schemes) {
    for (const v of PATHS) {
      const other = nodes.find((n) => !v.odd.includes(n) && n !== 'n0') ?? 'n2';
      const losses: Array<{ tag: string; lose: string[] }> = [
        { tag: 'none', lose: [] },
        { tag: 'odd', lose: [v.odd[0]!] },
        { tag: 'other', lose: [other] },
      ];
      // Two odd nodes lost together, where the scheme survives two (non-neighbours for PARTNER).
      if (v.odd.length === 2 && (s.scheme === 'PARTNER' || (s.scheme === 'RS' && s.k >= 2))) losses.push({ tag: 'odds', lose: v.odd });
      for (const l of losses) {
        out.push(lossCase({ id: `D-${s.tag}-${v.tag}-lost${l.tag}`, scheme: s, nodes, lose: l.lose, flush: 0, data: DATA, nodeEnv: v.env(root), note: v.note }));
      }
    }
  }
  return out;
}

/** The GROUPS= configuration of family E (a file under the job root, shared by every node). */
function groupsConf(root: string, tag: string, racks: Record<string, string>): string {
  const path = join(root, `groups-${tag}.conf`);
  if (root !== '/ROOT' && !existsSync(path)) writeFileSync(path, `${Object.entries(racks).map(([n, r]) => `GROUPS=${n} RACK=${r}`).join('\n')}\n`);
  return path;
}

const warnNoRack = (node: string) => `failure group RACK: node ${node} has no GROUPS line giving it a RACK value, so it forms a group of its own`;

for (const flavour of flavoursBuilt()) {
  const full = flavour === 'openmpi';
  describe(`fault suite: node loss, ${flavour}`, function () {
    this.timeout(900_000);
    before(function () { if (missing) { console.log(`      skipped: ${missing}`); this.skip(); } });

    // ---- 4 nodes, restarted on the same names: A (SINGLE, PARTNER, XOR), D, F, older fallback.
    defineBatch(flavour, {
      title: 'A, D, F on 4 nodes: SINGLE, PARTNER, XOR, every loss up to one more than each survives; other cache paths; data shapes',
      nodes: N4,
      cases: (root) => {
        if (!full) {
          return [
            ...matrix('A', XOR, N4, [0, 1], DATA, {}, (l, f) => f === 0 || ['', 'n1', 'n1,n2'].includes(l.join())),
            ...matrix('A', PARTNER, N4, [0], DATA, {}, (l) => l.length === 2),
            ...matrix('A', SINGLE, N4, [0, 1], DATA, {}, (l) => l.length === 0 || l[0] === 'n0'),
            ...pathCases(root, [XOR], N4).filter((c) => c.id.includes('-c0-')),
            ...shapeCases().filter((c) => /^F-(zero|skew)-dirs-xor-lost1$/.test(c.id)),
          ];
        }
        const conf = join(root, 'ckpt-descriptors.conf');
        if (root !== '/ROOT' && !existsSync(conf)) writeFileSync(conf, 'CKPT=0 INTERVAL=1 TYPE=SINGLE\nCKPT=1 INTERVAL=2 TYPE=XOR\n');
        // Three checkpoints, ckpt.2 XOR, ckpt.3 SINGLE (SCR_CACHE_SIZE=2: ckpt.1 is evicted).
        const fallback = (id: string, lose: string[], flush: 0 | 1): LossCase => {
          const c = lossCase({ id, scheme: SINGLE, nodes: N4, lose, flush, data: { ...DATA, ckpts: 3 }, env: { SCR_COPY_TYPE: 'FILE', SCR_CONF_FILE: conf }, note: 'ckpt.2 is XOR, ckpt.3 SINGLE' });
          c.title = c.title.replace(/^SINGLE/, 'CKPT descriptors');
          const ranks = N4.map((n, r) => (lose.includes(n) ? r : -1)).filter((r) => r >= 0);
          const drop3 = `cache: dropped dataset 3 \\(ckpt\\.3\\): the files of rank ${ranks[0]} are gone or damaged and no redundancy covers them`;
          if (lose.length === 0) return c;
          if (lose.length === 1 && !flush) {
            c.title = c.title.replace(/: .*?$/, ': ckpt.3 dropped, the older cached ckpt.2 rebuilt');
            c.expect = { restored: 'ckpt.2', message: all(drop3, `rebuilt dataset ckpt\\.2: files of rank\\(s\\) ${ranks[0]} restored from XOR redundancy`) };
            c.absent = [/dropped dataset 2/];
          } else if (lose.length === 1) {
            // ckpt.2 survives in cache, but the flushed ckpt.3 on the prefix is newer.
            c.title = c.title.replace(/: .*?$/, ': ckpt.3 dropped from cache and fetched (newer than the rebuilt ckpt.2)');
            c.expect = { restored: 'ckpt.3', message: all(drop3, `rebuilt dataset ckpt\\.2`) };
            c.absent = [/dropped dataset 2/];
          } else {
            const drop2 = `cache: dropped dataset 2 \\(ckpt\\.2\\): XOR set of ranks 0,1,2,3 lost 2 member\\(s\\) \\(ranks ${ranks.join(',')}\\), more than it can restore`;
            c.expect = flush ? { restored: 'ckpt.3', message: all(drop3, drop2) } : { restored: null, message: all(drop3, drop2) };
          }
          return c;
        };
        return [
          ...matrix('A', SINGLE, N4, [0, 1], DATA),
          ...matrix('A', PARTNER, N4, [0, 1], DATA),
          ...matrix('A', XOR, N4, [0, 1], DATA),
          fallback('A-older-f0-lostnone', [], 0),
          fallback('A-older-f0-lost1', ['n1'], 0),
          fallback('A-older-f0-lost3', ['n3'], 0),
          fallback('A-older-f0-lost12', ['n1', 'n2'], 0),
          fallback('A-older-f1-lost0', ['n0'], 1),
          fallback('A-older-f1-lost23', ['n2', 'n3'], 1),
          ...pathCases(root, [SINGLE, PARTNER, XOR, RS2], N4),
          ...shapeCases(),
        ];
      },
    });

    // ---- RS k=2 on 5 nodes (MPICH: the losses of none, or n0 and up to two more).
    defineBatch(flavour, {
      title: 'A: RS k=2 on 5 nodes, every loss of up to 3 nodes',
      nodes: nodeNames(5),
      // Flushed variants with no loss and beyond the limit (3 nodes): the newest is fetched.
      cases: () => matrix('A', RS2, nodeNames(5), [0, 1], DATA, {}, (l, f) => (full ? f === 0 || l.length === 0 || l.length === 3 : (l.length === 0 || (l[0] === 'n0' && l.length >= 2)) && (f === 0 || l.join() === 'n0,n2,n4'))),
    });

    if (full) {
      // ---- RS k=3 on 6 nodes.
      defineBatch(flavour, {
        title: 'A: RS k=3 on 6 nodes, every loss of up to 4 nodes; XOR and RS k=2 in sets of 3',
        nodes: nodeNames(6),
        // Flushed variants where the loss is beyond the limit (4 nodes): the newest is fetched.
        cases: () => {
          const six = nodeNames(6);
          const d6: DataSpec = { ...DATA, bytes: 1200 };
          // SCR_SET_SIZE=3: two sets per line, 0,1,2 and 3,4,5; each survives its own losses.
          const small = (s: SchemeRun, lose: string[]) => lossCase({ id: `A-${s.tag}-size3-lost${lose.map((n) => n.slice(1)).join('') || 'none'}`, scheme: s, nodes: six, lose, flush: 0, data: d6, env: { SCR_SET_SIZE: '3' }, note: 'SCR_SET_SIZE=3 (sets 0,1,2 and 3,4,5)' });
          return [
            ...matrix('A', RS3, six, [0, 1], d6, {}, (l, f) => f === 0 || l.length === 4),
            ...[[], ['n1'], ['n1', 'n4'], ['n0', 'n5'], ['n1', 'n2'], ['n3', 'n5'], ['n0', 'n2', 'n4']].map((l) => small(XOR, l)),
            ...[['n0', 'n1', 'n3', 'n4'], ['n2', 'n5'], ['n0', 'n1', 'n2'], ['n1', 'n3', 'n4', 'n5']].map((l) => small(RS2, l)),
          ];
        },
      });
    }

    // ---- B: 8 ranks on 4 nodes (MPICH: a sample).
    const block = ['n0', 'n0', 'n1', 'n1', 'n2', 'n2', 'n3', 'n3'];
    const rr = [...N4, ...N4];
    const small: DataSpec = { ckpts: 2, files: 1, bytes: 1500, seed: 31 };
    const sample = (l: string[]) => full || ['n1', 'n1,n3', 'n1,n2', 'n0,n2,n3'].includes(l.join());
    defineBatch(flavour, {
      title: 'B: 2 ranks per node by block (sets 0,2,4,6 and 1,3,5,7): a lost node takes a member of each set',
      nodes: block,
      cases: () => [
        ...matrix('B-block', XOR, block, [0, 1], small, {}, (l, f) => sample(l) && (f === 0 || (l.length === 2 && l.includes('n1')))),
        ...matrix('B-block', PARTNER, block, [0, 1], small, {}, (l, f) => sample(l) && (f === 0 || (l.length === 3 && l.includes('n0')))),
        // The dropped datasets' directories on a surviving node are deleted by its leader while
        // the other rank there may already fetch ckpt.2 into scr.dataset.2, the directory of the
        // dropped dataset of the same id. Made likely: the dropped ckpt.1 is slow to delete on
        // one surviving node other than rank 0's (20000 more small files in its directory, as a
        // large dataset on a slow disk would be). The other rank of that node (7 on n3, 3 on n1)
        // hears rank 0's broadcasts through ranks 1 and 3 (Open MPI), not through its node's
        // leader, so it reaches the fetch while the leader is still deleting: it must not copy
        // ckpt.2 into scr.dataset.2 there only to have it deleted.
        ...[XOR, PARTNER].map((s) => {
          const l = s === XOR ? ['n1', 'n2'] : ['n0', 'n2', 'n3'];
          const slow = s === XOR ? 'n3' : 'n1';
          const c = lossCase({ id: `B-block-${s.tag}-f1-slowrm-lost${l.map((n) => n.slice(1)).join('')}`, scheme: s, nodes: block, lose: l, flush: 1, data: small, note: `the dropped ckpt.1 slow to delete on ${slow}` });
          c.fault = (x) => {
            for (const n of l) x.loseNode(n);
            const dir = join(dirname(x.file('data', { node: slow, dataset: 1, rank: block.indexOf(slow), file: 0 }).path), 'bulk');
            mkdirSync(dir);
            for (let i = 0; i < 20000; i++) writeFileSync(join(dir, String(i)), '');
          };
          return c;
        }),
      ],
    });

    if (full) {
      // Round robin, and n1 (ranks 1 and 5) replaced by the spare n4.
      const rrSpare = rr.map((n) => (n === 'n1' ? 'n4' : n));
      defineBatch(flavour, {
        title: 'B, C: 2 ranks per node round robin (sets 0,1,2,3 and 4,5,6,7), n1 replaced by the spare n4',
        nodes: rr,
        restartOn: rrSpare,
        cases: () => {
          const on = { nodes: rr, restartOn: rrSpare, data: small, note: 'ranks r and r+4 on n(r)' };
          return [
            lossCase({ id: 'B-rr-xor-lost1', scheme: XOR, ...on, lose: ['n1'], flush: 0 }),
            lossCase({ id: 'B-rr-xor-left1', scheme: XOR, ...on, lose: [], flush: 0 }),
            lossCase({ id: 'B-rr-xor-lost13', scheme: XOR, ...on, lose: ['n1', 'n3'], flush: 0 }),
            lossCase({ id: 'B-rr-xor-f1-lost10', scheme: XOR, ...on, lose: ['n1', 'n0'], flush: 1 }),
            lossCase({ id: 'B-rr-partner-lost1', scheme: PARTNER, ...on, lose: ['n1'], flush: 0 }),
            lossCase({ id: 'B-rr-partner-lost13', scheme: PARTNER, ...on, lose: ['n1', 'n3'], flush: 0 }),
            lossCase({ id: 'B-rr-partner-lost12', scheme: PARTNER, ...on, lose: ['n1', 'n2'], flush: 0 }),
            lossCase({ id: 'B-rr-partner-lost103', scheme: PARTNER, ...on, lose: ['n1', 'n0', 'n3'], flush: 0 }),
            lossCase({ id: 'B-rr-partner-f1-lost123', scheme: PARTNER, ...on, lose: ['n1', 'n2', 'n3'], flush: 1 }),
          ];
        },
      });
    }

    // ---- C, D, E, F with one spare: n1 replaced by n4.
    const spare1 = ['n0', 'n4', 'n2', 'n3'];
    defineBatch(flavour, {
      title: 'C, D, E, F: n1 replaced by the spare n4',
      nodes: N4,
      restartOn: spare1,
      cases: (root) => {
        const on = { restartOn: spare1, nodes: N4 };
        const cacheB = join(root, 'local', 'cacheB');
        const racks1 = groupsConf(root, 'each', { n0: 'a', n1: 'b', n2: 'c', n3: 'd' });
        const racks2 = groupsConf(root, 'pairs', { n0: 'a', n1: 'a', n2: 'b', n3: 'b' });
        const groupE = (conf: string, racks: Record<string, string>) => ({ env: { SCR_GROUP: 'RACK', SCR_CONF_FILE: conf }, groupOf: (n: string) => racks[n] ?? n, restart: { thenWrite: 1 } });
        const withE = (c: LossCase, warnAlso: string[] = []): LossCase => {
          // The warning comes when the sets are formed again: writing ckpt.3 after the restart.
          c.expect.message = all(...[c.expect.message?.source ?? '', warnNoRack('n4'), ...warnAlso].filter(Boolean));
          c.wroteAfter = ['ckpt.3'];
          c.after = (suite) => {
            // ckpt.3 is protected with n4 in the sets: its redundancy data of rank 1 is there.
            const red = suite.files(c.id, 'redData', { node: 'n4', dataset: 3, rank: 1 });
            return red.length === 1 ? [] : [`no redundancy data of rank 1 for ckpt.3 on n4 (found ${red.length})`];
          };
          return c;
        };
        const core: LossCase[] = [
          ...[SINGLE, PARTNER, XOR, RS2].flatMap((s) => [
            lossCase({ id: `C-spare-${s.tag}-lost1`, scheme: s, ...on, lose: ['n1'], flush: 0, data: DATA }),
            lossCase({ id: `C-spare-${s.tag}-left1`, scheme: s, ...on, lose: [], flush: 0, data: DATA}),
          ]),
          lossCase({ id: 'C-spare-single-f1-lost1', scheme: SINGLE, ...on, lose: ['n1'], flush: 1, data: DATA }),
          lossCase({ id: 'C-spare-partner-lost1-3', scheme: PARTNER, ...on, lose: ['n1', 'n3'], flush: 0, data: DATA }),
          lossCase({ id: 'C-spare-partner-lost1-2', scheme: PARTNER, ...on, lose: ['n1', 'n2'], flush: 0, data: DATA }),
          lossCase({ id: 'C-spare-xor-lost1-0', scheme: XOR, ...on, lose: ['n1', 'n0'], flush: 0, data: DATA }),
          lossCase({ id: 'C-spare-xor-f1-lost1-0', scheme: XOR, ...on, lose: ['n1', 'n0'], flush: 1, data: DATA }),
          lossCase({ id: 'C-spare-rs2-lost1-3', scheme: RS2, ...on, lose: ['n1', 'n3'], flush: 0, data: DATA }),
          lossCase({ id: 'C-spare-rs2-lost1-2-3', scheme: RS2, ...on, lose: ['n1', 'n2', 'n3'], flush: 0, data: DATA }),
          // D: the lost node had its own cache base, the spare the default; or the spare is odd.
          lossCase({ id: 'D-spare-xor-lostB', scheme: XOR, ...on, lose: ['n1'], flush: 0, data: DATA, nodeEnv: { n1: { SCR_CACHE_BASE: cacheB } }, note: 'the lost n1 cached in cacheB' }),
          lossCase({ id: 'D-spare-partner-spareB', scheme: PARTNER, ...on, lose: ['n1'], flush: 0, data: DATA, nodeEnv: { n4: { SCR_CACHE_BASE: cacheB, SCR_CNTL_BASE: join(root, 'local', 'cntlB') } }, note: 'the spare n4 has cacheB and cntlB' }),
          lossCase({ id: 'D-spare-rs2-n0B-spareC', scheme: RS2, ...on, lose: ['n1', 'n2'], flush: 0, data: DATA, nodeEnv: { n0: { SCR_CACHE_BASE: cacheB }, n4: { SCR_CACHE_BASE: join(root, 'local', 'cacheC') } }, note: 'n0 caches in cacheB, the spare n4 in cacheC' }),
          // E: racks from GROUPS= lines; the spare has none.
          withE(lossCase({ id: 'E-xor-rack-each-lost1', scheme: XOR, ...on, lose: ['n1'], flush: 0, data: DATA, ...groupE(racks1, { n0: 'a', n1: 'b', n2: 'c', n3: 'd' }), note: 'one rack per node, the spare in none' })),
          withE(lossCase({ id: 'E-partner-rack-each-lost1', scheme: PARTNER, ...on, lose: ['n1'], flush: 0, data: DATA, ...groupE(racks1, { n0: 'a', n1: 'b', n2: 'c', n3: 'd' }), note: 'one rack per node, the spare in none' })),
          // Unrecoverable in cache, fetched from the prefix: the fetch protects ckpt.2 again, with
          // the spare in a group of its own.
          (() => {
            const c = lossCase({ id: 'E-xor-rack-each-f1-lost01', scheme: XOR, ...on, lose: ['n1', 'n0'], flush: 1, data: DATA, ...groupE(racks1, { n0: 'a', n1: 'b', n2: 'c', n3: 'd' }), restart: undefined, note: 'one rack per node, the spare in none' });
            c.expect.message = all(c.expect.message!.source, warnNoRack('n4'));
            return c;
          })(),
          withE(lossCase({ id: 'E-rs2-rack-each-lost1', scheme: RS2, ...on, lose: ['n1'], flush: 0, data: DATA, ...groupE(racks1, { n0: 'a', n1: 'b', n2: 'c', n3: 'd' }), note: 'one rack per node, the spare in none' })),
          // Racks a={n0,n1}, b={n2,n3}: sets 0,2 and 1,3 of two members; the relaunch's groups a, n4, b
          // leave rank 3 alone in its line.
          withE(lossCase({ id: 'E-xor-rack-pairs-lost1', scheme: XOR, ...on, lose: ['n1'], flush: 0, data: DATA, ...groupE(racks2, { n0: 'a', n1: 'a', n2: 'b', n3: 'b' }), note: 'racks n0+n1 and n2+n3, the spare in none' }),
            ['set of ranks 3 has 1 member\\(s\\): too few for XOR, using SINGLE']),
        ];
        // F on the spare: the rebuilt files of each shape land on n4.
        const shapes = SHAPES.map((sh, i) => lossCase({ id: `F-spare-${sh.tag}-${i % 2 ? 'partner' : 'xor'}`, scheme: i % 2 ? PARTNER : XOR, ...on, lose: ['n1'], flush: 0, data: { ...sh.data, layout: i % 2 ? 'same' : 'dirs' }, note: `${sh.note}, layout ${i % 2 ? 'same' : 'dirs'}` }));
        // C: the spare lost again. A third launch on n0,n5,n2,n3 after n4 is emptied too; or one
        // on n0,n4,n5,n3 that rebuilds rank 2 (and 0) from what the spare n4 holds: the rebuilt
        // rank 1's redundancy data must be right too.
        const again = (id: string, s: SchemeRun, thenWrite: boolean, lose: string[], third: string[], expect: Expectation, note: string): LossCase => {
          const c = lossCase({ id, scheme: s, ...on, lose: ['n1'], flush: 0, data: DATA, restart: thenWrite ? { thenWrite: 1 } : undefined, note });
          if (thenWrite) c.wroteAfter = ['ckpt.3'];
          c.again = { lose, on: third, expect };
          c.title += `; then ${[...lose.map((n) => `${n} lost`), ...spare1.filter((n) => !third.includes(n)).map((n) => `${n} left out`)].join(', ')}, relaunch on ${third.join(',')}: ${expect.restored ?? 'nothing'}`;
          return c;
        };
        const next1 = ['n0', 'n5', 'n2', 'n3'];
        const next2 = ['n0', 'n4', 'n5', 'n3'];
        const rebuilt = (ck: number, ranks: string, sch: string) => new RegExp(`rebuilt dataset ckpt\\.${ck}: files of rank\\(s\\) ${ranks} restored from ${sch} redundancy`);
        const twice = [
          again('C-again-xor', XOR, false, ['n4'], next1, { restored: 'ckpt.2', message: rebuilt(2, '1', 'XOR') }, 'the rebuilt ckpt.2 rebuilt again'),
          again('C-again-xor-new', XOR, true, ['n4'], next1, { restored: 'ckpt.3', message: rebuilt(3, '1', 'XOR') }, 'ckpt.3 written on the spare'),
          again('C-again-partner', PARTNER, false, ['n4', 'n3'], next1, { restored: 'ckpt.2', message: rebuilt(2, '1,3', 'PARTNER') }, 'the rebuilt ckpt.2 rebuilt again'),
          again('C-again-rs2-new', RS2, true, ['n4', 'n0'], next1, { restored: 'ckpt.3', message: rebuilt(3, '0,1', 'RS') }, 'ckpt.3 written on the spare'),
          again('C-again-xor-2', XOR, false, ['n4', 'n2'], next1, { restored: null, message: /cache: dropped dataset 2 \(ckpt\.2\): XOR set of ranks 0,1,2,3 lost 2 member\(s\) \(ranks 1,2\), more than it can restore/ }, 'the rebuilt ckpt.2'),
          again('C-again-xor-parity', XOR, false, [], next2, { restored: 'ckpt.2', message: rebuilt(2, '2', 'XOR') }, 'rank 1 rebuilt on n4'),
          again('C-again-xor-parity-new', XOR, true, [], next2, { restored: 'ckpt.3', message: rebuilt(3, '2', 'XOR') }, 'ckpt.3 written on the spare'),
          again('C-again-partner-copy', PARTNER, false, ['n0'], next2, { restored: 'ckpt.2', message: rebuilt(2, '0,2', 'PARTNER') }, 'rank 1 (the copy of rank 0) rebuilt on n4'),
          again('C-again-rs2-parity', RS2, false, ['n0'], next2, { restored: 'ckpt.2', message: rebuilt(2, '0,2', 'RS') }, 'rank 1 rebuilt on n4'),
        ];
        for (const c of twice) c.again!.absent = c.again!.expect.restored ? [/dropped/] : [/rebuilt dataset/];
        if (!full) return [...core.filter((c) => /-(xor|partner)-lost1$|^E-xor-rack-each|^D-spare-xor/.test(c.id)), twice[0]!, twice[4]!];
        return [...core, ...shapes, ...twice];
      },
    });

    if (full) {
      // ---- Two spares for n0 and n1: a rack lost whole (family E), PARTNER neighbours, RS k=2.
      const spare2 = ['n4', 'n5', 'n2', 'n3'];
      defineBatch(flavour, {
        title: 'C, E: n0 and n1 replaced by the spares n4 and n5',
        nodes: N4,
        restartOn: spare2,
        cases: (root) => {
          const on = { restartOn: spare2, nodes: N4 };
          const pairs = { n0: 'a', n1: 'a', n2: 'b', n3: 'b' };
          const conf = groupsConf(root, 'pairs', pairs);
          const rack = (c: LossCase): LossCase => {
            c.expect.message = all(c.expect.message!.source, warnNoRack('n4'), warnNoRack('n5'));
            c.wroteAfter = [c.expect.restored === null ? 'ckpt.1' : 'ckpt.3'];
            return c;
          };
          const e = { env: { SCR_GROUP: 'RACK', SCR_CONF_FILE: conf }, groupOf: (n: string) => pairs[n as keyof typeof pairs] ?? n, restart: { thenWrite: 1 } };
          return [
            ...[SINGLE, PARTNER, XOR, RS2].map((s) => lossCase({ id: `C-spare2-${s.tag}-lost01`, scheme: s, ...on, lose: ['n0', 'n1'], flush: 0, data: DATA })),
            lossCase({ id: 'C-spare2-partner-f1-lost01', scheme: PARTNER, ...on, lose: ['n0', 'n1'], flush: 1, data: DATA }),
            lossCase({ id: 'C-spare2-rs2-lost012', scheme: RS2, ...on, lose: ['n0', 'n1', 'n2'], flush: 0, data: DATA }),
            // The rack a (n0, n1) lost whole: each set of two (0,2 and 1,3) lost one member.
            rack(lossCase({ id: 'E-xor-rack-a-lost', scheme: XOR, ...on, lose: ['n0', 'n1'], flush: 0, data: DATA, ...e, note: 'racks n0+n1 and n2+n3, rack a lost, the spares in none' })),
            rack(lossCase({ id: 'E-partner-rack-a-lost', scheme: PARTNER, ...on, lose: ['n0', 'n1'], flush: 0, data: DATA, ...e, note: 'racks n0+n1 and n2+n3, rack a lost, the spares in none' })),
            // n3 lost too: the set 1,3 lost both its members, so no member is left to report it.
            rack(lossCase({ id: 'E-xor-rack-both-lost', scheme: XOR, nodes: N4, restartOn: spare2, lose: ['n0', 'n1', 'n3'], flush: 0, data: DATA, ...e, note: 'racks n0+n1 and n2+n3, n3 lost too' })),
            lossCase({ id: 'D-spare2-rs2-n2B', scheme: RS2, ...on, lose: ['n0', 'n1'], flush: 0, data: DATA, nodeEnv: { n2: { SCR_CACHE_BASE: join(root, 'local', 'cacheB') }, n5: { SCR_CNTL_BASE: join(root, 'local', 'cntlB') } }, note: 'n2 caches in cacheB, the spare n5 has cntlB' }),
          ];
        },
      });
    }

    // ---- C: ranks moved between the surviving nodes (data over MPI), D: moved to and from
    // another cache base.
    const rotate = ['n1', 'n2', 'n3', 'n0'];
    defineBatch(flavour, {
      title: 'C, D: every rank moved to the next node (n1,n2,n3,n0)',
      nodes: N4,
      restartOn: rotate,
      cases: (root) => {
        const on = { restartOn: rotate, nodes: N4, note: 'rank r restarts on n(r+1)' };
        const oddB = { n0: { SCR_CACHE_BASE: join(root, 'local', 'cacheB') }, n2: { SCR_CNTL_BASE: join(root, 'local', 'cntlB') } };
        const cases = [
          ...[SINGLE, PARTNER, XOR, RS2].map((s) => lossCase({ id: `C-move-${s.tag}`, scheme: s, ...on, lose: [], flush: 0, data: DATA })),
          ...[SINGLE, XOR].map((s) => lossCase({ id: `C-move-${s.tag}-lost2`, scheme: s, ...on, lose: ['n2'], flush: 0, data: DATA })),
          lossCase({ id: 'C-move-partner-lost02', scheme: PARTNER, ...on, lose: ['n0', 'n2'], flush: 0, data: DATA }),
          lossCase({ id: 'C-move-rs2-lost13', scheme: RS2, ...on, lose: ['n1', 'n3'], flush: 0, data: DATA }),
          lossCase({ id: 'C-move-xor-f1-lost23', scheme: XOR, ...on, lose: ['n2', 'n3'], flush: 1, data: DATA }),
          lossCase({ id: 'C-move-many', scheme: XOR, ...on, lose: [], flush: 0, data: { ckpts: 2, files: 24, bytes: 150, seed: 41, zeroFile: 5 }, note: 'rank r restarts on n(r+1), 24 files per rank, one empty' }),
          lossCase({ id: 'D-move-single-B', scheme: SINGLE, ...on, lose: [], flush: 0, data: DATA, nodeEnv: oddB, note: 'n0 caches in cacheB, n2 has cntlB; rank r restarts on n(r+1)' }),
          lossCase({ id: 'D-move-xor-B-lost0', scheme: XOR, ...on, lose: ['n0'], flush: 0, data: DATA, nodeEnv: oddB, note: 'n0 caches in cacheB, n2 has cntlB; rank r restarts on n(r+1)' }),
          lossCase({ id: 'D-move-partner-B-lost1', scheme: PARTNER, ...on, lose: ['n1'], flush: 0, data: DATA, nodeEnv: oddB, note: 'n0 caches in cacheB, n2 has cntlB; rank r restarts on n(r+1)' }),
        ];
        return full ? cases : cases.filter((c) => /^C-move-(xor|single|partner)$|^D-move-xor/.test(c.id));
      },
    });

    if (full) {
      // Ranks 0 and 1 swap nodes, rank 2 (its node left out) doubles up on n0 with rank 1.
      const swap = ['n1', 'n0', 'n0', 'n3'];
      defineBatch(flavour, {
        title: 'C: ranks 0 and 1 swap nodes, n2 left out and rank 2 placed on n0 (n1,n0,n0,n3)',
        nodes: N4,
        restartOn: swap,
        cases: (root) => {
          const on = { restartOn: swap, nodes: N4, note: 'placed n1,n0,n0,n3' };
          return [
            ...[SINGLE, PARTNER, XOR, RS2].map((s) => lossCase({ id: `C-swap-${s.tag}`, scheme: s, ...on, lose: [], flush: 0, data: DATA })),
            lossCase({ id: 'C-swap-single-f1', scheme: SINGLE, ...on, lose: [], flush: 1, data: DATA }),
            lossCase({ id: 'C-swap-partner-lost3', scheme: PARTNER, ...on, lose: ['n3'], flush: 0, data: DATA }),
            lossCase({ id: 'C-swap-rs2-lost0', scheme: RS2, ...on, lose: ['n0'], flush: 0, data: DATA }),
            lossCase({ id: 'D-swap-xor-n1B', scheme: XOR, ...on, lose: [], flush: 0, data: DATA, nodeEnv: { n1: { SCR_CACHE_BASE: join(root, 'local', 'cacheB') } }, note: 'placed n1,n0,n0,n3; n1 caches in cacheB' }),
          ];
        },
      });
    }
  });
}
