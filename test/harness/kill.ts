// SIGKILL in every phase, for the fault-injection suite (test/faults/kill.test.ts): the kill
// hook's plan format (implemented in test/fixtures/fault-app.ts only), and the driver of batches
// of kill cases.
//
// A killed launch ends every scenario in it, so each case gets a launch of its own for the kill;
// everything else is shared by the batch:
//   1. setup   one launch writes every case's checkpoints ckpt.1 … ckpt.<data.ckpts> and finalizes;
//   2. before  each case's fault (wipe its caches, lose a node, …);
//   3. kill    one launch per case, with a kill hook: 'write' writes ckpt.<data.ckpts+1>, 'restart'
//              restarts (fetch, rebuild, migration); one rank, or every rank of the job, is
//              SIGKILLed at the N-th call of a point (KillSpec). Checked: the point was reached
//              (the rank left killed.<rank>.json), the launch ended without hanging, no process of
//              it outlived mpirun or the launch, the files `keep` names are as they were, and the
//              prefix's index says flushed only for what can be fetched, byte for byte;
//   4. after   each case's fault between the kill and the next launch (wipe the caches, …);
//   5. verify  one restart launch per placement for every case of the batch: exact bytes of the
//              expected checkpoint or a clear refusal (Expectation, as in test/harness/faults.ts),
//              and the index checked again.
// Every launch's wall time is recorded (and, for a killed one, how long the job took to be gone
// after the first rank died).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { readMetaFileIfExists } from '../../src/meta/index.js';
import { stagePath } from '../../src/pfs/commit.js';
import { indexPath, type PfsIndex, readRankMap } from '../../src/pfs/index.js';
import {
  type Action, type CaseContext, caseContext, type CaseReport, checkOutcome, checkWritten, ckptIndex, type DataSpec, type Expectation,
  type FaultSuite, type FileKind, fileCrc, fileSize, type Launch, parseFileName, type Scenario, stderrOf,
} from './faults.js';
import { processesWith } from './nodes.js';

// ---------------------------------------------------------------------------------------------
// The hook's plan format (read by test/fixtures/fault-app.ts).

/** Where to kill. Each is a call the fixture sees (wrapped node:fs/promises functions and Comm
 * methods; see the fixture), counted per rank:
 *  - app-write   the application's own write of a file (half of it written, then killed)
 *  - ring        sendrecv/isend/irecv with a ring tag (encode; rebuild; encode after a fetch)
 *  - move        send/recv of the data moved to ranks placed on other nodes (restore-move)
 *  - filemap     the rename that puts a file map (.scr/filemap.<r>.scr) in place
 *  - redrecord   the rename that puts a redundancy record (.scr/red.<r>.scr) in place
 *  - cindex      the rename that puts a node's cache index (cindex.scr) in place
 *  - stage       chmod of a staged flush copy (…​.part): the copy is written and fsynced
 *  - rankmap / summary / index   the rename that puts that prefix record in place
 *  - place       the rename of a staged copy (…​.part) over its path
 *  - marker      the rename that puts an asynchronous flush marker (flushed.<r>.scr) in place
 *  - cache-file  chmod of a file just copied into a node cache's dataset directory (fetch)
 *  - prefix-delete  rm of a checkpoint file under the prefix (retention deleting a dataset)
 *  - cache-delete   unlink of a file in a node cache (the sources of moved data, once moved) */
export type KillPoint = 'app-write' | 'ring' | 'move' | 'filemap' | 'redrecord' | 'cindex' | 'stage' | 'rankmap' | 'summary' | 'index' | 'place' | 'marker' | 'cache-file'
  | 'prefix-delete' | 'cache-delete';

