// npm run bench:checkpoint [-- --mib 256 --rounds 5 --flavour openmpi]  (the default workload;
// --workload test-api is bench/checkpoint.ts's other mode)
// 4 ranks on 4 simulated nodes write checkpoints of --mib MiB per rank with SINGLE, PARTNER, XOR
// and RS(k=2); each checkpoint is measured next to a raw write of the same bytes by the same
// ranks to the same cache directory, in the same run (interleaved). Then a node is lost and the
// relaunch's rebuild is timed. Prints medians, minimums, each scheme's ratio to the raw write
// measured in the same job, and each rank's peak RSS. Nothing is compared with numbers taken on
// another day.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MpiFlavour } from '../src/native/paths.js';
import { cleanup, loseNode, newSimJob, runOnNodes } from '../test/harness/sim.js';

const arg = (n: string, d: string) => { const i = process.argv.indexOf(`--${n}`); return i >= 0 ? process.argv[i + 1]! : d; };
const mib = Number(arg('mib', '256'));
const rounds = Number(arg('rounds', '5'));
const flavour = arg('flavour', 'openmpi') as MpiFlavour;
const worker = join(fileURLToPath(import.meta.url), '..', 'checkpoint-rank.js');
const nodes = ['n0', 'n1', 'n2', 'n3'];

/** Seconds to move and rebuild the newest cached checkpoint on the relaunch. */
const newest = (rb: { timings: Array<{ id: number; seconds: number }> }) => [...rb.timings].sort((a, b) => b.id - a.id)[0]!.seconds;
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const rate = (s: number) => (4 * mib) / s;

interface WriteOut { raw: number[]; ckpt: number[]; protect: number[]; phases: Array<[number, number, number]>; maxRssKiB: number[] }
interface RebuildOut { initSeconds: number; restored: string | null; timings: Array<{ id: number; seconds: number; rebuilt: number[] }>; maxRssKiB: number[] }

async function runScheme(label: string, env: Record<string, string>, rebuild: boolean) {
  const job = newSimJob('bench', { SCR_CACHE_SIZE: '2', SCR_SET_FAILURES: '2', ...env });
  mkdirSync(job.prefix, { recursive: true });
  try {
    const r = await runOnNodes(flavour, job, nodes, [worker, 'write', String(mib), String(rounds)], {}, 900_000);
    if (r.code !== 0) throw new Error(`${label}: the job failed\n${r.stderr}`);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as WriteOut;
    let rb: RebuildOut | null = null;
    if (rebuild) {
      loseNode(job, 'n1');
      const r2 = await runOnNodes(flavour, job, ['n0', 'spare', 'n2', 'n3'], [worker, 'rebuild'], {}, 900_000);
      if (r2.code !== 0) throw new Error(`${label} rebuild: the job failed\n${r2.stderr}`);
      rb = JSON.parse(r2.stdout.trim().split('\n').pop()!) as RebuildOut;
      if (!rb.restored) throw new Error(`${label}: nothing was restored after losing n1\n${r2.stderr}`);
    }
    return { out, rb };
  } finally {
    cleanup(job);
  }
}

const rows: string[][] = [];
const phaseLines: string[] = [];
const verdicts: string[] = [];
const f0 = (x: number) => x.toFixed(0);
console.log(`bench:checkpoint — ${flavour}, 4 ranks on 4 simulated nodes, ${mib} MiB per rank (${4 * mib} MiB per checkpoint), ${rounds} timed rounds after a warm-up`);
console.log('MiB/s = bytes written by all ranks / wall time from before startOutput to after completeOutput (all ranks)\n');

let singleNoCrc = 0;
let xorNoCrc = 0;
for (const [label, env, rebuild] of [
  ['SINGLE (CRC off)', { SCR_COPY_TYPE: 'SINGLE', SCR_CRC_ON_COPY: '0' }, false],
  ['SINGLE (CRC on)', { SCR_COPY_TYPE: 'SINGLE', SCR_CRC_ON_COPY: '1' }, false],
  // SCR_CRC_ON_COPY=0 (LLNL SCR's default); then XOR with this library's default (CRC on).
  ['PARTNER', { SCR_COPY_TYPE: 'PARTNER', SCR_CRC_ON_COPY: '0' }, false],
  ['XOR', { SCR_COPY_TYPE: 'XOR', SCR_CRC_ON_COPY: '0' }, true],
  ['RS k=2', { SCR_COPY_TYPE: 'RS', SCR_CRC_ON_COPY: '0' }, true],
  ['XOR (CRC on)', { SCR_COPY_TYPE: 'XOR', SCR_CRC_ON_COPY: '1' }, false],
] as const) {
  const { out, rb } = await runScheme(label, env, rebuild);
  const med = rate(median(out.ckpt));
  const best = rate(Math.min(...out.ckpt));
  const rawMed = rate(median(out.raw));
  const ratio = med / rawMed;
  const ph = [0, 1, 2].map((x) => median(out.phases.map((p) => p[x]!) ) * 1000);
  phaseLines.push(`${label.padEnd(17)} startOutput ${ph[0]!.toFixed(0)} ms, write ${ph[1]!.toFixed(0)} ms, completeOutput ${ph[2]!.toFixed(0)} ms; raw write ${(median(out.raw) * 1000).toFixed(0)} ms`);
  rows.push([label, f0(med), f0(best), f0(rawMed), ratio.toFixed(2), median(out.protect).toFixed(3),
    rb ? `${newest(rb).toFixed(2)} (${rb.initSeconds.toFixed(2)})` : '-', (Math.max(...out.maxRssKiB, ...(rb?.maxRssKiB ?? [])) / 1024).toFixed(0)]);
  if (label === 'SINGLE (CRC off)') {
    singleNoCrc = med;
    verdicts.push(`${ratio >= 0.95 ? 'PASS' : 'FAIL'} SINGLE with SCR_CRC_ON_COPY=0 within 5% of the raw write: ${(ratio * 100).toFixed(1)}% of raw`);
  } else if (label === 'SINGLE (CRC on)') {
    verdicts.push(`INFO CRC32 on copy costs ${((1 - med / singleNoCrc) * 100).toFixed(1)}% for SINGLE (${f0(med)} vs ${f0(singleNoCrc)} MiB/s)`);
  } else if (label === 'XOR (CRC on)') {
    verdicts.push(`INFO CRC32 on copy (the default) costs ${((1 - med / xorNoCrc) * 100).toFixed(1)}% for XOR (${f0(med)} vs ${f0(xorNoCrc)} MiB/s)`);
  } else {
    if (label === 'XOR') xorNoCrc = med;
    verdicts.push(`INFO ${label}: ${ratio.toFixed(2)} of the raw write measured in the same job`);
    if (rb) verdicts.push(`INFO ${label} rebuild of a lost node's newest checkpoint: ${newest(rb).toFixed(2)} s = ${(newest(rb) / median(out.raw)).toFixed(2)}× the raw write (the relaunch's whole init(), rebuilding both cached checkpoints: ${rb.initSeconds.toFixed(2)} s)`);
  }
}
const header = ['scheme', 'median MiB/s', 'best MiB/s', 'raw MiB/s', 'vs raw', 'encode s', 'rebuild s (init)', 'peak RSS MiB'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
for (const r of [header, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i]!)).join('  '));
console.log('\nmedian phases on rank 0:');
for (const p of phaseLines) console.log(`  ${p}`);
console.log('');
for (const v of verdicts) console.log(v);
console.log(`\nencode s = median seconds rank 0 spent applying redundancy and CRCs inside completeOutput; peak RSS includes the ${mib} MiB data buffer each rank writes from.`);
