// One rank of bench/flush.ts: rounds of { cp + fsync of this rank's cached checkpoint file to
// the prefix (the raw baseline), a checkpoint whose completeOutput flushes it (SCR_FLUSH=1) }.
// The flush's own time comes from the event log (FLUSH lines); rank 0 prints the raw times.
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as scr from '../src/index.js';

const mib = Number(process.argv[2] ?? 128);
const rounds = Number(process.argv[3] ?? 3);
await scr.init();
const w = scr.mpi.world;
const prefix = process.env.SCR_PREFIX!;
const data = Buffer.allocUnsafe(mib << 20);
for (let o = 0; o < data.length; o += 1 << 24) randomFillSync(data, o, Math.min(1 << 24, data.length - o));
const raw: number[] = [];
let cached = '';
for (let i = 0; i <= rounds; i++) {
  await scr.startOutput(null, scr.FLAG_CHECKPOINT);
  cached = scr.routeFile(join(prefix, 'ckpt', `rank.${w.rank}.dat`));
  writeFileSync(cached, data);
  await scr.completeOutput(true); // flushes (SCR_FLUSH=1): timed by the event log
  // Raw: the same cached file, copied by cp to the same file system, then fsynced.
  const dst = join(prefix, 'raw', `rank.${w.rank}.dat`);
  mkdirSync(join(prefix, 'raw'), { recursive: true });
  rmSync(dst, { force: true });
  await w.barrier();
  const t = performance.now();
  spawnSync('cp', [cached, dst]);
  const fd = openSync(dst, 'r+');
  fsyncSync(fd);
  closeSync(fd);
  await w.barrier();
  if (i > 0) raw.push((performance.now() - t) / 1000);
}
await scr.finalize();
if (w.rank === 0) console.log(JSON.stringify({ ranks: w.size, mibPerRank: mib, raw }));