export interface KillSpec {
  /** The rank that dies, or 'all': rank `by` reaches the point and SIGKILLs every process of the
   * launch (those carrying its SCRFAULT_RUN marker), itself last. */
  rank: number | 'all';
  /** With rank 'all': the rank whose calls are counted (default 0). */
  by?: number;
  at: KillPoint;
  /** Die at the nth call of the point (default 1). */
  nth?: number;
  /** Die right after the call completed (default: before it happens). */
  after?: boolean;
  /** Count only calls after this point was passed once (completed). */
  from?: KillPoint;
  /** Armed from startOutput(ckpt.<ckpt>) on (default: from the scenario's start, init included). */
  ckpt?: number;
  /** Sleep this long (the other ranks go on) before the kill. */
  delayMs?: number;
  /** Before the kill, wait (up to 60 s) until every other rank has completed this point (after
   * `from`, when given): each leaves <results>/past.<scenario>.<rank> then. For a result that
   * needs the others to be past a point, where a fixed delay could be too short on a loaded
   * machine. */
  othersPast?: KillPoint;
}

/** Left by the rank that fired, in <results>/killed.<rank>.json, just before the SIGKILL. */
export interface KillRecord {
  scenario: string;
  rank: number;
  node: string;
  spec: KillSpec;
  /** The call it was about to make (or had made, with `after`). */
  where: string;
  count: number;
  t: number;
}

// ---------------------------------------------------------------------------------------------
// Cases.

export interface KillCase {
  /** Unique in the suite (the case's SCR_JOB_ID and prefix directory name). */
  id: string;
  /** For the report: which phase. */
  family: string;
  /** SCR_* settings of every launch of the case. */
  env: Record<string, string>;
  /** The setup writes ckpt.1 … ckpt.<ckpts>; a killed 'write' writes ckpt.<ckpts+1>. */
  data: DataSpec;
  /** Applied before the killed launch. */
  before?: (c: CaseContext) => void;
  killed: { action: 'write' | 'restart'; on: string[]; kill: KillSpec };
  /** Files the killed launch must not change or delete: node-local files (data, redundancy,
   * file maps, redundancy records) on these nodes; the prefix's files and records. */
  keep?: { nodes?: string[]; prefix?: boolean };
  /** Applied between the killed launch and the verifying one. */
  after?: (c: CaseContext) => void;
  /** Placement of the verifying restart. */
  verifyOn: string[];
  expect: Expectation;
}

export interface KillTiming {
  /** Wall time of the killed launch. */
  ms: number;
  code: number | null;
  signal: string | null;
  /** From the first rank gone to the last (the launcher's teardown), when seen. */
  teardownMs: number | null;
  /** Processes of the launch seen alive more than 250 ms after mpirun had exited. */
  orphans: number[];
  /** The most processes of the launch seen alive at once, and how many times they were looked for. */
  seen: number;
  polls: number;
}

export interface KillReport extends CaseReport {
  family: string;
  killRecord: KillRecord | null;
  kill: KillTiming | null;
  verifyMs: number | null;
}

export interface KillBatch {
  reports: Map<string, KillReport>;
  /** Every launch: what, on which placement, its wall time. */
  launches: Array<{ what: string; ms: number; scenarios: number }>;
}

// ---------------------------------------------------------------------------------------------
// Watching a launch from outside: which of its processes are alive, and when mpirun exits.

interface Watch {
  /** The most processes of the launch seen at once. */
  maxRanks: number;
  firstGoneAt: number | null;
  allGoneAt: number | null;
  mpirunGoneAt: number | null;
  orphans: Set<number>;
  polls: number;
}

function mpirunOf(marker: string): number | null {
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      if (readFileSync(`/proc/${p}/cmdline`, 'latin1').split('\0').includes(marker)) return Number(p);
    } catch { /* gone */ }
  }
  return null;
}

function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch { return false; }
}

/** Starts `launch` (which must call runNodes at once, as FaultSuite.launch does) and watches its
 * `ranks` processes until it resolves: /proc is scanned every 100 ms until all are seen, then
 * only they (and mpirun) are looked at. */
