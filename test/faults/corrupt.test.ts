// Corruption and deletion of every kind of file scr keeps, on the nodes and on the prefix; reused
// paths and retention; clearing failed marks (issue 10). Four private nodes n0..n3, one rank
// each. All cases share the launches (test/harness/faults.ts): one writes every case's
// checkpoints, the test process damages each case's files, one launch makes the library calls by
// name of C (test/fixtures/corrupt-named.ts), one restarts every case, and one more restarts the
// cases of D after `scr index --unfail`. With MPICH a representative subset runs.
//
// A. Node-side files of ckpt.2 (rank 1, node n1), for SINGLE, PARTNER, XOR and RS (k=2): a cached
//    data file, the redundancy data (red.1.dat), the redundancy record (red.1.scr), the file map
//    (filemap.1.scr) and the node's cache index (cindex.scr), each flipped (one byte, same size),
//    truncated or deleted; alone, and with node n3 lost too. Expected: the newest checkpoint back
//    byte for byte when its scheme can rebuild what is lost (a damaged file counts as lost), else
//    it is dropped with the reason and the restart falls back to ckpt.1 (or to nothing, said).
//    SINGLE keeps no redundancy data or record, so it has three kinds. With SCR_CRC_ON_COPY=0 a
//    flipped data byte cannot be detected (no CRC was recorded): the application's own check
//    catches it (appMayDetect): cases that cannot be recovered by design (A-nocrc-*-data-flip,
//    A-nocrc-{XOR,RS}-data-flip-n3lost, A-nocrc-PARTNER-redData-flip-n0lost). A truncated file
//    and a flipped parity byte are still caught (sizes, and the parity CRC recorded at encode).
// B. Prefix-side files with the checkpoint only on the file system (SCR_FLUSH=1, every node's
//    cache lost, so the restart fetches): flushed data files, the index, summaries, rank maps,
//    the halt file and asynchronous flush markers.
// C. Reused paths (layout 'same', as SCR's examples do) with SCR_FLUSH=1 and SCR_PREFIX_SIZE 0, 1,
//    2; a staged leftover (.<name>.scr<id>.part) while the index says flushed and staged; drop()
//    and deleteDataset() of older checkpoints (test/fixtures/corrupt-named.ts) and `scr index
//    --drop` never delete a file the remaining checkpoint lists.
// D. `scr index --unfail`: after a repair the mark is cleared and the next restart fetches the
//    checkpoint; without one it stays; checkpoints the application rejected come back after it.
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { readHalt } from '../../src/halt/index.js';
import { writeMetaFile } from '../../src/meta/index.js';
import { markerPath, stagePath } from '../../src/pfs/commit.js';
import { type PfsIndex, rankmapPath, readIndex, readRankMap, summaryPath, updateIndex, writeSummary } from '../../src/pfs/index.js';
import { cleanEnv, scr as cli } from '../harness/cli.js';
import {
  assertCase, type CaseContext, caseContext, type CaseReport, checkOutcome, type DataSpec, type Expectation, type FaultCase, FaultSuite,
  fileBytes, fileCrc, fileRel, parseFileName, type RestartAction, runCases,
} from '../harness/faults.js';
import { flavoursBuilt } from '../harness/launch.js';
import { flipByte, privateNodesMissing, runNodes } from '../harness/nodes.js';
import type { NamedOp, NamedPlan, NamedResult } from '../fixtures/corrupt-named.js';

const missing = privateNodesMissing();
const NODES = ['n0', 'n1', 'n2', 'n3'];
const NAMED_APP = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'corrupt-named.js');

// ---------------------------------------------------------------------------------------------
// Cases with more steps than runCases has: checks after the restart, library calls by name before
// it (drop, deleteDataset), and a second restart after something done in between (scr index).

interface Case extends FaultCase {
  /** Also run with MPICH (the representative subset). */
  mpich?: boolean;
  /** Library calls by name, in one launch of test/fixtures/corrupt-named.ts after the faults. */
  named?: NamedOp[];
  /** Applied after the named calls, before the restart (e.g. the caches lost). */
  afterNamed?: (c: CaseContext) => void | Promise<void>;
  /** After the first restart: what a user does (repairs, `scr index`); returns problems. */
  middle?: (c: CaseContext) => string[] | Promise<string[]>;
  /** A second restart after `middle`, and what it must restore. */
  again?: { restart?: Omit<RestartAction, 'kind' | 'data'>; expect: Expectation };
  /** Checks of the files and the index after the last restart; returns problems. */
  post?: (c: CaseContext, rep: CaseReport) => string[] | Promise<string[]>;
}

async function runNamed(suite: FaultSuite, cases: Case[], tag: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(cases.map((c) => [c.id, []]));
  const dir = join(suite.root, 'results', `named.${tag}`);
  mkdirSync(dir, { recursive: true });
  const plan: NamedPlan = { results: dir, scenarios: cases.map((c) => ({ id: c.id, env: suite.caseDef(c.id).env, ops: c.named! })) };
  const planPath = join(dir, 'plan.json');
  writeFileSync(planPath, JSON.stringify(plan, null, 1));
  const run = await runNodes(suite.flavour, suite.job, NODES, [NAMED_APP, planPath], { timeoutMs: suite.timeoutMs });
  const lines = new Map<string, NamedResult[]>();
  for (const f of readdirSync(dir).filter((e) => /^rank\d+\.jsonl$/.test(e))) {
    for (const l of readFileSync(join(dir, f), 'utf8').split('\n')) {
      if (!l.trim()) continue;
      try { const r = JSON.parse(l) as NamedResult; (lines.get(r.scenario) ?? lines.set(r.scenario, []).get(r.scenario)!).push(r); } catch { /* torn */ }
    }
  }
  for (const c of cases) {
    const got = lines.get(c.id) ?? [];
    const p = out.get(c.id)!;
    if (got.length !== NODES.length) p.push(`named calls: ${NODES.length - got.length} rank(s) reported nothing (launch ${run.timedOut ? 'timed out' : `exited ${run.code}`}): ${run.stderr.slice(-2000)}`);
    for (const r of got) for (const e of r.errors) p.push(`named calls: rank ${r.rank}: ${e}\n${r.stderr}`);
  }
  return out;
}

