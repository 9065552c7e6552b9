// The fault-injection suite's driver (test/faults): plans for test/fixtures/fault-app.ts, the
// launches on private nodes (test/harness/nodes.ts), finding a node's or the prefix's files of one
// kind, applying faults between launches, and checking what the ranks restored.
//
// One launch runs many independent scenarios (each its own SCR_JOB_ID and SCR_PREFIX), so a whole
// batch of cases costs two launches: write everything, fault each case's files, restart everything.
//
//   const suite = new FaultSuite('openmpi');
//   const reports = await runCases(suite, [
//     { id: 'xor-lose-n1', env: { SCR_COPY_TYPE: 'XOR' }, data: { ckpts: 2, files: 2, bytes: 4096, seed: 1 },
//       fault: (c) => c.loseNode('n1'), expect: { restored: 'ckpt.2', message: /rebuilt dataset ckpt\.2/ } },
//   ], { nodes: ['n0', 'n1', 'n2', 'n3'], restartOn: ['n0', 'n4', 'n2', 'n3'] });
//   assertCase(reports.get('xor-lose-n1')!);
//   suite.cleanup();
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32 } from 'node:zlib';
import { cacheIndexPath, DATASET_DIR_PREFIX, filemapPath, nodeDir as cacheNodeDir, prefixScrDir, redDataPath, redMetaPath } from '../../src/cache/paths.js';
import { haltFilePath } from '../../src/halt/file.js';
import type { MpiFlavour } from '../../src/native/paths.js';
import { indexPath, pfsDatasetDir, rankmapPath, summaryPath } from '../../src/pfs/index.js';
import { markerPath } from '../../src/scr/flush.js';
import { logPath } from '../../src/scr/log.js';
import { cleanupNodeJob, flipByte, hostPath, loseNode as loseWholeNode, newNodeJob, nodeDir, type NodeJob, type NodeRunResult, runNodes, truncateFile } from './nodes.js';

// ---------------------------------------------------------------------------------------------
// The data every scenario writes: a pure function of (seed, checkpoint, rank, file), so the app
// at restart, and this process, know what each checkpoint held.

export interface DataSpec {
  /** Checkpoints written by 'write' (ckpt.<first> … ckpt.<first+ckpts-1>). */
  ckpts: number;
  /** Files per rank per checkpoint. */
  files: number;
  /** Base size of a file in bytes; each file is bytes + 37·rank + 13·file + 5·checkpoint. */
  bytes: number;
  seed: number;
  /** 'dirs' (default): <prefix>/ckpt.<i>/rank_<r>[.<f>].dat; 'same': <prefix>/ckpt/rank_<r>[.<f>].dat
   * for every checkpoint, as SCR's examples do. */
  layout?: 'dirs' | 'same';
  /** Index of the first checkpoint written (default 1). */
  first?: number;
  /** This file index is written empty (0 bytes). */
  zeroFile?: number;
}

export const ckptName = (i: number): string => `ckpt.${i}`;

/** The checkpoint number of a name made by ckptName, or null. */
export function ckptIndex(name: string): number | null {
  const m = /^ckpt\.(\d+)$/.exec(name);
  return m ? Number(m[1]) : null;
}

/** A file's path relative to the prefix. */
export function fileRel(spec: DataSpec, ckpt: number, rank: number, file: number): string {
  const dir = spec.layout === 'same' ? 'ckpt' : ckptName(ckpt);
  return join(dir, file === 0 ? `rank_${rank}.dat` : `rank_${rank}.${file}.dat`);
}

/** Rank and file index of a file name made by fileRel, or null. */
export function parseFileName(name: string): { rank: number; file: number } | null {
  const m = /^rank_(\d+)(?:\.(\d+))?\.dat$/.exec(name);
  return m ? { rank: Number(m[1]), file: m[2] === undefined ? 0 : Number(m[2]) } : null;
}

export function fileSize(spec: DataSpec, ckpt: number, rank: number, file: number): number {
  return spec.zeroFile === file ? 0 : spec.bytes + 37 * rank + 13 * file + 5 * ckpt;
}