async function watched(suite: FaultSuite, ranks: number, launch: () => Promise<Launch>): Promise<{ l: Launch; w: Watch }> {
  const marker = `SCRFAULT_RUN=${basename(suite.job.root)}.${suite.job.launches + 1}`;
  const w: Watch = { maxRanks: 0, firstGoneAt: null, allGoneAt: null, mpirunGoneAt: null, orphans: new Set(), polls: 0 };
  const p = launch();
  if (`SCRFAULT_RUN=${basename(suite.job.root)}.${suite.job.launches}` !== marker) throw new Error('kill harness: the launch marker is not the expected one');
  let mpirun: number | null = null;
  let known: number[] = [];
  const poll = () => {
    const now = performance.now();
    w.polls++;
    const pids = known.length < ranks ? processesWith(marker) : known.filter(alive);
    if (pids.length > w.maxRanks) { w.maxRanks = pids.length; known = pids; }
    if (w.maxRanks > 0 && pids.length < w.maxRanks) w.firstGoneAt ??= now;
    if (w.maxRanks > 0 && pids.length === 0) w.allGoneAt ??= now;
    if (mpirun === null) mpirun = mpirunOf(marker);
    else if (w.mpirunGoneAt === null && !alive(mpirun)) w.mpirunGoneAt = now;
    if (w.mpirunGoneAt !== null && now - w.mpirunGoneAt > 250) for (const x of pids) w.orphans.add(x);
  };
  const timer = setInterval(poll, 100);
  try {
    const l = await p;
    poll();
    return { l, w };
  } finally {
    clearInterval(timer);
  }
}

// ---------------------------------------------------------------------------------------------
// Checks from the test process.

const NODE_KEEP: FileKind[] = ['data', 'redData', 'filemap', 'redRecord'];
const PREFIX_KEEP: FileKind[] = ['flushed', 'rankmap', 'summary'];

/** CRC32 of every file the case's `keep` names. */
export function snapshot(suite: FaultSuite, id: string, keep: KillCase['keep']): Map<string, number> {
  const out = new Map<string, number>();
  for (const node of keep?.nodes ?? []) for (const k of NODE_KEEP) for (const f of suite.files(id, k, { node })) out.set(f.path, crc32(readFileSync(f.path)));
  if (keep?.prefix) for (const k of PREFIX_KEEP) for (const f of suite.files(id, k)) out.set(f.path, crc32(readFileSync(f.path)));
  return out;
}

/** What changed since a snapshot (deleted or different files). */
export function changedSince(before: Map<string, number>): string[] {
  const out: string[] = [];
  for (const [path, crc] of before) {
    if (!existsSync(path)) { out.push(`${path} was deleted`); continue; }
    const now = crc32(readFileSync(path));
    if (now !== crc) out.push(`${path} changed (CRC32 ${crc.toString(16)} → ${now.toString(16)})`);
  }
  return out;
}

/** The prefix's index never says flushed for something that cannot be fetched: for every entry
 * it offers for a restart (flushed, complete, not failed, not superseded), the rank map is there and every file (its staged copy while one exists, as
 * readers take it) holds exactly the bytes that checkpoint wrote. */
export async function indexProblems(prefix: string, spec: DataSpec): Promise<string[]> {
  let idx: PfsIndex | undefined;
  try {
    idx = await readMetaFileIfExists<PfsIndex>(indexPath(prefix), { expectKind: 'index' });
  } catch (e) {
    return [`the index ${indexPath(prefix)} is unreadable after the kill: ${(e as Error).message}`];
  }
  const out: string[] = [];
  for (const e of Object.values(idx?.datasets ?? {})) {
    // Restart candidates (src/pfs/index.ts fetchable): complete, flushed, not failed, not superseded.
    if (!(e.flushed && e.complete && !e.failed && e.superseded === undefined)) continue;
    const what = `the index says ${e.name} (dataset ${e.id}) is flushed, but`;
    const map = await readRankMap(prefix, e.id).catch((err: Error) => err);
    if (!map || map instanceof Error) { out.push(`${what} its rank map is ${map ? `unreadable (${map.message})` : 'missing'}`); continue; }
    if (map.ranks.length !== e.ranks) out.push(`${what} its rank map lists ${map.ranks.length} ranks, not ${e.ranks}`);
    const i = ckptIndex(e.name);
    map.ranks.forEach((files, r) => {
      for (const f of files) {
        const staged = stagePath(f.path, e.id);
        const at = existsSync(staged) ? staged : f.path;
        if (!existsSync(at)) { out.push(`${what} ${f.path} is missing (and has no staged copy)`); continue; }
        const data = readFileSync(at);
        const p = parseFileName(basename(f.path));
        if (data.length !== f.size) out.push(`${what} ${at} has ${data.length} bytes, ${f.size} recorded`);
        else if (f.crc !== null && crc32(data) !== f.crc) out.push(`${what} ${at} has CRC32 ${crc32(data).toString(16)}, ${f.crc.toString(16)} recorded`);
        else if (i !== null && p && (p.rank !== r || data.length !== fileSize(spec, i, r, p.file) || crc32(data) !== fileCrc(spec, i, r, p.file))) {
          out.push(`${what} ${at} does not hold what rank ${r} wrote for ${e.name}`);
        }
      }
    });
  }
  return out;
}

