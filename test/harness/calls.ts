// Driver for test/fixtures/fault-calls.ts: scenarios made of API calls whose arguments may differ
// by rank (bad input on one rank), run on the private nodes of a FaultSuite (test/harness/faults.ts),
// with checks of what every rank got from each call, and the usual outcome check of a restart.
//
//   const suite = new FaultSuite('openmpi');
//   const reports = await runCallCases(suite, [
//     { id: 'complete-1-on-rank-1', data, steps: [init(), start(1), write(1), complete(1, { 1: [1] }), complete(1), finalize()],
//       check: (l) => agreedError(l, 4, 3, { code: 'ERR_SCR_ARGUMENT', bad: [1], own: /valid must be true or false, got 1$/ }),
//       restart: {}, expect: { restored: 'ckpt.1' } },
//   ], { nodes: ['n0', 'n1', 'n2', 'n3'] });
//   assertCase(reports.get('complete-1-on-rank-1'));
//
// One launch runs every case's steps (scenarios in order); a second launch (if any case has one)
// runs every case's restart steps (by default init, the haveRestart loop, finalize), whose outcome
// is judged by checkOutcome against the case's Expectation.
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CaseContext, caseContext, type CaseReport, checkOutcome, type DataSpec, type ErrorInfo, type Expectation, type FaultSuite, type RankResult, stderrOf } from './faults.js';
import { type NodeRunResult, runNodes } from './nodes.js';

/** An argument in a plan: any JSON value, or {$undefined: true} (undefined), {$written: true} (the
 * last write step's outcome on this rank), {$read: true} (the last read's), {$prefix: 'rel'} (a path
 * below the scenario's prefix), {$world: true} ({ comm: mpi.world }). */
export type Arg = unknown;

export type StepOp = 'init' | 'finalize' | 'startOutput' | 'write' | 'completeOutput' | 'routeFile' | 'current' | 'drop' | 'deleteDataset'
  | 'haveRestart' | 'startRestart' | 'read' | 'completeRestart' | 'restart' | 'checkpoint' | 'needCheckpoint' | 'shouldExit' | 'config' | 'setEnv';

export interface Step {
  op: StepOp;
  /** The call's arguments on every rank … */
  args?: Arg[];
  /** … except these ranks (by rank number). */
  ranks?: Record<string, Arg[]>;
  /** Only these ranks make the call (local calls only: routeFile, a call in the wrong state). */
  only?: number[];
  /** write / read / checkpoint / completeOutput: the checkpoint number (ckpt.<n>). */
  ckpt?: number;
  /** read / restart: the checkpoint was written by this many ranks (every rank reads all of them). */
  writers?: number;
  /** restart: completeRestart(false) for these names. */
  reject?: string[];
  maxAttempts?: number;
  /** checkpoint: also FLAG_OUTPUT; completeOutput(false) even if the files were written. */
  output?: boolean;
  invalid?: boolean;
  /** setEnv: variables to set (null: unset), for every rank and per node. */
  env?: Record<string, string | null>;
  nodeEnv?: Record<string, Record<string, string | null>>;
}

export interface CallScenario {
  id: string;
  env: Record<string, string | null>;
  nodeEnv?: Record<string, Record<string, string | null>>;
  data: DataSpec;
  steps: Step[];
}

export interface CallsPlan {
  env?: Record<string, string | null>;
  results: string;
  scenarios: CallScenario[];
}

export interface StepResult {
  op: StepOp;
  ok: boolean;
  value?: unknown;
  error?: ErrorInfo;
  skipped?: boolean;
  ms?: number;
}

/** One rank's report of one scenario: a RankResult (restored, attempts, stderr …) plus each step. */
export interface CallResult extends RankResult {
  steps: StepResult[];
}