/** Runs a batch: write, faults, named calls, restart; then middles, a second restart, posts. */
async function runBatch(suite: FaultSuite, cases: Case[]): Promise<Map<string, CaseReport>> {
  const named = cases.filter((c) => c.named);
  let namedProblems = new Map<string, string[]>();
  const reports = await runCases(suite, cases, {
    nodes: NODES,
    between: async () => {
      if (!named.length) return;
      namedProblems = await runNamed(suite, named, '1');
      for (const c of named) {
        try { await c.afterNamed?.(caseContext(suite, c.id)); } catch (e) { namedProblems.get(c.id)!.push(`after the named calls: ${(e as Error).message}`); }
      }
    },
  });
  for (const [id, p] of namedProblems) reports.get(id)!.problems.push(...p);
  const again = cases.filter((c) => c.again);
  for (const c of again) {
    try { reports.get(c.id)!.problems.push(...(await c.middle?.(caseContext(suite, c.id)) ?? [])); } catch (e) { reports.get(c.id)!.problems.push(`between the restarts: ${(e as Error).message}`); }
  }
  if (again.length) {
    const l = await suite.launch(NODES, again.map((c) => suite.scenario(c.id, { kind: 'restart', data: c.data, ...c.again!.restart })));
    const bad = l.run.code !== 0 || l.run.timedOut;
    for (const c of again) {
      const rep = reports.get(c.id)!;
      if (bad && (l.missing.length === 0 || l.missing.includes(c.id))) rep.problems.push(`restart 2: the launch ${l.run.timedOut ? 'was killed after the time limit' : `exited with ${l.run.code ?? l.run.signal}`}\n${l.run.stderr.slice(-3000)}`);
      const o = checkOutcome(l.results.get(c.id)!, NODES.length, c.again!.expect);
      rep.problems.push(...o.problems.map((p) => `restart 2: ${p}`));
    }
  }
  for (const c of cases.filter((x) => x.post)) {
    const rep = reports.get(c.id)!;
    try { rep.problems.push(...(await c.post!(caseContext(suite, c.id), rep))); } catch (e) { rep.problems.push(`checking the files afterwards: ${(e as Error).stack}`); }
  }
  return reports;
}

// ---------------------------------------------------------------------------------------------
// Messages: each case's expected stderr is a list of parts that must all appear (any order).

const H = '[0-9a-f]{8}';
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A regex matching text in which every part (a regex source) appears somewhere. */
function every(...parts: string[]): RegExp {
  return new RegExp(parts.map((p) => `(?=[\\s\\S]*?${p})`).join(''));
}

type Scheme = 'SINGLE' | 'PARTNER' | 'XOR' | 'RS';
type NodeKind = 'data' | 'redData' | 'redRecord' | 'filemap' | 'cindex';
type Damage = 'flip' | 'truncate' | 'delete';
const SCHEMES: Scheme[] = ['SINGLE', 'PARTNER', 'XOR', 'RS'];
const KINDS: NodeKind[] = ['data', 'redData', 'redRecord', 'filemap', 'cindex'];
const DAMAGES: Damage[] = ['flip', 'truncate', 'delete'];
const schemeEnv = (s: Scheme): Record<string, string> => (s === 'RS' ? { SCR_COPY_TYPE: 'RS', SCR_SET_FAILURES: '2' } : { SCR_COPY_TYPE: s });

/** Whether a set of the 4 ranks (ring 0→1→2→3→0) can rebuild the lost ones (ranks = positions). */
function canRebuild(scheme: Scheme, lost: number[]): boolean {
  if (lost.length === 0) return true;
  switch (scheme) {
    case 'SINGLE': return false;
    case 'PARTNER': return lost.length < 4 && lost.every((l) => !lost.includes((l + 1) % 4) && !lost.includes((l + 3) % 4));
    case 'XOR': return lost.length <= 1;
    case 'RS': return lost.length <= 2;
  }
}

/** The line naming why rank 1's data or redundancy on n1 failed its check (null: a missing
 * record simply counts as lost, and says so through the rebuild or drop message). */
function damagedLine(scheme: Scheme, kind: NodeKind, d: Damage): string | null {
  const at = ' \\(node n1\\)';
  switch (kind) {
    case 'data':
      return d === 'flip' ? `rank 1's rank_1\\.dat has CRC32 ${H}, ${H} when written \\(its contents changed\\)${at}`
        : d === 'truncate' ? `rank 1's rank_1\\.dat has \\d+ bytes, \\d+ were written${at}` : `rank 1's rank_1\\.dat is missing${at}`;
    case 'redData':
      if (d === 'flip') return scheme === 'PARTNER' ? `rank 1: its copy of rank 0's rank_0(\\.1)?\\.dat does not match that file's CRC32${at}` : `rank 1: its redundancy data has CRC32 ${H}, ${H} when encoded${at}`;
      return d === 'truncate' ? `rank 1: its redundancy data has \\d+ bytes, \\d+ were written${at}` : `rank 1: its redundancy data is missing${at}`;
    case 'redRecord':
      return d === 'delete' ? null : `rank 1: \\S+/red\\.1\\.scr is unreadable \\([^\\n]*\\)${at}`;
    case 'filemap':
      return d === 'delete' ? null : `rank 1: \\S+/filemap\\.1\\.scr is unreadable \\([^\\n]*\\)${at}`;
    case 'cindex':
      return null;
  }
}

const CINDEX_WARNING = `node n1 \\(rank 1\\): the cache index \\S+/cindex\\.scr is damaged \\([^\\n]*\\); it was moved to \\S+/cindex\\.scr\\.damaged\\.\\d+, and this node's cached datasets count as lost`;

const MISSING_RECORD: Partial<Record<NodeKind, string>> = {
  redRecord: '(red\\.1\\.scr|redundancy record)',
  filemap: '(filemap\\.1\\.scr|file map)',
  cindex: '(cindex\\.scr|cache index)',
};

function dropReason(scheme: Scheme, lost: number[]): string {
  return scheme === 'SINGLE' ? `the files of rank ${lost[0]} are gone or damaged and no redundancy covers them`
    : `${scheme} set of ranks 0,1,2,3 lost ${lost.length} member\\(s\\) \\(ranks ${lost.join(',')}\\), more than it can restore`;
}
const rebuiltNote = (name: string, lost: number[], scheme: string) => `rebuilt dataset ${esc(name)}: files of rank\\(s\\) ${lost.join(',')} restored from ${scheme} redundancy`;
const droppedNote = (id: number, why: string) => `cache: dropped dataset ${id} \\(ckpt\\.${id}\\): ${why}`;
const REJECTED_CACHE_ONLY = 'checkpoint ckpt\\.2 was rejected by the application \\(completeRestart\\(false\\)\\): it was only in cache \\(SCR_FLUSH=0\\), so it is deleted';

const dataA: DataSpec = { ckpts: 2, files: 2, bytes: 1200, seed: 21 };