function fmix32(h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The contents of one file (xorshift32 from a hash of its coordinates). */
export function fileBytes(spec: DataSpec, ckpt: number, rank: number, file: number): Buffer {
  const size = fileSize(spec, ckpt, rank, file);
  const b = Buffer.allocUnsafeSlow(size);
  let x = fmix32(Math.imul(spec.seed + 1, 0x9e3779b1) ^ Math.imul(ckpt + 7, 0x85ebca77) ^ Math.imul(rank + 13, 0xc2b2ae3d) ^ Math.imul(file + 29, 0x27d4eb2f)) || 1;
  const words = size >>> 2;
  const u32 = new Uint32Array(b.buffer, 0, words);
  for (let i = 0; i < words; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    u32[i] = x >>> 0;
  }
  for (let i = words * 4; i < size; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

export function fileCrc(spec: DataSpec, ckpt: number, rank: number, file: number): number {
  return crc32(fileBytes(spec, ckpt, rank, file));
}

// ---------------------------------------------------------------------------------------------
// The plan read by test/fixtures/fault-app.ts.

export interface WriteAction {
  kind: 'write';
  data: DataSpec;
  /** Also FLAG_OUTPUT (the dataset is flushed whatever SCR_FLUSH says). */
  output?: boolean;
  /** completeOutput(false) for these checkpoint numbers (the app says its write failed). */
  invalid?: number[];
}

export interface RestartAction {
  kind: 'restart';
  /** What the checkpoints hold (seed, sizes, layout); `ckpts` and `first` are not used here. */
  data: DataSpec;
  /** The app calls completeRestart(false) for these names even when every byte matched. */
  reject?: string[];
  /** haveRestart/startRestart/completeRestart rounds before giving up (default 8). */
  maxAttempts?: number;
  /** After the restart (or without one), write this many more checkpoints, continuing the
   * numbering after the restored one (from data.first ?? 1 when nothing was restored). */
  thenWrite?: number;
}

export interface ProbeAction {
  kind: 'probe';
  /** Directories to list recursively (as the rank sees them). */
  list?: string[];
  /** Paths whose existence to report. */
  exists?: string[];
}

export type Action = WriteAction | RestartAction | ProbeAction;

export interface Scenario {
  /** Unique in the plan; letters, digits, '_', '.', '-'. */
  id: string;
  /** Set in process.env before scr.init() (and removed after scr.finalize()). */
  env: Record<string, string>;
  /** Extra environment by node name (SCR_NODE_NAME), e.g. another SCR_CACHE_BASE on one node. */
  nodeEnv?: Record<string, Record<string, string>>;
  action: Action;
}

export interface Plan {
  /** Environment common to every scenario (below each scenario's). */
  env?: Record<string, string>;
  /** A directory shared by all ranks: each rank appends its result lines to rank<r>.jsonl. */
  results?: string;
  scenarios: Scenario[];
}

export interface FileCheck { path: string; size: number; crc: number | null; expected: number; ok: boolean; error?: string }

/** An exception as a fixture reports it. */
export function errorInfo(e: unknown, at: string): ErrorInfo {
  const err = e as { name?: string; message?: string; code?: unknown };
  return { name: err?.name ?? typeof e, message: err?.message ?? String(e), code: typeof err?.code === 'string' ? err.code : undefined, at };
}

/** Reads one file of a checkpoint where `route` says (the library's routeFile) and checks it
 * against what was written: its CRC-32 and its size. */
export function readBack(path: string, route: (p: string) => string, expected: number, size: number): FileCheck {
  try {
    const data = readFileSync(route(path));
    const crc = crc32(data);
    return { path, size: data.length, crc, expected, ok: crc === expected && data.length === size, ...(data.length !== size ? { error: `size ${data.length}, expected ${size}` } : {}) };
  } catch (e) {
    const x = errorInfo(e, 'read');
    return { path, size: -1, crc: null, expected, ok: false, error: `${x.code ? `${x.code}: ` : ''}${x.message}` };
  }
}
export interface Attempt { name: string; bytesOk: boolean; accepted: boolean; files: FileCheck[] }
export interface ErrorInfo { name: string; message: string; code?: string; at: string }

/** One rank's report of one scenario (one JSON line). */
export interface RankResult {
  scenario: string;
  rank: number;
  size: number;
  node: string;
  action: Action['kind'];
  /** The checkpoint whose completeRestart resolved to true, or null. */
  restored: string | null;
  /** Whether every byte of the restored checkpoint matched (null: nothing restored). */
  bytesOk: boolean | null;
  /** CRC-32 of each file read from the restored checkpoint, by path. */
  crcs: Record<string, number>;
  /** Every haveRestart round: what was offered, whether its bytes matched, whether it was accepted. */
  attempts: Attempt[];
  /** completeOutput's result per checkpoint written. */
  wrote: Array<{ name: string; ok: boolean }>;
  /** Local failures writing a file (the checkpoint was then completed with valid=false). */
  writeErrors: string[];
  /** The first exception the library (or the app) threw in this scenario. */
  error: ErrorInfo | null;
  /** Exceptions while getting the library back to uninitialised after `error`. */
  recoveryErrors: ErrorInfo[];
  /** The library could not be finalized: later scenarios of this launch cannot init. */
  stuck: boolean;
  probe?: { listed: Record<string, string[]>; exists: Record<string, boolean>; shm: string[] };
  /** Everything written to this rank's stderr during the scenario. */
  stderr: string;
  ms: number;
}

// ---------------------------------------------------------------------------------------------
// Kinds of files, found from the test process.

export type NodeFileKind = 'data' | 'redData' | 'redRecord' | 'filemap' | 'cindex';
export type PrefixFileKind = 'flushed' | 'index' | 'summary' | 'rankmap' | 'flushMarker' | 'halt' | 'log';
export type FileKind = NodeFileKind | PrefixFileKind;

export interface FoundFile {
  kind: FileKind;
  /** Where the test process reaches it. */
  path: string;
  /** The node whose storage holds it (node-local kinds). */
  node?: string;
  /** Cached dataset id, or flushed dataset id for summary/rankmap/flushMarker. */
  dataset?: number;
  /** The rank it belongs to, when the name says (data files, red.*, filemap, flush markers). */
  rank?: number;
  /** File index of a data file (rank_<r>.<f>.dat). */
  file?: number;
}

export interface FileFilter { node?: string; dataset?: number; rank?: number; file?: number }

const NODE_KINDS: readonly string[] = ['data', 'redData', 'redRecord', 'filemap', 'cindex'];

function isDir(p: string): boolean {
  try { return statSync(p).isDirectory(); } catch { return false; }
}

function walkFiles(dir: string, skip: (rel: string) => boolean, rel = ''): string[] {
  const out: string[] = [];
  let entries: string[] = [];
  try { entries = readdirSync(join(dir, rel)); } catch { return out; }
  for (const e of entries.sort()) {
    const r = rel ? join(rel, e) : e;
    if (skip(r)) continue;
    if (isDir(join(dir, r))) out.push(...walkFiles(dir, skip, r));
    else out.push(r);
  }
  return out;
}

const here = dirname(fileURLToPath(import.meta.url));
/** The built fixture (dist/test/fixtures/fault-app.js). */
export const FAULT_APP = join(here, '..', 'fixtures', 'fault-app.js');

export interface CaseDef {
  id: string;
  env: Record<string, string>;
  nodeEnv?: Record<string, Record<string, string>>;
}

export interface Launch {
  run: NodeRunResult;
  /** Per scenario id, the rank results (index = rank; holes for ranks that reported nothing). */
  results: Map<string, RankResult[]>;
  /** Scenario ids with fewer reports than ranks. */
  missing: string[];
  plan: string;
}

/**
 * A set of fault cases on one job root with private nodes: each case (scenario) has its own
 * SCR_JOB_ID (= its id) and SCR_PREFIX (`<root>/prefix/<id>`), so any number share the launches.
 */
export class FaultSuite {
  readonly job: NodeJob;
  readonly cases = new Map<string, CaseDef>();
  /** Each launch's hard limit (default 180 s); then every rank of it is killed. */
  readonly timeoutMs: number;
  #launches = 0;

  constructor(readonly flavour: MpiFlavour, opts: { timeoutMs?: number; env?: Record<string, string> } = {}) {
    this.job = newNodeJob({ env: opts.env });
    this.timeoutMs = opts.timeoutMs ?? 180_000;
  }

  get root(): string { return this.job.root; }

  /** Registers a case: its id must be unique (it is the job id). Returns its environment. */
  define(id: string, env: Record<string, string> = {}, nodeEnv?: Record<string, Record<string, string>>): CaseDef {
    if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw new Error(`case id ${JSON.stringify(id)}: use letters, digits, '_', '.', '-'`);
    if (this.cases.has(id)) throw new Error(`case id ${id} is used twice`);
    const prefix = join(this.job.prefix, id);
    mkdirSync(prefix, { recursive: true });
    const def: CaseDef = { id, env: { SCR_PREFIX: prefix, SCR_JOB_ID: id, ...env }, nodeEnv };
    this.cases.set(id, def);
    return def;
  }

  caseDef(id: string): CaseDef {
    const d = this.cases.get(id);
    if (!d) throw new Error(`no case ${id}`);
    return d;
  }

  /** The environment a case's ranks on `node` run with (job, case, node overrides). */
  envOf(id: string, node: string): Record<string, string> {
    const d = this.caseDef(id);
    return { ...this.job.env, ...d.env, ...d.nodeEnv?.[node] };
  }

  prefixOf(id: string): string {
    return this.envOf(id, '')['SCR_PREFIX']!;
  }

  /** Every node that has storage in this job (local.<node> directories). */
  nodes(): string[] {
    return readdirSync(this.job.root).filter((e) => e.startsWith('local.')).map((e) => e.slice('local.'.length)).sort();
  }

  /** Node `node`'s cache (or control) directory of a case, as this process reaches it. */
  nodeCaseDir(id: string, node: string, which: 'cache' | 'cntl'): string {
    const env = this.envOf(id, node);
    const base = which === 'cache' ? env['SCR_CACHE_BASE']! : env['SCR_CNTL_BASE']!;
    return hostPath(this.job, node, cacheNodeDir(base, { user: env['SCR_USER_NAME']!, jobId: env['SCR_JOB_ID']!, node }));
  }

  /** The files of one kind of a case: node-local kinds on every node (or `filter.node`), prefix
   * kinds under the case's prefix. Sorted by node, dataset, rank, file index, path. */
  files(id: string, kind: FileKind, filter: FileFilter = {}): FoundFile[] {
    const out: FoundFile[] = [];
    if (NODE_KINDS.includes(kind)) {
      for (const node of filter.node ? [filter.node] : this.nodes()) {
        if (kind === 'cindex') {
          const p = cacheIndexPath(this.nodeCaseDir(id, node, 'cntl'));
          if (existsSync(p)) out.push({ kind, path: p, node });
          continue;
        }
        const nd = this.nodeCaseDir(id, node, 'cache');
        let dirs: string[] = [];
        try { dirs = readdirSync(nd).filter((e) => e.startsWith(DATASET_DIR_PREFIX) && /^\d+$/.test(e.slice(DATASET_DIR_PREFIX.length))); } catch { /* none */ }
        for (const d of dirs) {
          const dataset = Number(d.slice(DATASET_DIR_PREFIX.length));
          const ds = join(nd, d);
          if (kind === 'data') {
            for (const f of readdirSync(ds).filter((e) => !isDir(join(ds, e)))) {
              const p = parseFileName(f);
              out.push({ kind, path: join(ds, f), node, dataset, rank: p?.rank, file: p?.file });
            }
            continue;
          }
          let meta: string[] = [];
          try { meta = readdirSync(join(ds, '.scr')); } catch { /* none */ }
          for (const f of meta) {
            const m = /^(red|filemap)\.(\d+)\.(dat|scr)$/.exec(f);
            if (!m) continue;
            const rank = Number(m[2]);
            const path = kind === 'redData' ? redDataPath(ds, rank) : kind === 'redRecord' ? redMetaPath(ds, rank) : filemapPath(ds, rank);
            if (join(ds, '.scr', f) === path) out.push({ kind, path, node, dataset, rank });
          }
        }
      }
    } else {
      const prefix = this.prefixOf(id);
      const ids = (): number[] => {
        try {
          return readdirSync(prefixScrDir(prefix)).filter((e) => e.startsWith(DATASET_DIR_PREFIX)).map((e) => Number(e.slice(DATASET_DIR_PREFIX.length))).filter(Number.isInteger);
        } catch { return []; }
      };
      const one = (p: string, extra: Partial<FoundFile> = {}) => { if (existsSync(p)) out.push({ kind, path: p, ...extra }); };
      switch (kind) {
        case 'flushed':
          for (const rel of walkFiles(prefix, (r) => r === '.scr' || r === '.scrconf')) {
            const p = parseFileName(rel.split('/').pop()!);
            const i = ckptIndex(rel.split('/')[0]!);
            out.push({ kind, path: join(prefix, rel), rank: p?.rank, file: p?.file, dataset: i ?? undefined });
          }
          break;
        case 'index': one(indexPath(prefix)); break;
        case 'halt': one(haltFilePath(prefix)); break;
        case 'log': one(logPath(prefix)); break;
        case 'summary': for (const d of ids()) one(summaryPath(prefix, d), { dataset: d }); break;
        case 'rankmap': for (const d of ids()) one(rankmapPath(prefix, d), { dataset: d }); break;
        case 'flushMarker':
          for (const d of ids()) {
            let names: string[] = [];
            try { names = readdirSync(pfsDatasetDir(prefix, d)); } catch { /* none */ }
            for (const n of names) {
              const m = /^flushed\.(\d+)\.scr$/.exec(n);
              if (m && markerPath(prefix, d, Number(m[1])) === join(pfsDatasetDir(prefix, d), n)) out.push({ kind, path: join(pfsDatasetDir(prefix, d), n), dataset: d, rank: Number(m[1]) });
            }
          }
          break;
      }
    }
    return out
      .filter((f) => (filter.dataset === undefined || f.dataset === filter.dataset) && (filter.rank === undefined || f.rank === filter.rank) && (filter.file === undefined || f.file === filter.file))
      .sort((a, b) => (a.node ?? '').localeCompare(b.node ?? '') || (a.dataset ?? 0) - (b.dataset ?? 0) || (a.rank ?? -1) - (b.rank ?? -1) || (a.file ?? -1) - (b.file ?? -1) || a.path.localeCompare(b.path));
  }

  /** Exactly one file of a kind, or an error listing what was found (a case's fault must hit). */
  file(id: string, kind: FileKind, filter: FileFilter = {}): FoundFile {
    const all = this.files(id, kind, filter);
    if (all.length !== 1) throw new Error(`case ${id}: expected one ${kind} file matching ${JSON.stringify(filter)}, found ${all.length}: ${all.map((f) => f.path).join(', ') || 'none'}`);
    return all[0]!;
  }

  /** Loses a whole node (every case's data on it). */
  loseNode(node: string): void {
    loseWholeNode(this.job, node);
  }

  /** Loses one case's data on a node: its cache and control directories there. */
  loseCaseNode(id: string, node: string): void {
    for (const d of [this.nodeCaseDir(id, node, 'cache'), this.nodeCaseDir(id, node, 'cntl')]) rmSync(d, { recursive: true, force: true });
  }

  /** Writes a plan and runs the fault app with it, one rank per entry of `placement`. */
  async launch(placement: string[], scenarios: Scenario[], opts: { env?: Record<string, string>; nodeEnv?: Record<string, Record<string, string>>; timeoutMs?: number } = {}): Promise<Launch> {
    const n = ++this.#launches;
    const results = join(this.job.root, 'results', String(n));
    mkdirSync(results, { recursive: true });
    const plan: Plan = { results, scenarios };
    const planPath = join(this.job.root, 'results', `plan.${n}.json`);
    writeFileSync(planPath, JSON.stringify(plan, null, 1));
    const run = await runNodes(this.flavour, this.job, placement, [FAULT_APP, planPath], { env: opts.env, nodeEnv: opts.nodeEnv, timeoutMs: opts.timeoutMs ?? this.timeoutMs });
    const byId = new Map<string, RankResult[]>(scenarios.map((s) => [s.id, []]));
    for (const f of readdirSync(results).filter((e) => /^rank\d+\.jsonl$/.test(e))) {
      for (const line of readFileSync(join(results, f), 'utf8').split('\n')) {
        if (!line.trim()) continue;
        // A rank killed while appending leaves a broken last line: that scenario counts as missing.
        let r: RankResult;
        try { r = JSON.parse(line) as RankResult; } catch { continue; }
        const lines = byId.get(r.scenario);
        if (lines) lines[r.rank] = r;
      }
    }
    const missing = scenarios.filter((s) => byId.get(s.id)!.filter(Boolean).length !== placement.length).map((s) => s.id);
    return { run, results: byId, missing, plan: planPath };
  }

  /** A scenario of a defined case. */
  scenario(id: string, action: Action, extraEnv: Record<string, string> = {}): Scenario {
    const d = this.caseDef(id);
    return { id, env: { ...d.env, ...extraEnv }, nodeEnv: d.nodeEnv, action };
  }

  /** Unmounts and removes everything of this suite. */
  cleanup(): void {
    cleanupNodeJob(this.job);
  }
}

// ---------------------------------------------------------------------------------------------
// Checking outcomes.

export interface Expectation {
  /** Every rank must restore this checkpoint (or one of these; all ranks the same one) with every
   * byte right; null: no rank restores anything. Omitted: see orRefused. */
  restored?: string | string[] | null;
  /** The scenario's stderr (all ranks together) must match, whatever the outcome. */
  message?: RegExp;
  /** The alternative outcome: nothing restored, no rank read wrong bytes, and stderr matches this
   * clear message. With `restored` too, either outcome passes. */
  orRefused?: RegExp;
  /** The library must throw (on some rank) an error whose message matches; without it, any
   * exception fails the case. */
  error?: RegExp;
  /** Wrong bytes the app caught by its CRC check (and rejected with completeRestart(false)) are
   * tolerated: for faults the library is not required to detect (e.g. a flipped byte in a cached
   * file that needs no rebuild). Otherwise any offered checkpoint with wrong bytes fails the case. */
  appMayDetect?: boolean;
  /** For writes: every checkpoint must complete on every rank (default true for the write launch). */
  written?: boolean;
}

export interface Outcome {
  /** 'restored' (every rank restored one checkpoint, every byte right), 'refused' (nothing
   * restored, no wrong bytes), or 'mixed' (anything else). */
  kind: 'restored' | 'refused' | 'mixed';
  restored: string | null;
  problems: string[];
}

const short = (s: string, n = 1500): string => (s.length > n ? `${s.slice(0, n)}… (${s.length - n} more chars)` : s);

/** All the stderr of a scenario, rank by rank. */
export function stderrOf(lines: Array<RankResult | undefined>): string {
  return lines.filter(Boolean).map((l) => l!.stderr).join('');
}

/** Checks one scenario's rank results against an expectation; returns the problems (none: passed). */
export function checkOutcome(lines: Array<RankResult | undefined>, ranks: number, exp: Expectation): Outcome {
  const problems: string[] = [];
  const present = lines.filter(Boolean) as RankResult[];
  if (present.length !== ranks) {
    const got = new Set(present.map((l) => l.rank));
    problems.push(`ranks ${Array.from({ length: ranks }, (_, r) => r).filter((r) => !got.has(r)).join(',')} reported nothing`);
  }
  const stderr = stderrOf(lines);
  const errors = present.filter((l) => l.error);
  if (exp.error) {
    if (!errors.some((l) => exp.error!.test(l.error!.message))) problems.push(`expected an error matching ${exp.error}, got ${errors.length ? errors.map((l) => `rank ${l.rank}: ${l.error!.message}`).join('; ') : 'none'}`);
  } else {
    for (const l of errors) problems.push(`rank ${l.rank} threw at ${l.error!.at}: ${l.error!.code ?? l.error!.name}: ${l.error!.message}`);
  }
  for (const l of present) if (l.stuck) problems.push(`rank ${l.rank}: the library could not be finalized (${l.recoveryErrors.map((e) => e.message).join('; ')})`);
  const wrong = present.flatMap((l) => l.attempts.filter((a) => !a.bytesOk).map((a) => ({ rank: l.rank, a })));
  const wrongAccepted = wrong.filter((w) => w.a.accepted);
  for (const w of wrongAccepted) problems.push(`rank ${w.rank} accepted ${w.a.name} with wrong bytes: ${w.a.files.filter((f) => !f.ok).map((f) => `${f.path} ${f.error ?? `crc ${f.crc} != ${f.expected}`}`).join(', ')}`);
  if (!exp.appMayDetect) {
    for (const w of wrong.filter((x) => !x.a.accepted)) problems.push(`rank ${w.rank} was offered ${w.a.name} with wrong bytes (only the app's own CRC check caught it): ${w.a.files.filter((f) => !f.ok).map((f) => `${f.path} ${f.error ?? `crc ${f.crc} != ${f.expected}`}`).join(', ')}`);
  }
  const names = new Set(present.map((l) => l.restored));
  const restored = names.size === 1 ? [...names][0]! : null;
  let kind: Outcome['kind'] = 'mixed';
  if (present.length === ranks && names.size === 1 && restored !== null && present.every((l) => l.bytesOk === true)) kind = 'restored';
  else if (present.length === ranks && names.size === 1 && restored === null && wrongAccepted.length === 0) kind = 'refused';
  if (names.size > 1) problems.push(`ranks restored different checkpoints: ${present.map((l) => `rank ${l.rank}: ${l.restored}`).join(', ')}`);

  const allowed: Array<string | null> | undefined = exp.restored === undefined ? undefined : exp.restored === null ? [null] : Array.isArray(exp.restored) ? exp.restored : [exp.restored];
  const okRestored = allowed !== undefined && kind === 'restored' && allowed.includes(restored);
  // A refusal must say what the expectation's orRefused says, when it has one.
  const okNone = allowed !== undefined && allowed.includes(null) && kind === 'refused' && (exp.orRefused === undefined || exp.orRefused.test(stderr));
  const okRefused = exp.orRefused !== undefined && kind === 'refused' && exp.orRefused.test(stderr);
  if (allowed === undefined && exp.orRefused === undefined) {
    if (kind === 'mixed') problems.push('the ranks neither all restored one checkpoint with every byte right nor all restored nothing');
  } else if (!(okRestored || okNone || okRefused)) {
    const want = [allowed !== undefined ? `restored ${allowed.map((a) => a ?? 'nothing').join(' or ')}` : '', exp.orRefused ? `nothing restored and stderr matching ${exp.orRefused}` : ''].filter(Boolean).join(', or ');
    const got = kind === 'restored' ? `every rank restored ${restored}` : kind === 'refused' ? 'nothing restored' : `ranks said ${present.map((l) => `${l.rank}:${l.restored}/${l.bytesOk}`).join(' ')}`;
    problems.push(`expected ${want}; ${got}`);
  }
  if (exp.message && !exp.message.test(stderr)) problems.push(`stderr does not match ${exp.message}`);
  if (problems.length) problems.push(`stderr of the scenario:\n${short(stderr) || '(empty)'}`);
  return { kind, restored, problems };
}

/** Checks that a write scenario completed every checkpoint on every rank. */
export function checkWritten(lines: Array<RankResult | undefined>, ranks: number, spec: DataSpec, invalid: number[] = []): string[] {
  const problems: string[] = [];
  const first = spec.first ?? 1;
  const want = Array.from({ length: spec.ckpts }, (_, k) => ({ name: ckptName(first + k), ok: !invalid.includes(first + k) }));
  for (let r = 0; r < ranks; r++) {
    const l = lines[r];
    if (!l) { problems.push(`rank ${r} reported nothing`); continue; }
    if (l.error) problems.push(`rank ${r} threw at ${l.error.at}: ${l.error.code ?? l.error.name}: ${l.error.message}`);
    if (JSON.stringify(l.wrote) !== JSON.stringify(want)) problems.push(`rank ${r} wrote ${JSON.stringify(l.wrote)}, expected ${JSON.stringify(want)}`);
    if (l.writeErrors.length) problems.push(`rank ${r}: ${l.writeErrors.join('; ')}`);
  }
  if (problems.length) problems.push(`stderr of the scenario:\n${short(stderrOf(lines)) || '(empty)'}`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Batches of cases: write all, fault each, restart all.

/** What a case's fault function gets: helpers scoped to its files. */
export interface CaseContext {
  id: string;
  suite: FaultSuite;
  files(kind: FileKind, filter?: FileFilter): FoundFile[];
  file(kind: FileKind, filter?: FileFilter): FoundFile;
  /** Deletes this case's cache and control directories on a node. */
  loseNode(node: string): void;
  flip(kind: FileKind, filter?: FileFilter, offset?: number): FoundFile;
  truncate(kind: FileKind, filter?: FileFilter, length?: number): FoundFile;
  remove(kind: FileKind, filter?: FileFilter): FoundFile[];
}

export interface FaultCase {
  /** Unique in the suite (it is the case's SCR_JOB_ID and prefix directory name). */
  id: string;
  /** SCR_* settings of both launches (SCR_PREFIX and SCR_JOB_ID are set by the suite). */
  env?: Record<string, string>;
  nodeEnv?: Record<string, Record<string, string>>;
  data: DataSpec;
  write?: Omit<WriteAction, 'kind' | 'data'>;
  /** Applied from the test process between the two launches. */
  fault?: (c: CaseContext) => void | Promise<void>;
  restart?: Omit<RestartAction, 'kind' | 'data'> & { env?: Record<string, string> };
  expect: Expectation;
}

export interface CaseReport {
  id: string;
  problems: string[];
  outcome: Outcome | null;
  write: RankResult[];
  restart: RankResult[];
}

export function caseContext(suite: FaultSuite, id: string): CaseContext {
  return {
    id, suite,
    files: (kind, filter) => suite.files(id, kind, filter),
    file: (kind, filter) => suite.file(id, kind, filter),
    loseNode: (node) => suite.loseCaseNode(id, node),
    flip(kind, filter, offset) { const f = suite.file(id, kind, filter); flipByte(f.path, offset); return f; },
    truncate(kind, filter, length) { const f = suite.file(id, kind, filter); truncateFile(f.path, length); return f; },
    remove(kind, filter) {
      const all = suite.files(id, kind, filter);
      if (all.length === 0) throw new Error(`case ${id}: no ${kind} file matching ${JSON.stringify(filter ?? {})} to remove`);
      for (const f of all) rmSync(f.path, { force: true });
      return all;
    },
  };
}

/**
 * Runs a batch of cases on `nodes` (one rank per entry): one launch writes every case's
 * checkpoints, each case's fault is applied, one launch restarts every case on `restartOn`
 * (default: the same placement). Returns a report per case; a launch that failed or timed out
 * shows in the problems of every case it left without reports.
 */
export async function runCases(suite: FaultSuite, cases: FaultCase[], opts: { nodes: string[]; restartOn?: string[]; between?: () => void | Promise<void> }): Promise<Map<string, CaseReport>> {
  for (const c of cases) suite.define(c.id, c.env ?? {}, c.nodeEnv);
  const reports = new Map<string, CaseReport>(cases.map((c) => [c.id, { id: c.id, problems: [], outcome: null, write: [], restart: [] }]));
  // A launch that failed or timed out: named in every case it left without reports, or in every
  // case when all reported and it still failed.
  const launchProblems = (what: string, l: Launch) => {
    if (l.run.code === 0 && !l.run.timedOut) return;
    const head = l.run.timedOut ? `the ${what} launch was killed after ${suite.timeoutMs / 1000} s` : `the ${what} launch exited with ${l.run.code ?? l.run.signal}`;
    for (const c of cases) if (l.missing.length === 0 || l.missing.includes(c.id)) reports.get(c.id)!.problems.push(`${head}\n${short(l.run.stderr, 3000)}`);
  };
  const w = await suite.launch(opts.nodes, cases.map((c) => suite.scenario(c.id, { kind: 'write', data: c.data, ...c.write })));
  launchProblems('write', w);
  for (const c of cases) {
    const rep = reports.get(c.id)!;
    rep.write = w.results.get(c.id)!;
    if (c.expect.written !== false) for (const p of checkWritten(rep.write, opts.nodes.length, c.data, c.write?.invalid)) rep.problems.push(`write: ${p}`);
  }
  for (const c of cases) {
    if (!c.fault) continue;
    try { await c.fault(caseContext(suite, c.id)); } catch (e) { reports.get(c.id)!.problems.push(`applying the fault failed: ${(e as Error).message}`); }
  }
  await opts.between?.();
  const placement = opts.restartOn ?? opts.nodes;
  const r = await suite.launch(placement, cases.map((c) => suite.scenario(c.id, { kind: 'restart', data: c.data, ...c.restart }, c.restart?.env)));
  launchProblems('restart', r);
  for (const c of cases) {
    const rep = reports.get(c.id)!;
    rep.restart = r.results.get(c.id)!;
    rep.outcome = checkOutcome(rep.restart, placement.length, c.expect);
    rep.problems.push(...rep.outcome.problems);
  }
  return reports;
}

/** Counts over every case asserted in this process (printed by test/faults/zz-summary.test.ts). */
export const tally = { cases: 0, passed: 0, recovered: 0, refused: 0, wrongBytes: 0, hangs: 0, failed: [] as string[] };

/** Fails (with every problem of the case) unless the case passed; counts it in `tally`. */
export function assertCase(rep: CaseReport | undefined): void {
  assert.ok(rep, 'the case was not run');
  tally.cases++;
  const lines = [...rep.write, ...rep.restart].filter(Boolean);
  if (lines.some((l) => l.attempts.some((a) => !a.bytesOk && a.accepted))) tally.wrongBytes++;
  if (rep.problems.some((p) => /launch was killed after/.test(p))) tally.hangs++;
  if (rep.problems.length) {
    tally.failed.push(rep.id);
    assert.fail(`case ${rep.id}:\n  ${rep.problems.join('\n  ')}`);
  }
  tally.passed++;
  if (rep.outcome?.kind === 'restored') tally.recovered++;
  else if (rep.outcome?.kind === 'refused') tally.refused++;
}

export { nodeDir };