// ---- step builders ----
export const init = (ranks?: Record<string, Arg[]>): Step => ({ op: 'init', ...(ranks ? { ranks } : {}) });
export const finalize = (): Step => ({ op: 'finalize' });
export const start = (i: number, flags = 1, ranks?: Record<string, Arg[]>): Step => ({ op: 'startOutput', args: [`ckpt.${i}`, flags], ...(ranks ? { ranks } : {}) });
export const write = (i: number): Step => ({ op: 'write', ckpt: i });
/** completeOutput(the last write's outcome), or the given argument on some ranks. */
export const complete = (i?: number, ranks?: Record<string, Arg[]>): Step => ({ op: 'completeOutput', args: [{ $written: true }], ...(i !== undefined ? { ckpt: i } : {}), ...(ranks ? { ranks } : {}) });
export const checkpoint = (i: number, more: Partial<Step> = {}): Step => ({ op: 'checkpoint', ckpt: i, ...more });
export const restart = (more: Partial<Step> = {}): Step => ({ op: 'restart', ...more });
export const named = (op: 'current' | 'drop' | 'deleteDataset', name: Arg, ranks?: Record<string, Arg[]>): Step => ({ op, args: [name], ...(ranks ? { ranks } : {}) });
export const setEnv = (env: Record<string, string | null>, nodeEnv?: Record<string, Record<string, string | null>>): Step => ({ op: 'setEnv', env, ...(nodeEnv ? { nodeEnv } : {}) });

const here = dirname(fileURLToPath(import.meta.url));
export const CALLS_APP = join(here, '..', 'fixtures', 'fault-calls.js');

export interface CallsLaunch {
  run: NodeRunResult;
  results: Map<string, CallResult[]>;
  missing: string[];
  /** The last lines each rank traced (test/fixtures/fault-calls.ts), for a launch that was killed. */
  traces: string[];
}

let launches = 0;

