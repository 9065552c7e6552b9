// One rank of bench/checkpoint.ts (run under mpirun on simulated nodes). Mode "write": warm up,
// then 5 rounds of { raw write of the same bytes to the same cache directory, a checkpoint },
// interleaved, timed from before startOutput to after completeOutput (all ranks, like SCR's
// test_api). Mode "rebuild": time init(), which rebuilds a lost node's files. Rank 0 prints JSON.
import { randomFillSync } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import * as scr from '../src/index.js';
import { writeAll } from './write-all.js';

const mode = process.argv[2] ?? 'write';
const mib = Number(process.argv[3] ?? 256);
const rounds = Number(process.argv[4] ?? 5);


// MPI_Init is not scr's work: start MPI first, then time scr.init() (config, directories, and on
// a relaunch the rebuild).
scr.mpi.init();
await scr.mpi.world.barrier();
const t0 = performance.now();
await scr.init();
const initSeconds = (performance.now() - t0) / 1000;
const w = scr.mpi.world;
const prefix = process.env.SCR_PREFIX!;

if (mode === 'rebuild') {
  const name = await scr.haveRestart();
  await scr.finalize();
  const rss = await w.gather(Buffer.from(JSON.stringify(process.resourceUsage().maxRSS)), 0);
  if (w.rank === 0) console.log(JSON.stringify({ mode, initSeconds, restored: name, timings: scr.restoreStats(), maxRssKiB: rss!.map((b) => Number(b.toString())) }));
} else {
  const data = Buffer.allocUnsafe(mib << 20);
  for (let o = 0; o < data.length; o += 1 << 24) randomFillSync(data, o, Math.min(1 << 24, data.length - o));
  // Like the checkpoints (a new dataset each round, the one from two rounds back evicted inside
  // startOutput with SCR_CACHE_SIZE=2), the raw write goes to a new file and deletes the one from
  // two rounds back inside its timed window, as an application overwriting the older of two
  // checkpoint files with O_TRUNC would: both free and reuse the same memory (this VM's first
  // touch of memory is slow).
  const rawPath = (i: number) => join(process.env.SCR_CACHE_BASE!, `raw.${w.rank}.${i}.dat`);
  const raw: number[] = [];
  const ckpt: number[] = [];
  const protect: number[] = [];
  const phases: Array<[number, number, number]> = [];
  for (let i = 0; i <= rounds; i++) {
    // Raw: the same bytes, the same ranks, the same directory.
    await w.barrier();
    let t = performance.now();
    await rm(rawPath(i - 2), { force: true });
    await writeAll(rawPath(i), data);
    await w.barrier();
    const rawS = (performance.now() - t) / 1000;
    // Checkpoint.
    await w.barrier();
    t = performance.now();
    await scr.startOutput(null, scr.FLAG_CHECKPOINT);
    const t1 = performance.now();
    await writeAll(scr.routeFile(join(prefix, `ckpt.${w.rank}.dat`)), data);
    const t2 = performance.now();
    await scr.completeOutput(true);
    const t3 = performance.now();
    await w.barrier();
    const ckptS = (performance.now() - t) / 1000;
    if (i > 0) {
      raw.push(rawS); ckpt.push(ckptS); protect.push(scr.lastOutputStats()!.protectSeconds);
      phases.push([(t1 - t) / 1000, (t2 - t1) / 1000, (t3 - t2) / 1000]);
    }
  }
  for (let i = rounds - 1; i <= rounds; i++) await rm(rawPath(i), { force: true });
  await scr.finalize();
  const rss = await w.gather(Buffer.from(JSON.stringify(process.resourceUsage().maxRSS)), 0);
  if (w.rank === 0) console.log(JSON.stringify({ mode, ranks: w.size, mibPerRank: mib, raw, ckpt, protect, phases, maxRssKiB: rss!.map((b) => Number(b.toString())) }));
}
