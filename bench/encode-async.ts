// npm run bench:encode-async [-- --mib 64 --rounds 3 --ckpts 2 --steps N --crc 1 --flavour openmpi]
// Protection in the background (SCR_ENCODE_ASYNC=1, issue 13), 4 ranks on 4 private-storage
// nodes (test/harness/nodes.ts), one job per mode and round, the modes interleaved (their order
// rotates each round): XOR with the encode in the background, XOR synchronous, and SINGLE.
// Prints the application's blocked time per checkpoint (startOutput → completeOutput return, the
// maximum over ranks; medians), the wait at the next scr call (where the background encode is
// completed), and the slowdown of the application's compute while the encode runs (hashing in
// steps that await setImmediate, timed right after completeOutput and again with nothing
// running). Target: the background XOR's blocked time within 10 % of SINGLE's (PASS/FAIL).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MpiFlavour } from '../src/native/paths.js';
import { cleanupNodeJob, newNodeJob, privateNodesMissing, runNodes } from '../test/harness/nodes.js';

const arg = (n: string, d: string) => { const i = process.argv.indexOf(`--${n}`); return i >= 0 ? process.argv[i + 1]! : d; };
const mib = Number(arg('mib', '64'));
const rounds = Number(arg('rounds', '3'));
const ckpts = Number(arg('ckpts', '2'));
const steps = Number(arg('steps', String(Math.max(64, mib * 16))));
const crc = arg('crc', '1');
const flavour = arg('flavour', 'openmpi') as MpiFlavour;
const worker = join(fileURLToPath(import.meta.url), '..', 'encode-async-rank.js');
const nodes = ['n0', 'n1', 'n2', 'n3'];

interface Out { blocked: number[]; settle: number[]; computeWith: number[]; computeWithout: number[]; background: boolean[] }
const MODES: Array<{ label: string; env: Record<string, string> }> = [
  { label: 'XOR async', env: { SCR_COPY_TYPE: 'XOR', SCR_ENCODE_ASYNC: '1' } },
  { label: 'XOR sync', env: { SCR_COPY_TYPE: 'XOR', SCR_ENCODE_ASYNC: '0' } },
  { label: 'SINGLE', env: { SCR_COPY_TYPE: 'SINGLE', SCR_ENCODE_ASYNC: '0' } },
];

async function runMode(env: Record<string, string>, round: number): Promise<Out> {
  const job = newNodeJob({ env: { SCR_JOB_ID: `i13-async-bench-${round}`, SCR_CACHE_SIZE: '2', SCR_FLUSH: '0', SCR_CRC_ON_COPY: crc, SCR_SET_SIZE: '4', ...env } });
  try {
    const r = await runNodes(flavour, job, nodes, [worker, String(mib), String(ckpts), String(steps)], { timeoutMs: 600_000 });
    if (r.code !== 0) throw new Error(`the job failed (${r.code ?? r.signal})\n${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as Out;
  } finally {
    cleanupNodeJob(job);
  }
}

const missing = privateNodesMissing();
if (missing) {
  console.error(`bench:encode-async needs private node storage: ${missing}`);
  process.exit(2);
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
const ms = (s: number) => `${(s * 1000).toFixed(1)} ms`;
console.log(`bench:encode-async — ${flavour}, 4 ranks on 4 private-storage nodes, ${mib} MiB per rank, ${rounds} round(s) × ${ckpts} timed checkpoint(s) per mode, SCR_CRC_ON_COPY=${crc}, compute = ${steps} × SHA-256 of 256 KiB`);
const all = new Map<string, Out[]>(MODES.map((m) => [m.label, []]));
for (let r = 0; r < rounds; r++) {
  for (let j = 0; j < MODES.length; j++) {
    const m = MODES[(r + j) % MODES.length]!;
    all.get(m.label)!.push(await runMode(m.env, r));
  }
}
const flat = (label: string, k: keyof Omit<Out, 'background'>) => all.get(label)!.flatMap((o) => o[k]);
const slow = (label: string) => median(all.get(label)!.flatMap((o) => o.computeWith.map((x, i) => x / o.computeWithout[i]!)));
console.log('\nmode        blocked/ckpt   next call (settle)   blocked+settle   compute after ckpt   compute alone   slowdown');
const row = (label: string) => {
  const b = median(flat(label, 'blocked'));
  const s = median(flat(label, 'settle'));
  const bs = median(all.get(label)!.flatMap((o) => o.blocked.map((x, i) => x + o.settle[i]!)));
  return [label.padEnd(10), ms(b).padStart(12), ms(s).padStart(20), ms(bs).padStart(16), ms(median(flat(label, 'computeWith'))).padStart(20), ms(median(flat(label, 'computeWithout'))).padStart(15), `${slow(label).toFixed(2)}×`.padStart(10)].join(' ');
};
for (const m of MODES) console.log(row(m.label));
if (!all.get('XOR async')!.every((o) => o.background.every(Boolean))) console.log('note: some XOR async checkpoints were encoded synchronously');
const asyncB = median(flat('XOR async', 'blocked'));
const syncB = median(flat('XOR sync', 'blocked'));
const singleB = median(flat('SINGLE', 'blocked'));
console.log(`\nblocked time, XOR async / SINGLE: ${(asyncB / singleB).toFixed(3)}  (XOR sync / SINGLE: ${(syncB / singleB).toFixed(3)})`);
console.log(`target: XOR async's blocked time within 10 % of SINGLE's: ${asyncB <= 1.1 * singleB ? 'PASS' : 'FAIL'}`);
console.log(`compute slowdown while the background encode runs: ${slow('XOR async').toFixed(2)}× (the same compute after a synchronous XOR checkpoint: ${slow('XOR sync').toFixed(2)}×)`);
