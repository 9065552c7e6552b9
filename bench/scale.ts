// npm run bench:scale [-- --sizes 4,16,32,64 --per-node 4 --kib 4 --schemes XOR,PARTNER --flavour openmpi --json out.json]
// How the cost of each phase grows with the job (docs/scaling.md): at each size, ranks on
// simulated nodes (--per-node ranks each; 4 ranks run on 2 nodes so a set spans nodes) run
// init, two checkpoints of one small file per rank (the second flushed), finalize; then a relaunch
// restarts from the cache, one more after losing node n1 (its ranks on a spare, rebuilt), and (XOR)
// one with an empty cache fetches from the file system. Every
// rank counts (SCR_COUNT_FILE) the calls, MPI operations and bytes of every collective and
// point-to-point call, and the metadata files read and written, per API call. Prints, per phase,
// the max over ranks and rank 0's. Counts, not times: oversubscribed runs are fine.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Counts, Tally } from '../src/common/count.js';
import { readCounts, type Summary, summarize } from './scale-summary.js';
import type { MpiFlavour } from '../src/native/paths.js';
import { cleanup, newSimJob, runOnNodes, type SimJob } from '../test/harness/sim.js';

const arg = (n: string, d: string) => { const i = process.argv.indexOf(`--${n}`); return i >= 0 ? process.argv[i + 1]! : d; };
const sizes = arg('sizes', '4,16,32,64').split(',').map(Number);
const perNode = Number(arg('per-node', '4'));
const kib = arg('kib', '4');
const schemes = arg('schemes', 'XOR,PARTNER').split(',');
const flavour = arg('flavour', 'openmpi') as MpiFlavour;
const jsonOut = arg('json', '');
const worker = join(fileURLToPath(import.meta.url), '..', 'scale-rank.js');

async function run(job: SimJob, nodes: string[], mode: string, label: string, env: Record<string, string> = {}): Promise<Array<{ rank: number; counts: Counts }>> {
  const dir = join(job.root, `counts.${label}`);
  mkdirSync(dir);
  const r = await runOnNodes(flavour, job, nodes, [worker, mode, kib], { SCR_COUNT_FILE: join(dir, 'rank'), ...env }, 1_200_000);
  if (r.code !== 0) throw new Error(`${label} at ${nodes.length} ranks failed (exit ${r.code}${r.timedOut ? ', timed out' : ''})\n${r.stderr.slice(-4000)}`);
  const got = readCounts(dir);
  if (got.length !== nodes.length) throw new Error(`${label}: ${got.length} count files for ${nodes.length} ranks`);
  return got;
}

/** Per phase: the max over ranks of each field, and rank 0's. Phases are prefixed by the run. */
type Table = Record<string, { max: Summary; rank0: Summary; others?: Summary; calls: Record<string, Tally> }>;

function tabulate(runs: Record<string, Array<{ rank: number; counts: Counts }>>): Table {
  const out: Table = {};
  for (const [label, ranks] of Object.entries(runs)) {
    const phases = new Set(ranks.flatMap((r) => Object.keys(r.counts)));
    for (const ph of phases) {
      const per = ranks.map((r) => summarize(r.counts[ph] ?? {}));
      const max = { ...per[0]! };
      for (const s of per) for (const k of Object.keys(max) as Array<keyof Summary>) max[k] = Math.max(max[k], s[k]);
      const others = { ...per[per.length > 1 ? 1 : 0]! };
      for (const s of per.slice(1)) for (const k of Object.keys(others) as Array<keyof Summary>) others[k] = Math.max(others[k], s[k]);
      // Per call key: the max over ranks of each field (for the doc's detail).
      const calls: Record<string, Tally> = {};
      for (const r of ranks) for (const [k, t] of Object.entries(r.counts[ph] ?? {})) {
        const c = (calls[k] ??= { calls: 0, ops: 0, sent: 0, recv: 0, maxSize: 0 });
        for (const f of Object.keys(c) as Array<keyof Tally>) c[f] = Math.max(c[f], t[f]);
      }
      out[`${label}:${ph}`] = { max, rank0: per[0]!, others, calls };
    }
  }
  return out;
}

const kb = (n: number) => (n < 10_000 ? `${n}` : `${(n / 1024).toFixed(1)}Ki`);
const row = (s: Summary) => [`${s.worldCalls}/${s.worldOps}`, kb(s.worldSent), kb(s.worldRecv), kb(s.gatherRecv), `${s.subCalls}`, kb(s.subBytes), `${s.p2pMsgs}`, kb(s.p2pBytes), `${s.metaFiles}`, kb(s.metaBytes)];
const HEAD = ['phase', 'who', 'world calls/ops', 'sent B', 'recv B', 'gather recv B', 'sub calls', 'sub B', 'p2p msgs', 'p2p B', 'meta files', 'meta B'];

function print(title: string, t: Table): void {
  console.log(`\n${title}`);
  const rows = [HEAD, ...Object.entries(t).flatMap(([ph, v]) => [[ph, 'max', ...row(v.max)], ['', 'rank0', ...row(v.rank0)]])];
  const w = HEAD.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => c.padStart(w[i]!)).join('  '));
}

const ORDER = ['init', 'startOutput', 'completeOutput', 'haveRestart', 'startRestart', 'completeRestart', 'finalize'];
type All = Record<string, Record<number, Table>>;