/** Runs the calls fixture with these scenarios, one rank per entry of `placement`. */
export async function launchCalls(suite: FaultSuite, placement: string[], scenarios: CallScenario[], opts: { timeoutMs?: number } = {}): Promise<CallsLaunch> {
  const n = ++launches;
  const results = join(suite.root, 'results', `calls.${n}`);
  mkdirSync(results, { recursive: true });
  const planPath = join(suite.root, 'results', `calls.${n}.json`);
  const plan: CallsPlan = { results, scenarios };
  writeFileSync(planPath, JSON.stringify(plan, null, 1));
  const run = await runNodes(suite.flavour, suite.job, placement, [CALLS_APP, planPath], { timeoutMs: opts.timeoutMs ?? suite.timeoutMs });
  // SCRTEST_TIMES=1: each launch's wall time, to see where a batch spends it.
  if (process.env.SCRTEST_TIMES) console.log(`      launch ${n}: ${placement.length} ranks, ${scenarios.length} scenarios, ${(run.ms / 1000).toFixed(1)} s`);
  const byId = new Map<string, CallResult[]>(scenarios.map((s) => [s.id, []]));
  for (const f of readdirSync(results).filter((e) => /^rank\d+\.jsonl$/.test(e))) {
    for (const line of readFileSync(join(results, f), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      let r: CallResult;
      try { r = JSON.parse(line) as CallResult; } catch { continue; }
      const lines = byId.get(r.scenario);
      if (lines) lines[r.rank] = r;
    }
  }
  const missing = scenarios.filter((s) => byId.get(s.id)!.filter(Boolean).length !== placement.length).map((s) => s.id);
  const traces = placement.map((_, r) => {
    try { return readFileSync(join(results, `rank${r}.trace`), 'utf8').trimEnd().split('\n').slice(-12).join('\n'); } catch { return '(no trace)'; }
  });
  return { run, results: byId, missing, traces };
}

// ---- checks of one step on every rank ----

const show = (v: unknown) => (v === undefined ? 'undefined' : JSON.stringify(v));

function stepOf(lines: Array<CallResult | undefined>, ranks: number, k: number, what: string, problems: string[]): Array<StepResult | undefined> {
  const out: Array<StepResult | undefined> = [];
  for (let r = 0; r < ranks; r++) {
    const l = lines[r];
    if (!l) { problems.push(`${what}: rank ${r} reported nothing`); out.push(undefined); continue; }
    const s = l.steps[k];
    if (!s) problems.push(`${what}: rank ${r} has no step ${k}`);
    out.push(s);
  }
  return out;
}

/** Step k threw on every rank with one code (or these codes): the ranks in `bad` an error matching
 * `own`, every other rank one matching `others` (default: naming the first bad rank: "… failed on
 * rank r: …" and the bad rank's own message). */
export function agreedError(lines: Array<CallResult | undefined>, ranks: number, k: number, exp: { code: string; bad: number[]; own: RegExp; others?: RegExp; othersCode?: string }): string[] {
  const problems: string[] = [];
  const what = `step ${k}`;
  const steps = stepOf(lines, ranks, k, what, problems);
  const first = Math.min(...exp.bad);
  const others = exp.others ?? new RegExp(`failed on rank ${first}: (?:.*: )?${exp.own.source.replace(/^\^/, '')}`);
  steps.forEach((s, r) => {
    if (!s) return;
    const bad = exp.bad.includes(r);
    const want = bad ? exp.own : others;
    const code = bad ? exp.code : exp.othersCode ?? exp.code;
    if (s.ok) { problems.push(`${what} (${s.op}): rank ${r} got no error (returned ${show(s.value)}), expected ${code} matching ${want}`); return; }
    if (s.error!.code !== code) problems.push(`${what} (${s.op}): rank ${r} threw ${s.error!.code ?? s.error!.name}, expected ${code}: ${s.error!.message}`);
    if (!want.test(s.error!.message)) problems.push(`${what} (${s.op}): rank ${r}'s error does not match ${want}: ${s.error!.message}`);
  });
  return problems;
}

/** Step k threw on every rank the same code and message matching `message`. */
export function sameError(lines: Array<CallResult | undefined>, ranks: number, k: number, exp: { code: string; message: RegExp }): string[] {
  const problems: string[] = [];
  const steps = stepOf(lines, ranks, k, `step ${k}`, problems);
  steps.forEach((s, r) => {
    if (!s) return;
    if (s.ok) { problems.push(`step ${k} (${s.op}): rank ${r} got no error (returned ${show(s.value)}), expected ${exp.code} matching ${exp.message}`); return; }
    if (s.error!.code !== exp.code) problems.push(`step ${k} (${s.op}): rank ${r} threw ${s.error!.code ?? s.error!.name}, expected ${exp.code}: ${s.error!.message}`);
    if (!exp.message.test(s.error!.message)) problems.push(`step ${k} (${s.op}): rank ${r}'s error does not match ${exp.message}: ${s.error!.message}`);
  });
  return problems;
}

/** Steps `ks` succeeded on every rank (skipped ones count as fine), with `value` if given. */
export function stepsOk(lines: Array<CallResult | undefined>, ranks: number, ks: number[], value?: (k: number) => unknown): string[] {
  const problems: string[] = [];
  for (const k of ks) {
    const steps = stepOf(lines, ranks, k, `step ${k}`, problems);
    steps.forEach((s, r) => {
      if (!s || s.skipped) return;
      if (!s.ok) { problems.push(`step ${k} (${s.op}): rank ${r} threw ${s.error!.code ?? s.error!.name}: ${s.error!.message}`); return; }
      const want = value?.(k);
      if (want !== undefined && JSON.stringify(s.value) !== JSON.stringify(want)) problems.push(`step ${k} (${s.op}): rank ${r} returned ${show(s.value)}, expected ${show(want)}`);
    });
  }
  return problems;
}

/** Every step not in `except` succeeded on every rank. */
export function othersOk(lines: Array<CallResult | undefined>, ranks: number, except: number[]): string[] {
  const n = Math.max(0, ...lines.filter(Boolean).map((l) => l!.steps.length));
  return stepsOk(lines, ranks, Array.from({ length: n }, (_, k) => k).filter((k) => !except.includes(k)));
}

/** No rank's recovery failed and the library could be finalized on every rank. */
export function cleanEnd(lines: Array<CallResult | undefined>): string[] {
  const problems: string[] = [];
  for (const l of lines) {
    if (!l) continue;
    if (l.stuck) problems.push(`rank ${l.rank}: the library could not be brought back to uninitialised (${l.recoveryErrors.map((e) => e.message).join('; ')})`);
    else if (l.recoveryErrors.length) problems.push(`rank ${l.rank}: ${l.recoveryErrors.map((e) => `${e.at}: ${e.message}`).join('; ')}`);
  }
  return problems;
}

// ---- cases ----

export interface CallCase {
  id: string;
  env?: Record<string, string | null>;
  nodeEnv?: Record<string, Record<string, string | null>>;
  data: DataSpec;
  /** Applied before the first launch (e.g. a planted symlink). */
  before?: (c: CaseContext) => void | Promise<void>;
  /** The first launch's steps. */
  steps: Step[];
  /** Checks of the first launch's results (problems; none: fine). Default: every step succeeded. */
  check?: (lines: Array<CallResult | undefined>, c: CaseContext) => string[];
  /** Applied between the launches. */
  fault?: (c: CaseContext) => void | Promise<void>;
  /** The second launch (omit for none): its steps (default: init, the restart loop, finalize),
   * environment changes, and which checkpoint of how many writers it reads. */
  restart?: {
    steps?: Step[]; env?: Record<string, string | null>; nodeEnv?: Record<string, Record<string, string | null>>; writers?: number; reject?: string[];
    /** Checks of the second launch's steps (default: init and finalize succeeded, for the default steps). */
    check?: (lines: Array<CallResult | undefined>, c: CaseContext) => string[];
  };
  /** The outcome of the second launch (or of the first, without one). */
  expect?: Expectation;
  /** With a second launch: the outcome of the first one's restart steps too. */
  expectFirst?: Expectation;
  /** Checks after both launches (files left, …). */
  after?: (c: CaseContext, first: Array<CallResult | undefined>, second: Array<CallResult | undefined>) => string[] | Promise<string[]>;
}

const short = (s: string, n = 3000): string => (s.length > n ? `${s.slice(0, n)}… (${s.length - n} more chars)` : s);

/** Problems of a launch that failed or timed out (for the cases it concerns). */
function launchProblem(what: string, l: CallsLaunch, timeoutMs: number): string | null {
  // A rank killed by a signal (SIGBUS from a write through a memory map into a full file system,
  // say) shows in mpirun's exit code or its report, even when the others went on.
  const signalled = /signal 7|Bus error|SIGBUS|exited on signal|killed by signal/i.test(l.run.stderr);
  if (l.run.code === 0 && !l.run.timedOut && !signalled) return null;
  const head = l.run.timedOut ? `the ${what} launch was killed after ${timeoutMs / 1000} s` : signalled ? `a rank of the ${what} launch died of a signal (exit ${l.run.code ?? l.run.signal})` : `the ${what} launch exited with ${l.run.code ?? l.run.signal}`;
  return `${head}\n${short(l.run.stderr)}\n${l.traces.map((t, r) => `rank ${r} last did:\n    ${t.split('\n').join('\n    ')}`).join('\n')}`;
}

function dropNulls(env: Record<string, string | null> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(env ?? {}).filter((e): e is [string, string] => e[1] !== null));
}