/** Family A: one kind of rank 1's files of ckpt.2 on n1 damaged, maybe n3 lost too. */
function nodeCase(scheme: Scheme, kind: NodeKind, d: Damage, loseN3: boolean): Case {
  const filter = kind === 'cindex' ? { node: 'n1' } : kind === 'data' ? { node: 'n1', dataset: 2, rank: 1, file: 0 } : { node: 'n1', dataset: 2, rank: 1 };
  // What each checkpoint lost: ckpt.2 rank 1 (damaged) and rank 3 (n3); a damaged or missing cache
  // index costs every dataset on n1, so ckpt.1 loses rank 1 too.
  const lost2 = loseN3 ? [1, 3] : [1];
  const lost1 = [...(kind === 'cindex' ? [1] : []), ...(loseN3 ? [3] : [])];
  const ok2 = canRebuild(scheme, lost2);
  const ok1 = canRebuild(scheme, lost1);
  const dmg = damagedLine(scheme, kind, d);
  const parts: string[] = [];
  if (kind === 'cindex' && d !== 'delete') parts.push(CINDEX_WARNING);
  if (ok2) {
    parts.push(rebuiltNote('ckpt.2', lost2, scheme));
    if (dmg) parts.push(`dataset ckpt\\.2: found damaged in cache and rebuilt: [^\\n]*${dmg}`);
  } else {
    parts.push(`${droppedNote(2, dropReason(scheme, lost2))}${dmg ? `; [^\\n]*${dmg}` : ''}`);
    if (ok1 && lost1.length) parts.push(rebuiltNote('ckpt.1', lost1, scheme));
    if (!ok1) parts.push(droppedNote(1, dropReason(scheme, lost1)));
  }
  // A deleted record makes intact files unusable: when that costs a checkpoint, the message must
  // name what is missing (saying only that the rank's files are gone sends the user to files
  // that are there).
  if (!ok2 && d === 'delete' && MISSING_RECORD[kind]) parts.push(MISSING_RECORD[kind]!);
  const restored = ok2 ? 'ckpt.2' : ok1 ? 'ckpt.1' : null;
  const message = every(...parts);
  return {
    id: `A-${scheme}-${kind}-${d}${loseN3 ? '-n3lost' : ''}`,
    env: { ...schemeEnv(scheme), SCR_FLUSH: '0' },
    data: dataA,
    fault: (c) => {
      if (d === 'flip') c.flip(kind, filter);
      else if (d === 'truncate') c.truncate(kind, filter);
      else c.remove(kind, filter);
      if (loseN3) c.loseNode('n3');
    },
    expect: restored ? { restored, message } : { restored: null, message },
    // The MPICH subset: XOR with every kind flipped and a few truncated or deleted; RS rebuilding
    // two members; SINGLE falling back.
    mpich: (scheme === 'XOR' && !loseN3 && (d === 'flip' || (kind === 'data' && d === 'truncate') || (d === 'delete' && ['redData', 'filemap', 'cindex'].includes(kind))))
      || (kind === 'data' && d === 'flip' && ((scheme === 'RS' && loseN3) || (scheme === 'SINGLE' && !loseN3))),
  };
}