function killRecordOf(l: Launch, id: string): KillRecord | null {
  const m = /plan\.(\d+)\.json$/.exec(l.plan);
  if (!m) return null;
  const dir = join(dirname(l.plan), m[1]!);
  for (const f of existsSync(dir) ? readdirSync(dir).filter((e) => /^killed\.\d+\.json$/.test(e)) : []) {
    try {
      const r = JSON.parse(readFileSync(join(dir, f), 'utf8')) as KillRecord;
      if (r.scenario === id) return r;
    } catch { /* torn: not ours */ }
  }
  return null;
}

const short = (s: string, n = 2500): string => (s.length > n ? `…${s.slice(-n)}` : s);

/** Runs `fn` over items with at most `width` at once. */
async function pool<T>(items: T[], width: number, fn: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, items.length)) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/**
 * Runs a batch of kill cases (see the header). `setupOn`: placement of the setup launch;
 * `parallel`: killed launches run at once (each is one small job). Returns a report per case.
 */
export async function runKillCases(suite: FaultSuite, cases: KillCase[], opts: { setupOn: string[]; parallel?: number; killTimeoutMs?: number }): Promise<KillBatch> {
  for (const c of cases) suite.define(c.id, c.env);
  const reports = new Map<string, KillReport>(cases.map((c) => [c.id, { id: c.id, family: c.family, problems: [], outcome: null, write: [], restart: [], killRecord: null, kill: null, verifyMs: null }]));
  const launches: KillBatch['launches'] = [];
  const failedLaunch = (what: string, l: Launch) => (l.run.timedOut ? `the ${what} launch was killed after its time limit` : `the ${what} launch exited with ${l.run.code ?? l.run.signal}`);

  // 1. Setup: every case's checkpoints, in one launch.
  const setup = await suite.launch(opts.setupOn, cases.map((c) => suite.scenario(c.id, { kind: 'write', data: c.data })));
  launches.push({ what: `setup on ${opts.setupOn.join(',')}`, ms: setup.run.ms, scenarios: cases.length });
  for (const c of cases) {
    const rep = reports.get(c.id)!;
    rep.write = setup.results.get(c.id)!;
    for (const p of checkWritten(rep.write, opts.setupOn.length, c.data)) rep.problems.push(`setup: ${p}`);
    if ((setup.run.code !== 0 || setup.run.timedOut) && (setup.missing.length === 0 || setup.missing.includes(c.id))) rep.problems.push(`${failedLaunch('setup', setup)}\n${short(setup.run.stderr)}`);
  }

  // 2–3. Each case: its fault, then its killed launch.
  await pool(cases, opts.parallel ?? 1, async (c) => {
    const rep = reports.get(c.id)!;
    const ctx = caseContext(suite, c.id);
    try { c.before?.(ctx); } catch (e) { rep.problems.push(`applying the fault before the kill failed: ${(e as Error).message}`); }
    const kept = snapshot(suite, c.id, c.keep);
    const action = (c.killed.action === 'write'
      ? { kind: 'write', data: { ...c.data, first: (c.data.first ?? 1) + c.data.ckpts, ckpts: 1 }, kill: c.killed.kill }
      : { kind: 'restart', data: c.data, kill: c.killed.kill }) as Action & { kill: KillSpec };
    const sc: Scenario = suite.scenario(c.id, action);
    const { l, w } = await watched(suite, c.killed.on.length, () => suite.launch(c.killed.on, [sc], { timeoutMs: opts.killTimeoutMs ?? 60_000 }));
    launches.push({ what: `kill ${c.id}`, ms: l.run.ms, scenarios: 1 });
    rep.kill = {
      ms: l.run.ms, code: l.run.code, signal: l.run.signal, orphans: [...w.orphans], seen: w.maxRanks, polls: w.polls,
      teardownMs: w.firstGoneAt !== null && w.allGoneAt !== null ? w.allGoneAt - w.firstGoneAt : null,
    };
    rep.killRecord = killRecordOf(l, c.id);
    const lines = l.results.get(c.id)!;
    const tail = `\n  stderr of the killed launch:\n${short(l.run.stderr || stderrOf(lines)) || '(empty)'}`;
    if (!rep.killRecord) {
      rep.problems.push(`the kill point was never reached (${JSON.stringify(c.killed.kill)}): no rank left a kill record; the launch exited with ${l.run.code ?? l.run.signal}${tail}`);
    } else {
      const want = c.killed.kill.rank === 'all' ? (c.killed.kill.by ?? 0) : c.killed.kill.rank;
      if (rep.killRecord.rank !== want) rep.problems.push(`rank ${rep.killRecord.rank} fired the kill, not rank ${want}`);
    }
    if (l.run.timedOut) rep.problems.push(`the killed launch hung: it was killed after its time limit${tail}`);
    else if (l.run.code === 0 && rep.killRecord) rep.problems.push(`the killed launch exited with 0 although rank ${rep.killRecord.rank} was SIGKILLed${tail}`);
    const done = lines.filter(Boolean).map((x) => x.rank);
    if (rep.killRecord && c.killed.kill.rank === 'all' && done.length) rep.problems.push(`ranks ${done.join(',')} finished the scenario although the whole job was killed`);
    if (w.orphans.size) rep.problems.push(`processes ${[...w.orphans].join(', ')} of the killed launch were still alive after mpirun had exited${tail}`);
    const left = processesWith(l.run.marker);
    if (left.length) rep.problems.push(`processes ${left.join(', ')} of the killed launch survive it`);
    for (const p of changedSince(kept)) rep.problems.push(`the killed launch destroyed what it had to keep: ${p}`);
    for (const p of await indexProblems(suite.prefixOf(c.id), c.data)) rep.problems.push(`after the kill: ${p}`);
  });

  // 4–5. Faults after the kill; then one verifying restart per placement.
  for (const c of cases) {
    try { c.after?.(caseContext(suite, c.id)); } catch (e) { reports.get(c.id)!.problems.push(`applying the fault after the kill failed: ${(e as Error).message}`); }
  }
  const groups = new Map<string, KillCase[]>();
  for (const c of cases) groups.set(c.verifyOn.join(','), [...(groups.get(c.verifyOn.join(',')) ?? []), c]);
  for (const [where, group] of groups) {
    const on = group[0]!.verifyOn;
    const v = await suite.launch(on, group.map((c) => suite.scenario(c.id, { kind: 'restart', data: c.data })));
    launches.push({ what: `verify on ${where}`, ms: v.run.ms, scenarios: group.length });
    for (const c of group) {
      const rep = reports.get(c.id)!;
      rep.verifyMs = v.run.ms;
      rep.restart = v.results.get(c.id)!;
      if ((v.run.code !== 0 || v.run.timedOut) && (v.missing.length === 0 || v.missing.includes(c.id))) rep.problems.push(`${failedLaunch('verifying', v)}\n${short(v.run.stderr)}`);
      rep.outcome = checkOutcome(rep.restart, on.length, c.expect);
      rep.problems.push(...rep.outcome.problems);
      for (const p of await indexProblems(suite.prefixOf(c.id), c.data)) rep.problems.push(`after the verifying restart: ${p}`);
    }
  }
  return { reports, launches };
}
