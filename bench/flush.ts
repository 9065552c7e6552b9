// npm run bench:flush [-- --mib 128 --rounds 3 --pfs /tmp]
// Flush bandwidth next to `cp` + fsync of the same files (the cached checkpoint files) to the
// same directory of the file system, 4 ranks on 4 simulated nodes with private storage each
// (test/harness/nodes.ts), rounds interleaved. The "file system" is --pfs (default /tmp: ext4
// here, a stand-in for a parallel file system), shared by all nodes. Prints PASS/FAIL for the
// target flush ≥ 0.9 × (cp + fsync) bandwidth, both measured in this run.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MpiFlavour } from '../src/native/paths.js';
import { cleanupNodeJob, newNodeJob, privateNodesMissing, runNodes } from '../test/harness/nodes.js';

const arg = (n: string, d: string) => { const i = process.argv.indexOf(`--${n}`); return i >= 0 ? process.argv[i + 1]! : d; };
const mib = Number(arg('mib', '128'));
const rounds = Number(arg('rounds', '3'));
const pfs = arg('pfs', '/tmp');
const flavour = arg('flavour', 'openmpi') as MpiFlavour;
const worker = join(fileURLToPath(import.meta.url), '..', 'flush-rank.js');
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;

const TARGET = 0.9;

const missing = privateNodesMissing();
if (missing) throw new Error(`private node storage is needed: ${missing}`);
const prefix = mkdtempSync(join(pfs, 'scr-bench-flush-'));
const job = newNodeJob({ env: { SCR_PREFIX: prefix, SCR_JOB_ID: `bench-flush-${process.pid}`, SCR_FLUSH: '1', SCR_COPY_TYPE: 'XOR', SCR_CRC_ON_COPY: '1' } });
try {
  const r = await runNodes(flavour, job, ['n0', 'n1', 'n2', 'n3'], [worker, String(mib), String(rounds)], { timeoutMs: 900_000 });
  if (r.code !== 0) throw new Error(`the job failed\n${r.stderr}`);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { raw: number[] };
  const lines = readFileSync(join(prefix, '.scr', 'log'), 'utf8').split('\n').filter((l) => l.includes(' FLUSH ')).slice(1, rounds + 1);
  const field = (name: string) => lines.map((l) => Number(new RegExp(` ${name}=([\\d.]+)`).exec(l)?.[1] ?? NaN));
  const flushes = field('seconds');
  const total = 4 * mib;
  const f = median(flushes);
  const c = median(out.raw);
  console.log(`bench:flush — ${flavour}, 4 ranks on 4 simulated nodes with private storage, ${mib} MiB per rank (${total} MiB per checkpoint), file system: ${pfs}, ${rounds} rounds after a warm-up`);
  console.log(`flush (copy + CRC check + fsync + rank map + index): median ${f.toFixed(3)} s = ${(total / f).toFixed(0)} MiB/s  (all: ${flushes.map((x) => x.toFixed(3)).join(', ')})`);
  console.log(`cp + fsync of the same files:                         median ${c.toFixed(3)} s = ${(total / c).toFixed(0)} MiB/s  (all: ${out.raw.map((x) => x.toFixed(3)).join(', ')})`);
  console.log(`  flush phases on rank 0, medians: start (index entry, staging list) ${median(field('start')).toFixed(3)} s, copy (copy + CRC + fsync of its files) ${median(field('copy')).toFixed(3)} s, finish (agreement, recorded flushed, renames, directory fsyncs) ${median(field('finish')).toFixed(3)} s`);
  if (flushes.length !== rounds) throw new Error(`the event log holds ${flushes.length} timed FLUSH lines, expected ${rounds}`);
  console.log(`${c / f >= TARGET ? 'PASS' : 'FAIL'} flush / (cp + fsync) bandwidth: ${(c / f).toFixed(2)}, target ≥ ${TARGET}`);
} finally {
  cleanupNodeJob(job);
  rmSync(prefix, { recursive: true, force: true });
}