/** Least squares y = c + d·p over the sizes. */
function fit(ps: number[], ys: number[]): { c: number; d: number } {
  const mp = ps.reduce((a, b) => a + b, 0) / ps.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  const v = ps.reduce((a, p) => a + (p - mp) ** 2, 0);
  const d = v ? ps.reduce((a, p, i) => a + (p - mp) * (ys[i]! - my), 0) / v : 0;
  return { c: my - d * mp, d };
}

const BIG = { p: 640_000, N: 10_000 };
const human = (n: number) => (Math.abs(n) < 1024 ? `${Math.round(n)} B` : Math.abs(n) < 1 << 20 ? `${(n / 1024).toFixed(1)} KiB` : Math.abs(n) < 1 << 30 ? `${(n / 2 ** 20).toFixed(1)} MiB` : `${(n / 2 ** 30).toFixed(2)} GiB`);

/** Markdown: per scheme and phase, the world calls, the bytes received per rank (max over ranks,
 * and rank 0) at each size, the fitted c + d·p and its value at 10,000 nodes × 64 ranks. */
function model(all: All): string {
  const lines: string[] = [];
  for (const [scheme, bySize] of Object.entries(all)) {
    const ps = Object.keys(bySize).map(Number).sort((a, b) => a - b);
    const phases = Object.keys(bySize[ps[ps.length - 1]!]!);
    lines.push(`\n${scheme}: bytes received per rank over job-wide communicators (max over ranks / rank 0), at p = ${ps.join(', ')}; fit c + d·p; value at p = ${BIG.p.toLocaleString('en')}`, '');
    lines.push(`| phase | world calls (max) | ${ps.map((p) => `p=${p}`).join(' | ')} | fit, max rank | at 640k, max rank | fit, other ranks | p2p msgs (max) | meta files (max) | meta B, ${ps.map((p) => `p=${p}`).join('/')} |`);
    lines.push(`|${'---|'.repeat(7 + ps.length + 1)}`);
    for (const ph of phases) {
      const at = (p: number) => bySize[p]?.[ph];
      if (!ps.every((p) => at(p))) continue;
      const maxR = ps.map((p) => at(p)!.max.worldRecv);
      const f = fit(ps, maxR);
      const g = fit(ps, ps.map((p) => at(p)!.others?.worldRecv ?? 0));
      const show = (x: { c: number; d: number }) => `${x.c.toFixed(0)} + ${x.d.toFixed(1)}·p`;
      lines.push(`| ${ph} | ${Math.max(...ps.map((p) => at(p)!.max.worldCalls))} | ${ps.map((p) => `${at(p)!.max.worldRecv} / ${at(p)!.rank0.worldRecv}`).join(' | ')} | ${show(f)} | ${human(f.c + f.d * BIG.p)} | ${show(g)} | ${Math.max(...ps.map((p) => at(p)!.max.p2pMsgs))} | ${Math.max(...ps.map((p) => at(p)!.max.metaFiles))} | ${ps.map((p) => at(p)!.max.metaBytes).join('/')} |`);
    }
  }
  return lines.join('\n');
}

const from = arg('model-from', '');
if (from) {
  console.log(model(JSON.parse(readFileSync(from, 'utf8')) as All));
  process.exit(0);
}
const all: All = {};
console.log(`bench:scale — ${flavour}, ${kib} KiB (+rank bytes) per rank, ${perNode} ranks per node (4 ranks: 2 per node), counts per rank and phase`);
for (const scheme of schemes) {
  for (const p of sizes) {
    const per = p <= 4 ? 2 : perNode;
    const nodes = Array.from({ length: p }, (_, i) => `n${Math.floor(i / per)}`);
    const job = newSimJob('scale', { SCR_COPY_TYPE: scheme, SCR_FLUSH: '2', SCR_MPI_BUF_SIZE: '64KiB' });
    mkdirSync(job.prefix, { recursive: true });
    const t0 = performance.now();
    try {
      const runs: Record<string, Array<{ rank: number; counts: Counts }>> = {};
      runs.W = await run(job, nodes, 'write', 'W');
      runs.R = await run(job, nodes, 'restart', 'R');
      // A relaunch that lost node n1: its ranks run on a spare with an empty cache and are rebuilt.
      runs.L = await run(job, nodes.map((n) => (n === 'n1' ? 'spare' : n)), 'restart', 'L');
      if (scheme === 'XOR') runs.F = await run(job, nodes, 'restart', 'F', { SCR_JOB_ID: `${job.jobId}f` });
      const t = tabulate(runs);
      const sorted = Object.fromEntries(Object.entries(t).sort(([a], [b]) => {
        const ix = (k: string) => 'WRLF'.indexOf(k[0]!) * 100 + ORDER.findIndex((o) => k.slice(2).startsWith(o)) * 10 + Number(k.split('#')[1] ?? 0);
        return ix(a) - ix(b);
      }));
      (all[scheme] ??= {})[p] = sorted;
      print(`${scheme}, ${p} ranks on ${p / per} nodes (${((performance.now() - t0) / 1000).toFixed(0)} s). W = write run, R = restart from cache, L = restart after losing node n1 (its ranks on a spare, rebuilt), F = restart fetched from the file system`, sorted);
    } finally {
      cleanup(job);
    }
  }
}
if (jsonOut) writeFileSync(jsonOut, JSON.stringify(all, null, 1));
console.log(model(all));
