// Benchmark of the native kernels against memcpy on the same buffers, in one run.
//   node dist/bench/kernels.js [--size-mib N] [--small-kib K] [--reps R] [--dir /dev/shm]
// Two sizes: an in-cache one (default 256 KiB) and a far-larger-than-cache one (default: 256 MiB
// or twice the L3 cache, whichever is larger, rounded up to a power of two). Every figure is the
// median of R samples. Throughput counts the length of dst (one buffer), not bytes read + written;
// for files it counts the file size. Exit status 1 if a target is missed.
import { randomFillSync } from 'node:crypto';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { crc32 } from 'node:zlib';
import {
  copyFileCrc, crcFile, gfMulAdd, gfMulAddAsync, setKernelIsa, supportedIsas, xor, xorAsync,
} from '../src/kernels/index.js';

const MiB = 1024 * 1024;

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(name);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} needs a positive number`);
  return v;
}

function l3Bytes(): number {
  try {
    const s = readFileSync('/sys/devices/system/cpu/cpu0/cache/index3/size', 'utf8').trim();
    const m = /^(\d+)([KMG]?)$/.exec(s);
    if (!m) return 0;
    return Number(m[1]) * ({ '': 1, K: 1024, M: MiB, G: 1024 * MiB } as Record<string, number>)[m[2]];
  } catch {
    return 0;
  }
}

const l3 = l3Bytes();
const defaultLargeMiB = Math.max(256, 2 ** Math.ceil(Math.log2(Math.max(1, (2 * l3) / MiB))));
const largeBytes = Math.round(arg('--size-mib', defaultLargeMiB) * MiB);
const smallBytes = Math.round(arg('--small-kib', 256) * 1024);
const reps = Math.round(arg('--reps', 5));
const dirIdx = process.argv.indexOf('--dir');
const dir = dirIdx >= 0 ? process.argv[dirIdx + 1] : '/dev/shm';
const C = 0x8e; // a GF coefficient with no special case

/** Bytes per sample for small sizes, so each sample lasts long enough to time. */
const SAMPLE_BYTES = 256 * MiB;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Median bytes/s of op, which processes `bytes` per call; one untimed warm-up call first. */
async function measure(bytes: number, op: () => void | Promise<void>): Promise<number> {
  const iters = Math.max(1, Math.ceil(SAMPLE_BYTES / bytes));
  await op();
  const rates: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    for (let i = 0; i < iters; i++) await op();
    const secs = (performance.now() - t0) / 1000;
    rates.push((bytes * iters) / secs);
  }
  return median(rates);
}

function randomBuffer(n: number): Buffer {
  const b = Buffer.allocUnsafeSlow(n);
  for (let off = 0; off < n; off += 1 << 30) randomFillSync(b, off, Math.min(1 << 30, n - off));
  return b;
}

interface Row { size: string; op: string; rate: number; ratio: number }
const rows: Row[] = [];
const results = new Map<string, number>();

function fmtSize(n: number): string {
  return n >= MiB ? `${n / MiB} MiB` : `${n / 1024} KiB`;
}

async function runSize(n: number): Promise<void> {
  const size = fmtSize(n);
  // Every page is written before timing (first touch of fresh memory is slow on this VM), with
  // random bytes so the hypervisor cannot merge identical pages behind our back.
  const src = randomBuffer(n);
  const dst = randomBuffer(n);

  const memcpy = await measure(n, () => { dst.set(src); });
  const add = (op: string, rate: number): void => {
    rows.push({ size, op, rate, ratio: rate / memcpy });
    results.set(`${size}:${op}`, rate);
  };
  add('memcpy (dst.set(src))', memcpy);
  setKernelIsa('auto');
  add('xor', await measure(n, () => xor(dst, src)));
  add('xorAsync', await measure(n, () => xorAsync(dst, src)));
  for (const isa of supportedIsas()) {
    setKernelIsa(isa);
    add(`gfMulAdd [${isa}]`, await measure(n, () => gfMulAdd(dst, C, src)));
  }
  setKernelIsa('auto');
  add('gfMulAddAsync [auto]', await measure(n, () => gfMulAddAsync(dst, C, src)));
  add('zlib.crc32 (buffer)', await measure(n, () => { crc32(src); }));

  const fsrc = join(dir, `scr-bench-src-${process.pid}`);
  const fdst = join(dir, `scr-bench-dst-${process.pid}`);
  try {
    writeFileSync(fsrc, src);
    copyFileSync(fsrc, fdst); // dst file exists from the start for every method
    add('fs.copyFile', await measure(n, () => copyFile(fsrc, fdst)));
    add('copyFileCrc', await measure(n, async () => { await copyFileCrc(fsrc, fdst); }));
    add('crcFile', await measure(n, async () => { await crcFile(fsrc); }));
  } finally {
    rmSync(fsrc, { force: true });
    rmSync(fdst, { force: true });
  }
}

async function main(): Promise<void> {
  console.log(`scr kernels benchmark: ISAs ${supportedIsas().join(', ')}; L3 ${l3 ? fmtSize(l3) : 'unknown'}; ` +
    `sizes ${fmtSize(smallBytes)} and ${fmtSize(largeBytes)}; median of ${reps}; files in ${dir}`);
  console.log('GB/s = 1e9 bytes/s of dst length (one buffer; for files, the file size); ratio is to memcpy at the same size.\n');
  await runSize(smallBytes);
  await runSize(largeBytes);

  const w = Math.max(...rows.map((r) => r.op.length));
  console.log(`${'size'.padEnd(10)} ${'operation'.padEnd(w)} ${'GB/s'.padStart(7)} ${'x memcpy'.padStart(9)}`);
  for (const r of rows) {
    console.log(`${r.size.padEnd(10)} ${r.op.padEnd(w)} ${(r.rate / 1e9).toFixed(2).padStart(7)} ${r.ratio.toFixed(2).padStart(9)}`);
  }

  const large = fmtSize(largeBytes);
  const small = fmtSize(smallBytes);
  const best = supportedIsas().at(-1);
  const xorRatio = results.get(`${large}:xor`)! / results.get(`${large}:memcpy (dst.set(src))`)!;
  const checks: Array<[string, boolean]> = [
    [`XOR >= 0.60x memcpy at ${large}: ${xorRatio.toFixed(2)}x`, xorRatio >= 0.6],
  ];
  for (const sz of [small, large]) {
    const gf = results.get(`${sz}:gfMulAdd [${best}]`)!;
    checks.push([`GF(2^8) multiply-add [${best}] >= 1 GB/s at ${sz}: ${(gf / 1e9).toFixed(2)} GB/s`, gf >= 1e9]);
  }
  console.log('');
  for (const [what, ok] of checks) console.log(`${ok ? 'PASS' : 'FAIL'} ${what}`);
  if (checks.some(([, ok]) => !ok)) process.exitCode = 1;
}

await main();