/** Runs a batch of call cases: one launch of every case's steps on `nodes`, the faults, one launch
 * of the restarts on `restartOn` (default `nodes`). A report per case, for assertCase. */
export async function runCallCases(suite: FaultSuite, cases: CallCase[], opts: { nodes: string[]; restartOn?: string[]; between?: () => void | Promise<void>; timeoutMs?: number; launches?: CallsLaunch[] }): Promise<Map<string, CaseReport>> {
  const timeoutMs = opts.timeoutMs ?? suite.timeoutMs;
  for (const c of cases) suite.define(c.id, dropNulls(c.env), c.nodeEnv ? Object.fromEntries(Object.entries(c.nodeEnv).map(([n, e]) => [n, dropNulls(e)])) : undefined);
  const reports = new Map<string, CaseReport>(cases.map((c) => [c.id, { id: c.id, problems: [], outcome: null, write: [], restart: [] }]));
  const ctx = new Map(cases.map((c) => [c.id, caseContext(suite, c.id)]));
  for (const c of cases) {
    if (!c.before) continue;
    try { await c.before(ctx.get(c.id)!); } catch (e) { reports.get(c.id)!.problems.push(`preparing the case failed: ${(e as Error).stack}`); }
  }
  const scenario = (c: CallCase, steps: Step[], env: Record<string, string | null> = {}, nodeEnv?: Record<string, Record<string, string | null>>): CallScenario => {
    const d = suite.caseDef(c.id);
    const ne: Record<string, Record<string, string | null>> = { ...c.nodeEnv };
    for (const [n, e] of Object.entries(nodeEnv ?? {})) ne[n] = { ...ne[n], ...e };
    return { id: c.id, env: { ...d.env, ...c.env, ...env }, nodeEnv: ne, data: c.data, steps };
  };
  const first = await launchCalls(suite, opts.nodes, cases.map((c) => scenario(c, c.steps)), { timeoutMs });
  opts.launches?.push(first);
  const p1 = launchProblem('first', first, timeoutMs);
  const firstLines = new Map<string, Array<CallResult | undefined>>();
  for (const c of cases) {
    const rep = reports.get(c.id)!;
    const lines = first.results.get(c.id)!;
    firstLines.set(c.id, lines);
    if (p1 && (first.missing.length === 0 || first.missing.includes(c.id))) rep.problems.push(p1);
    const probs = [...(c.check ? c.check(lines, ctx.get(c.id)!) : othersOk(lines, opts.nodes.length, [])), ...cleanEnd(lines)];
    if (probs.length) rep.problems.push(...probs.map((p) => `first launch: ${p}`), `stderr of the first launch's scenario:\n${short(stderrOf(lines)) || '(empty)'}`);
    if (c.restart && c.expectFirst) {
      const o = checkOutcome(lines as RankResult[], opts.nodes.length, c.expectFirst);
      rep.problems.push(...o.problems.map((p) => `first launch: ${p}`));
    }
    if (!c.restart && c.expect) {
      const o = checkOutcome(lines as RankResult[], opts.nodes.length, c.expect);
      rep.outcome = o;
      rep.restart = lines.filter(Boolean) as RankResult[];
      rep.problems.push(...o.problems);
    } else {
      rep.write = lines.filter(Boolean) as RankResult[];
    }
  }
  for (const c of cases) {
    if (!c.fault) continue;
    try { await c.fault(ctx.get(c.id)!); } catch (e) { reports.get(c.id)!.problems.push(`applying the fault failed: ${(e as Error).stack}`); }
  }
  await opts.between?.();
  const second = cases.filter((c) => c.restart);
  const placement = opts.restartOn ?? opts.nodes;
  const secondLines = new Map<string, Array<CallResult | undefined>>();
  if (second.length) {
    const l2 = await launchCalls(suite, placement, second.map((c) => scenario(c, c.restart!.steps ?? [init(), restart({ writers: c.restart!.writers, reject: c.restart!.reject }), finalize()], c.restart!.env, c.restart!.nodeEnv)), { timeoutMs });
    opts.launches?.push(l2);
    const p2 = launchProblem('second', l2, timeoutMs);
    for (const c of second) {
      const rep = reports.get(c.id)!;
      const lines = l2.results.get(c.id)!;
      secondLines.set(c.id, lines);
      if (p2 && (l2.missing.length === 0 || l2.missing.includes(c.id))) rep.problems.push(p2);
      rep.restart = lines.filter(Boolean) as RankResult[];
      const o = checkOutcome(lines as RankResult[], placement.length, c.expect ?? {});
      rep.outcome = o;
      rep.problems.push(...o.problems);
      const steps = c.restart!.check ? c.restart!.check(lines, ctx.get(c.id)!) : c.restart!.steps ? [] : stepsOk(lines, placement.length, [0, 2]);
      rep.problems.push(...steps.map((p) => `second launch: ${p}`), ...cleanEnd(lines).map((p) => `second launch: ${p}`));
    }
  }
  for (const c of cases) {
    if (!c.after) continue;
    try {
      const probs = await c.after(ctx.get(c.id)!, firstLines.get(c.id)!, secondLines.get(c.id) ?? []);
      if (probs.length) reports.get(c.id)!.problems.push(...probs);
    } catch (e) { reports.get(c.id)!.problems.push(`checking the files failed: ${(e as Error).stack}`); }
  }
  return reports;
}

/** Whether a path is a symbolic link (lstat). */
export function isSymlink(p: string): boolean {
  try { return lstatSync(p).isSymbolicLink(); } catch { return false; }
}

/** Every file below a directory (relative paths), without following symlinks. */
export function treeOf(dir: string, rel = ''): string[] {
  const out: string[] = [];
  if (!existsSync(join(dir, rel))) return out;
  for (const e of readdirSync(join(dir, rel)).sort()) {
    const r = rel ? join(rel, e) : e;
    const st = lstatSync(join(dir, r));
    out.push(st.isDirectory() ? `${r}/` : r);
    if (st.isDirectory()) out.push(...treeOf(dir, r));
  }
  return out;
}