/** Family A with SCR_CRC_ON_COPY=0: no CRC of the cached files was recorded. */
function noCrcCases(): Case[] {
  const env = (s: Scheme) => ({ ...schemeEnv(s), SCR_FLUSH: '0', SCR_CRC_ON_COPY: '0' });
  const out: Case[] = [];
  for (const s of SCHEMES) {
    // Cannot be recovered by design: a flipped byte keeps the size, and without a recorded CRC no
    // check of the library can see it; the application's own check rejects ckpt.2, and ckpt.1
    // (untouched) is offered next.
    out.push({
      id: `A-nocrc-${s}-data-flip`, env: env(s), data: dataA, fault: (c) => { c.flip('data', { node: 'n1', dataset: 2, rank: 1, file: 0 }); },
      expect: { restored: 'ckpt.1', appMayDetect: true, message: every(REJECTED_CACHE_ONLY) }, mpich: s === 'XOR',
    });
    // The size is still checked: a truncated file is caught without a CRC.
    out.push({
      id: `A-nocrc-${s}-data-truncate`, env: env(s), data: dataA, fault: (c) => { c.truncate('data', { node: 'n1', dataset: 2, rank: 1, file: 0 }); },
      expect: s === 'SINGLE'
        ? { restored: 'ckpt.1', message: every(`${droppedNote(2, dropReason(s, [1]))}; [^\\n]*${damagedLine(s, 'data', 'truncate')}`) }
        : { restored: 'ckpt.2', message: every(rebuiltNote('ckpt.2', [1], s), `found damaged in cache and rebuilt: [^\\n]*${damagedLine(s, 'data', 'truncate')}`) },
    });
  }
  // The parity's CRC is recorded at encode whatever SCR_CRC_ON_COPY says: a flipped parity byte is
  // caught, so XOR (rank 1 damaged + rank 3 lost) falls back and RS rebuilds both.
  out.push({
    id: 'A-nocrc-XOR-redData-flip-n3lost', env: env('XOR'), data: dataA,
    fault: (c) => { c.flip('redData', { node: 'n1', dataset: 2, rank: 1 }); c.loseNode('n3'); },
    expect: { restored: 'ckpt.1', message: every(`${droppedNote(2, dropReason('XOR', [1, 3]))}; [^\\n]*${damagedLine('XOR', 'redData', 'flip')}`, rebuiltNote('ckpt.1', [3], 'XOR')) },
  });
  out.push({
    id: 'A-nocrc-RS-redData-flip-n3lost', env: env('RS'), data: dataA,
    fault: (c) => { c.flip('redData', { node: 'n1', dataset: 2, rank: 1 }); c.loseNode('n3'); },
    expect: { restored: 'ckpt.2', message: every(rebuiltNote('ckpt.2', [1, 3], 'RS'), damagedLine('RS', 'redData', 'flip')!) },
  });
  // Cannot be detected by design: PARTNER's copy is checked against the neighbour's file CRCs,
  // and none were recorded; n0 lost, rank 0 is rebuilt from the flipped copy on n1, so the
  // application's check rejects ckpt.2; ckpt.1's copy is intact.
  out.push({
    id: 'A-nocrc-PARTNER-redData-flip-n0lost', env: env('PARTNER'), data: dataA,
    fault: (c) => { c.flip('redData', { node: 'n1', dataset: 2, rank: 1 }); c.loseNode('n0'); },
    expect: { restored: 'ckpt.1', appMayDetect: true, message: every(rebuiltNote('ckpt.2', [0], 'PARTNER'), REJECTED_CACHE_ONLY) },
  });
  // Cannot be detected by design: rank 3 is rebuilt from parity and the other members' data,
  // rank 1's flipped byte included, so both come back wrong without any CRC to say so.
  for (const s of ['XOR', 'RS'] as const) {
    out.push({
      id: `A-nocrc-${s}-data-flip-n3lost`, env: env(s), data: dataA,
      fault: (c) => { c.flip('data', { node: 'n1', dataset: 2, rank: 1, file: 0 }); c.loseNode('n3'); },
      expect: { restored: 'ckpt.1', appMayDetect: true, message: every(rebuiltNote('ckpt.2', [3], s), REJECTED_CACHE_ONLY) },
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checks of the prefix from the test process.

async function indexOf(c: CaseContext): Promise<PfsIndex> {
  const warnings: string[] = [];
  const idx = await readIndex(c.suite.prefixOf(c.id), (m) => warnings.push(m));
  if (warnings.length) throw new Error(`the index needed repair after the restart: ${warnings.join('; ')}`);
  return idx;
}

/** Problems unless dataset `id` is marked failed by `check` (for rank/file when given). */
async function failedBy(c: CaseContext, id: number, check: string, rank?: number, fileEnd?: string): Promise<string[]> {
  const e = (await indexOf(c)).datasets[String(id)];
  if (!e) return [`the index has no dataset ${id}`];
  const f = e.failure;
  if (!e.failed || !f || f.check !== check || (rank !== undefined && f.rank !== rank) || (fileEnd !== undefined && !f.file?.endsWith(fileEnd))) {
    return [`dataset ${id} should be marked failed (check ${check}${rank !== undefined ? `, rank ${rank}` : ''}${fileEnd ? `, file …${fileEnd}` : ''}); the index says failed=${e.failed}, failure=${JSON.stringify(f)}`];
  }
  return [];
}

function walk(dir: string): string[] {
  const out: string[] = [];
  let names: string[] = [];
  try { names = readdirSync(dir); } catch { return out; }
  for (const n of names) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else out.push(p);
  }
  return out;
}

/** Problems unless every file of checkpoint `ckpt` is at its path with its bytes, and no staged
 * (.part) file is left under the prefix. */
function newestIntact(c: CaseContext, spec: DataSpec, ckpt: number): string[] {
  const prefix = c.suite.prefixOf(c.id);
  const p: string[] = [];
  for (let r = 0; r < NODES.length; r++) {
    for (let f = 0; f < spec.files; f++) {
      const path = join(prefix, fileRel(spec, ckpt, r, f));
      if (!existsSync(path)) { p.push(`${path} (ckpt.${ckpt}, rank ${r}) is gone`); continue; }
      if (crc32(readFileSync(path)) !== fileCrc(spec, ckpt, r, f)) p.push(`${path} does not hold ckpt.${ckpt}'s bytes of rank ${r}`);
    }
  }
  const staged = walk(prefix).filter((x) => /\.scr\d+\.part$/.test(x));
  if (staged.length) p.push(`staged files left: ${staged.join(', ')}`);
  return p;
}

function indexIds(idx: PfsIndex): string {
  return Object.keys(idx.datasets).sort((a, b) => Number(a) - Number(b)).join(',');
}

// ---------------------------------------------------------------------------------------------
// B. Prefix-side files, the checkpoint only on the file system.

const dataB: DataSpec = { ckpts: 2, files: 2, bytes: 1200, seed: 31 };
const envB = { SCR_COPY_TYPE: 'XOR', SCR_FLUSH: '1' };
const loseAll = (c: CaseContext) => { for (const n of NODES) c.loseNode(n); };
const MARKING = (name: string) => `marking ${esc(name)} failed and trying an older checkpoint \\(if the file is repaired, \`scr index --unfail ${esc(name)}\` clears the mark\\)`;
const fetchFailed = (name: string, rank: number, file: string, what: string) => `fetching ${esc(name)} failed on rank ${rank}: fetching ${esc(name)}: \\S+/${esc(file)} ${what}; ${MARKING(name)}`;
const FETCH_WHAT: Record<Damage, string> = {
  flip: `has CRC32 ${H}, but ${H} was recorded when it was flushed: the file is damaged`,
  truncate: 'has \\d+ bytes, \\d+ were flushed',
  delete: 'is missing',
};
/** After "trying an older checkpoint" finds none, the user must learn that nothing is left (what
 * is used instead: nothing), as the rejection path says it. */
const NONE_FETCHABLE = '([Nn]o (older |other )?checkpoint (is )?left|[Nn]othing (is )?left to restart from|[Nn]o (older )?checkpoint to (restart|fetch) from)';
const FETCH_CHECK: Record<Damage, string> = { flip: 'crc', truncate: 'size', delete: 'missing' };
const damage = (c: CaseContext, d: Damage, kind: Parameters<CaseContext['flip']>[0], filter = {}) => {
  if (d === 'flip') c.flip(kind, filter);
  else if (d === 'truncate') c.truncate(kind, filter);
  else c.remove(kind, filter);
};
const indexRebuilt = (how: 'missing' | 'damaged', n: number, current: string | null, skipped?: string) =>
  `the index \\S+/index\\.scr was ${how === 'missing' ? 'missing' : 'damaged \\([^\\n]*; kept as index\\.scr\\.damaged\\.\\*\\)'}; it was rebuilt from the summaries of ${n} dataset\\(s\\) in \\S+` +
  `${current ? `, and ${esc(current)}, the newest good checkpoint, is current` : ''}${skipped ? `; not recovered: ${skipped}` : ''}`;

/** The state an asynchronous flush of dataset `id` leaves when the job dies after every rank
 * staged its files and wrote its marker, before the collective finish: the index says started
 * (not complete, not flushed), no rank map or summary, files under their staging names. */
async function forgeUnfinishedFlush(c: CaseContext, id: number, previous: string): Promise<void> {
  const prefix = c.suite.prefixOf(c.id);
  const map = await readRankMap(prefix, id);
  if (!map) throw new Error(`no rank map of dataset ${id}`);
  for (const [r, files] of map.ranks.entries()) {
    for (const f of files) renameSync(f.path, stagePath(f.path, id));
    await writeMetaFile(markerPath(prefix, id, r), 'flushmark', { dataset: id, rank: r, files });
  }
  rmSync(rankmapPath(prefix, id));
  rmSync(summaryPath(prefix, id));
  await updateIndex(prefix, (idx) => {
    const e = idx.datasets[String(id)]!;
    e.complete = false;
    e.flushed = false;
    delete e.staged;
    delete e.flushedAt;
    idx.current = previous;
  });
}

function prefixCases(): Case[] {
  const out: Case[] = [];
  for (const d of DAMAGES) {
    out.push({
      id: `B-flushed-data-${d}`, env: envB, data: dataB,
      fault: (c) => { damage(c, d, 'flushed', { dataset: 2, rank: 1, file: 0 }); loseAll(c); },
      expect: { restored: 'ckpt.1', message: every(fetchFailed('ckpt.2', 1, 'ckpt.2/rank_1.dat', FETCH_WHAT[d])) },
      post: async (c) => {
        const p = await failedBy(c, 2, FETCH_CHECK[d], 1, 'ckpt.2/rank_1.dat');
        if (d === 'flip') {
          // As a user sees it: `scr index --json` lists the mark and why.
          const r = cli(['index', '--prefix', c.suite.prefixOf(c.id), '--json'], { env: cleanEnv() });
          const e = r.code === 0 ? (JSON.parse(r.stdout) as { datasets: Array<{ id: number; failed: boolean; failure?: { check: string; rank?: number; file?: string; message: string } }> }).datasets.find((x) => x.id === 2) : undefined;
          if (!e?.failed || e.failure?.check !== 'crc' || e.failure.rank !== 1 || !/rank_1\.dat has CRC32/.test(e.failure.message)) p.push(`scr index --json (exit ${r.code}) does not list ckpt.2 failed by its CRC: ${r.stdout}${r.stderr}`);
        }
        return p;
      },
      mpich: d === 'flip',
    });
  }
  // Another rank's second file: the failing rank is named whichever it is.
  out.push({
    id: 'B-flushed-data-flip-rank3-file1', env: envB, data: dataB,
    fault: (c) => { c.flip('flushed', { dataset: 2, rank: 3, file: 1 }); loseAll(c); },
    expect: { restored: 'ckpt.1', message: every(fetchFailed('ckpt.2', 3, 'ckpt.2/rank_3.1.dat', FETCH_WHAT.flip)) },
    post: (c) => failedBy(c, 2, 'crc', 3, 'ckpt.2/rank_3.1.dat'),
  });
  // Both checkpoints damaged on the file system: each is marked failed, nothing is restarted from.
  out.push({
    id: 'B-flushed-data-flip-both', env: envB, data: dataB,
    fault: (c) => { c.flip('flushed', { dataset: 2, rank: 1, file: 0 }); c.flip('flushed', { dataset: 1, rank: 2, file: 0 }); loseAll(c); },
    expect: { restored: null, message: every(fetchFailed('ckpt.2', 1, 'ckpt.2/rank_1.dat', FETCH_WHAT.flip), fetchFailed('ckpt.1', 2, 'ckpt.1/rank_2.dat', FETCH_WHAT.flip), NONE_FETCHABLE) },
    post: async (c) => [...(await failedBy(c, 2, 'crc', 1)), ...(await failedBy(c, 1, 'crc', 2))],
  });
  // The caches intact: the newest is in cache and the damaged file system copy is not needed.
  out.push({
    id: 'B-flushed-data-flip-cache-intact', env: envB, data: dataB,
    fault: (c) => { c.flip('flushed', { dataset: 2, rank: 1, file: 0 }); },
    expect: { restored: 'ckpt.2' },
  });
  // The index: rebuilt from the summaries and rank maps, with a warning; the newest is fetched.
  for (const d of DAMAGES) {
    out.push({
      id: `B-index-${d}`, env: envB, data: dataB,
      fault: (c) => { damage(c, d, 'index'); loseAll(c); },
      expect: { restored: 'ckpt.2', message: every(indexRebuilt(d === 'delete' ? 'missing' : 'damaged', 2, 'ckpt.2')) },
      post: async (c) => {
        const p: string[] = [];
        const idx = await indexOf(c);
        if (indexIds(idx) !== '1,2' || !idx.datasets['1']!.flushed || !idx.datasets['2']!.flushed || idx.datasets['1']!.failed || idx.datasets['2']!.failed) p.push(`the rebuilt index is wrong: ${JSON.stringify(idx)}`);
        const aside = readdirSync(join(c.suite.prefixOf(c.id), '.scr')).filter((n) => n.startsWith('index.scr.damaged.'));
        if (d !== 'delete' && aside.length !== 1) p.push(`the damaged index was not kept aside (found ${JSON.stringify(aside)})`);
        return p;
      },
      mpich: d === 'flip',
    });
  }
  // Summaries: only read to rebuild an index.
  out.push({
    id: 'B-summary-flip', env: envB, data: dataB,
    fault: (c) => { c.flip('summary', { dataset: 2 }); loseAll(c); },
    expect: { restored: 'ckpt.2' },
  });
  out.push({
    id: 'B-summary-flip-index-deleted', env: envB, data: dataB,
    fault: (c) => { c.flip('summary', { dataset: 2 }); c.remove('index'); loseAll(c); },
    expect: { restored: 'ckpt.1', message: every(indexRebuilt('missing', 1, 'ckpt.1', 'dataset 2: its summary is damaged')) },
  });
  out.push({
    id: 'B-summary-truncate-index-flip', env: envB, data: dataB,
    fault: (c) => { c.truncate('summary', { dataset: 2 }); c.flip('index'); loseAll(c); },
    expect: { restored: 'ckpt.1', message: every(indexRebuilt('damaged', 1, 'ckpt.1', 'dataset 2: its summary is damaged')) },
  });
  out.push({
    id: 'B-summary-delete-index-deleted', env: envB, data: dataB,
    fault: (c) => { c.remove('summary', { dataset: 2 }); c.remove('index'); loseAll(c); },
    expect: { restored: 'ckpt.1', message: every(indexRebuilt('missing', 1, 'ckpt.1')) },
  });
  // Rank maps: without one a checkpoint cannot be fetched; it is marked failed ('rankmap').
  for (const d of DAMAGES) {
    out.push({
      id: `B-rankmap-${d}`, env: envB, data: dataB,
      fault: (c) => { damage(c, d, 'rankmap', { dataset: 2 }); loseAll(c); },
      expect: { restored: 'ckpt.1', message: every(`ckpt\\.2 has no usable rank map; ${MARKING('ckpt.2')}`) },
      post: (c) => failedBy(c, 2, 'rankmap'),
      mpich: d === 'delete',
    });
  }
  out.push({
    id: 'B-rankmap-delete-index-deleted', env: envB, data: dataB,
    fault: (c) => { c.remove('rankmap', { dataset: 2 }); c.remove('index'); loseAll(c); },
    expect: { restored: 'ckpt.1', message: every(indexRebuilt('missing', 2, 'ckpt.1', 'ckpt\\.2 \\(id 2\\): its rank map is missing or damaged')) },
  });
  // Asynchronous flush markers: a flush every rank staged and marked is completed by the next
  // job; a damaged or missing marker leaves it unfinished (the older checkpoint is used), and a
  // damaged one is said.
  const envM = { ...envB, SCR_FLUSH_ASYNC: '1' };
  out.push({
    id: 'B-markers-complete', env: envM, data: dataB,
    fault: async (c) => { await forgeUnfinishedFlush(c, 2, 'ckpt.1'); loseAll(c); },
    expect: { restored: 'ckpt.2', message: every('completed the flush of ckpt\\.2, which the previous run copied but did not finish') },
    post: (c) => newestIntact(c, dataB, 2),
  });
  for (const d of DAMAGES) {
    out.push({
      id: `B-marker-${d}`, env: envM, data: dataB,
      fault: async (c) => { await forgeUnfinishedFlush(c, 2, 'ckpt.1'); damage(c, d, 'flushMarker', { dataset: 2, rank: 1 }); loseAll(c); },
      expect: { restored: 'ckpt.1', ...(d === 'delete' ? {} : { message: /(flush(ed)? )?marker[^\n]*ckpt\.2|ckpt\.2[^\n]*marker/ }) },
      post: async (c) => {
        const e = (await indexOf(c)).datasets['2'];
        return e?.flushed ? [`ckpt.2 is recorded flushed although rank 1's marker was ${d === 'delete' ? 'deleted' : 'damaged'}`] : [];
      },
    });
  }
  return out;
}

/** The halt file damaged: init, the restart and finalize work; finalize replaces it. Last in a
 * batch (a library that cannot be finalized would leave the launch's later scenarios stuck). */
function haltCases(): Case[] {
  return DAMAGES.map((d): Case => ({
    id: `B-halt-${d}`, env: envB, data: dataB,
    fault: (c) => damage(c, d, 'halt'),
    expect: { restored: 'ckpt.2', ...(d === 'delete' ? {} : { message: every('finalize\\(\\): the halt file was damaged \\([^\\n]*\\); it was moved to \\S+/halt\\.scr\\.damaged\\.\\d+ and replaced') }) },
    post: async (c) => {
      const prefix = c.suite.prefixOf(c.id);
      const p: string[] = [];
      try {
        if ((await readHalt(prefix)).finalized !== true) p.push('the halt file does not record that the run finished');
      } catch (e) { p.push(`the halt file is still unreadable: ${(e as Error).message}`); }
      const aside = readdirSync(join(prefix, '.scr')).filter((n) => n.startsWith('halt.scr.damaged.'));
      if (d !== 'delete' && aside.length !== 1) p.push(`the damaged halt file was not set aside: ${JSON.stringify(aside)}`);
      return p;
    },
    mpich: d === 'flip',
  }));
}

// ---------------------------------------------------------------------------------------------
// C. Reused paths.

const dataC: DataSpec = { ckpts: 3, files: 2, bytes: 1000, seed: 41, layout: 'same' };
const envC = (size: number) => ({ SCR_COPY_TYPE: 'XOR', SCR_FLUSH: '1', SCR_PREFIX_SIZE: String(size) });

/** Dataset 3 (ckpt.3, layout 'same') made to look as a flush leaves it between recording and
 * renaming: index flushed+staged, each file of `ranks` under its staging name, the path still
 * holding ckpt.2's bytes. Then `scr index --verify` must read the staged copies. */
async function forgeStaged(c: CaseContext, ranks: number[]): Promise<void> {
  const prefix = c.suite.prefixOf(c.id);
  const map = await readRankMap(prefix, 3);
  if (!map) throw new Error('no rank map of dataset 3');
  for (const r of ranks) {
    for (const f of map.ranks[r]!) {
      copyFileSync(f.path, stagePath(f.path, 3));
      writeFileSync(f.path, fileBytes(dataC, 2, r, parseFileName(basename(f.path))!.file));
    }
  }
  await updateIndex(prefix, (idx) => { idx.datasets['3']!.staged = true; });
  await writeSummary(prefix, (await readIndex(prefix)).datasets['3']!);
  const v = cli(['index', '--prefix', prefix, '--verify', 'ckpt.3'], { env: cleanEnv() });
  if (v.code !== 0 || !/"ckpt\.3" \(id 3\): ok: 8 files of 4 ranks match/.test(v.stdout)) throw new Error(`scr index --verify ckpt.3 with staged copies: exit ${v.code}: ${v.stdout}${v.stderr}`);
}

function reuseCases(): Case[] {
  const out: Case[] = [];
  for (const size of [0, 1, 2]) {
    out.push({
      id: `C-same-P${size}-fetch-newest`, env: envC(size), data: dataC,
      fault: loseAll,
      expect: { restored: 'ckpt.3' },
      post: async (c) => {
        const p = newestIntact(c, dataC, 3);
        const idx = await indexOf(c);
        const e3 = idx.datasets['3'];
        if (!e3?.flushed || e3.staged || e3.failed || idx.current !== 'ckpt.3') p.push(`ckpt.3 should be flushed, placed and current: ${JSON.stringify(idx)}`);
        // Retention: older checkpoints whose files ckpt.3 replaced go (with their records) when a
        // limit is set, and stay listed as replaced without one.
        if (size === 0 && (indexIds(idx) !== '1,2,3' || idx.datasets['1']!.superseded === undefined || idx.datasets['2']!.superseded !== 3)) p.push(`without SCR_PREFIX_SIZE, ckpt.1 and ckpt.2 stay listed as replaced: ${JSON.stringify(idx)}`);
        if (size > 0) {
          if (indexIds(idx) !== '3') p.push(`SCR_PREFIX_SIZE=${size}: only ckpt.3 should be left in the index: ${indexIds(idx)}`);
          for (const id of [1, 2]) if (existsSync(join(c.suite.prefixOf(c.id), '.scr', `scr.dataset.${id}`))) p.push(`the records of dataset ${id} were not removed`);
        }
        return p;
      },
      mpich: size === 1,
    });
  }
  out.push({
    id: 'C-same-P1-flip-newest', env: envC(1), data: dataC,
    fault: (c) => { c.flip('flushed', { rank: 1, file: 0 }); loseAll(c); },
    // The older checkpoints' files were replaced by ckpt.3's: nothing is left to fetch.
    expect: { restored: null, message: every(fetchFailed('ckpt.3', 1, 'ckpt/rank_1.dat', FETCH_WHAT.flip), NONE_FETCHABLE) },
    post: (c) => failedBy(c, 3, 'crc', 1),
  });
  for (const [tag, ranks] of [['all', [0, 1, 2, 3]], ['rank1', [1]]] as const) {
    out.push({
      id: `C-same-staged-leftover-${tag}`, env: envC(0), data: dataC,
      fault: async (c) => { await forgeStaged(c, [...ranks]); loseAll(c); },
      expect: { restored: 'ckpt.3', message: every('completed the flush of ckpt\\.3, which the previous run copied but did not finish') },
      post: async (c) => {
        const p = newestIntact(c, dataC, 3);
        if ((await indexOf(c)).datasets['3']?.staged) p.push('ckpt.3 is still recorded staged');
        return p;
      },
      mpich: tag === 'all',
    });
  }
  return out;
}

/** C. drop() / deleteDataset() / `scr index --drop` of older checkpoints that share paths. */
function namedCases(): Case[] {
  const out: Case[] = [];
  const after = (kept: string, gone: number[]) => async (c: CaseContext) => {
    const p = newestIntact(c, dataC, 3);
    const idx = await indexOf(c);
    if (indexIds(idx) !== kept) p.push(`the index should list datasets ${kept}, lists ${indexIds(idx)}`);
    for (const id of gone) if (existsSync(join(c.suite.prefixOf(c.id), '.scr', `scr.dataset.${id}`))) p.push(`deleteDataset left the records of dataset ${id}`);
    return p;
  };
  out.push({
    id: 'C-same-deleteDataset-ckpt.1', env: envC(0), data: dataC, named: [{ call: 'deleteDataset', name: 'ckpt.1' }], afterNamed: loseAll,
    expect: { restored: 'ckpt.3' }, post: after('2,3', [1]), mpich: true,
  });
  out.push({
    id: 'C-same-drop-ckpt.2', env: envC(0), data: dataC, named: [{ call: 'drop', name: 'ckpt.2' }], afterNamed: loseAll,
    expect: { restored: 'ckpt.3' }, post: after('1,3', []),
  });
  out.push({
    id: 'C-same-deleteDataset-ckpt.2-ckpt.1', env: envC(0), data: dataC,
    named: [{ call: 'deleteDataset', name: 'ckpt.2' }, { call: 'deleteDataset', name: 'ckpt.1' }], afterNamed: loseAll,
    expect: { restored: 'ckpt.3' }, post: after('3', [1, 2]),
  });
  out.push({
    id: 'C-same-cli-drop-ckpt.1', env: envC(0), data: dataC,
    fault: (c) => {
      const r = cli(['index', '--prefix', c.suite.prefixOf(c.id), '--drop', 'ckpt.1'], { env: cleanEnv() });
      if (r.code !== 0) throw new Error(`scr index --drop ckpt.1: exit ${r.code}: ${r.stdout}${r.stderr}`);
      loseAll(c);
    },
    expect: { restored: 'ckpt.3' }, post: after('2,3', []),
  });
  // The newest checkpoint's rank map damaged: the files it lists cannot be told from it, so
  // deleting an older checkpoint with the same paths must not delete them (they are the only copy
  // on the file system of what the caches restore).
  out.push({
    id: 'C-same-deleteDataset-ckpt.1-newest-rankmap-flipped', env: envC(0), data: dataC,
    fault: (c) => { c.flip('rankmap', { dataset: 3 }); },
    named: [{ call: 'deleteDataset', name: 'ckpt.1' }],
    expect: { restored: 'ckpt.3' },
    post: (c) => newestIntact(c, dataC, 3),
  });
  // The other way round: with paths of its own, an older checkpoint's files do go.
  const dataDirs: DataSpec = { ckpts: 2, files: 2, bytes: 1000, seed: 43 };
  out.push({
    id: 'C-dirs-deleteDataset-ckpt.1', env: envC(0), data: dataDirs, named: [{ call: 'deleteDataset', name: 'ckpt.1' }], afterNamed: loseAll,
    expect: { restored: 'ckpt.2' },
    post: async (c) => {
      const p = newestIntact(c, dataDirs, 2);
      const prefix = c.suite.prefixOf(c.id);
      if (existsSync(join(prefix, 'ckpt.1'))) p.push(`deleteDataset(ckpt.1) left ${join(prefix, 'ckpt.1')}: ${walk(join(prefix, 'ckpt.1')).join(', ')}`);
      if (indexIds(await indexOf(c)) !== '2') p.push('the index should list only ckpt.2');
      return p;
    },
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// D. scr index --unfail.

function unfailCases(): Case[] {
  const out: Case[] = [];
  const flipped = new Map<string, string>();
  const unfail = (c: CaseContext, name: string) => cli(['index', '--prefix', c.suite.prefixOf(c.id), '--unfail', name], { env: cleanEnv() });
  const CLEARED = (name: string, id: number) => new RegExp(`"${esc(name)}" \\(id ${id}\\): every file of 4 ranks matches its CRC; the failed mark \\([^\\n]*\\) is cleared: restarts may use it again`);
  const cleared = async (c: CaseContext, name: string, id: number): Promise<string[]> => {
    const r = unfail(c, name);
    const p: string[] = [];
    if (r.code !== 0 || !CLEARED(name, id).test(r.stdout)) p.push(`scr index --unfail ${name}: exit ${r.code}: ${r.stdout}${r.stderr}`);
    const e = (await indexOf(c)).datasets[String(id)];
    if (!e || e.failed || e.failure) p.push(`after --unfail, ${name} should not be marked failed: ${JSON.stringify(e)}`);
    return p;
  };
  out.push({
    id: 'D-unfail-after-repair', env: envB, data: dataB,
    fault: (c) => { flipped.set(c.id, c.flip('flushed', { dataset: 2, rank: 1, file: 0 }).path); loseAll(c); },
    expect: { restored: 'ckpt.1', message: every(fetchFailed('ckpt.2', 1, 'ckpt.2/rank_1.dat', FETCH_WHAT.flip)) },
    middle: async (c) => {
      const p = await failedBy(c, 2, 'crc', 1, 'ckpt.2/rank_1.dat');
      flipByte(flipped.get(c.id)!); // the repair: the same byte flipped back
      return [...p, ...(await cleared(c, 'ckpt.2', 2))];
    },
    again: { expect: { restored: 'ckpt.2' } },
    mpich: true,
  });
  out.push({
    id: 'D-unfail-without-repair', env: envB, data: dataB,
    fault: (c) => { c.flip('flushed', { dataset: 2, rank: 1, file: 0 }); loseAll(c); },
    expect: { restored: 'ckpt.1', message: every(fetchFailed('ckpt.2', 1, 'ckpt.2/rank_1.dat', FETCH_WHAT.flip)) },
    middle: async (c) => {
      const p: string[] = [];
      const r = unfail(c, 'ckpt.2');
      if (r.code !== 1 || !/"ckpt\.2" \(id 2\) stays marked failed: rank 1: \S+\/ckpt\.2\/rank_1\.dat: CRC differs: recorded 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}/.test(r.stderr + r.stdout)) {
        p.push(`scr index --unfail ckpt.2 without a repair should exit 1 naming the file: exit ${r.code}: ${r.stdout}${r.stderr}`);
      }
      p.push(...(await failedBy(c, 2, 'crc', 1, 'ckpt.2/rank_1.dat')));
      const l = cli(['index', '--prefix', c.suite.prefixOf(c.id)], { env: cleanEnv() });
      if (!/ckpt\.2 \(id 2\) failed: fetching ckpt\.2: \S+rank_1\.dat has CRC32 [^\n]*`scr index --unfail ckpt\.2` clears the mark once every CRC matches/.test(l.stdout)) p.push(`scr index does not say why ckpt.2 failed: ${l.stdout}${l.stderr}`);
      return p;
    },
    again: { expect: { restored: 'ckpt.1' } },
  });
  const NONE_LEFT = 'no checkpoint is left to restart from, so the application starts from the beginning: the application rejected ckpt\\.2, ckpt\\.1 with completeRestart\\(false\\), and each is now marked failed[^\\n]*`scr index --unfail ckpt\\.2`, `scr index --unfail ckpt\\.1`';
  out.push({
    id: 'D-reject-all-unfail', env: envB, data: dataB,
    restart: { reject: ['ckpt.1', 'ckpt.2'] },
    expect: { restored: null, message: every('checkpoint ckpt\\.2 was rejected by the application \\(completeRestart\\(false\\)\\): it is marked failed in the index', NONE_LEFT) },
    middle: async (c) => [...(await failedBy(c, 1, 'rejected')), ...(await failedBy(c, 2, 'rejected')), ...(await cleared(c, 'ckpt.2', 2))],
    again: { expect: { restored: 'ckpt.2' } },
    post: (c) => failedBy(c, 1, 'rejected'),
    mpich: true,
  });
  out.push({
    id: 'D-reject-newest-unfail', env: envB, data: dataB,
    restart: { reject: ['ckpt.2'] },
    expect: { restored: 'ckpt.1', message: every('checkpoint ckpt\\.2 was rejected by the application \\(completeRestart\\(false\\)\\): it is marked failed in the index') },
    middle: async (c) => [...(await failedBy(c, 2, 'rejected')), ...(await cleared(c, 'ckpt.2', 2))],
    again: { expect: { restored: 'ckpt.2' } },
  });
  // Without flushing, a rejected checkpoint is deleted: there is nothing to --unfail, and the
  // message must not send the user to a command that cannot help.
  out.push({
    id: 'D-reject-all-flush0', env: { SCR_COPY_TYPE: 'XOR', SCR_FLUSH: '0' }, data: dataB,
    restart: { reject: ['ckpt.1', 'ckpt.2'] },
    expect: { restored: null, message: every(REJECTED_CACHE_ONLY, 'checkpoint ckpt\\.1 was rejected by the application \\(completeRestart\\(false\\)\\): it was only in cache \\(SCR_FLUSH=0\\), so it is deleted') },
    post: (_c, rep) => {
      const err = rep.restart.filter(Boolean).map((l) => l.stderr).join('');
      return /--unfail ckpt\.[12]/.test(err) ? [`the message recommends \`scr index --unfail\` for checkpoints that were deleted (never flushed, SCR_FLUSH=0), which cannot bring them back:\n${err}`] : [];
    },
  });
  return out;
}

// ---------------------------------------------------------------------------------------------

function batch1(): Case[] {
  const a: Case[] = [];
  for (const loseN3 of [false, true]) {
    for (const s of SCHEMES) {
      for (const k of KINDS) {
        if (s === 'SINGLE' && (k === 'redData' || k === 'redRecord')) continue; // SINGLE keeps no redundancy
        for (const d of DAMAGES) a.push(nodeCase(s, k, d, loseN3));
      }
    }
  }
  return [...a, ...noCrcCases(), ...prefixCases(), ...reuseCases()];
}

function batch2(): Case[] {
  return [...namedCases(), ...unfailCases()];
}

for (const flavour of flavoursBuilt()) {
  const full = flavour === 'openmpi';
  // One batch: one write launch, the named calls (C), one restart launch (the halt cases last),
  // then scr index and a second restart for the cases of D.
  const cases = [...batch1(), ...batch2(), ...haltCases()].filter((c) => full || c.mpich);
  describe(`corruption and deletion of every kind of file, ${flavour}: ${cases.length} cases${full ? '' : ' (the MPICH subset)'}`, function () {
    this.timeout(900_000);
    let suite: FaultSuite;
    let reports: Map<string, CaseReport>;
    before(async function () {
      if (missing) { console.log(`      skipped: ${missing}`); this.skip(); }
      suite = new FaultSuite(flavour, { timeoutMs: 400_000 });
      const t0 = performance.now();
      if (process.env.SCRTEST_CORRUPT_DUMP) {
        const launch = suite.launch.bind(suite);
        suite.launch = async (...a: Parameters<FaultSuite['launch']>) => { const l = await launch(...a); console.log(`      (launch of ${a[1].length} scenarios: ${(l.run.ms / 1000).toFixed(1)} s)`); return l; };
      }
      reports = await runBatch(suite, cases);
      console.log(`      (${cases.length} cases in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
      // SCRTEST_CORRUPT_DUMP=DIR: each case's restart stderr in DIR/<id>.txt, to read the messages.
      if (process.env.SCRTEST_CORRUPT_DUMP) for (const [id, r] of reports) writeFileSync(join(process.env.SCRTEST_CORRUPT_DUMP, `${id}.txt`), r.restart.filter(Boolean).map((l) => l.stderr).join(''));
    });
    after(() => suite?.cleanup());
    for (const c of cases) it(c.id, () => assertCase(reports.get(c.id)));
  });
}
