// One rank of bench/encode-async.ts (under mpirun on private-storage nodes). A warm-up
// checkpoint, then --ckpts timed ones, each followed by the application's compute: a fixed
// amount of hashing on the JavaScript thread in steps, awaiting setImmediate between steps.
// Per checkpoint: blocked = startOutput → completeOutput return; computeWith = the compute right
// after it (a background encode, if any, runs meanwhile); settle = the next scr call
// (needCheckpoint, which completes the background encode); computeWithout = the same compute
// again with nothing running. Each value is the maximum over ranks. Rank 0 prints JSON.
import { createHash, randomFillSync } from 'node:crypto';
import { join } from 'node:path';
import * as scr from '../src/index.js';
import { writeAll } from './write-all.js';

const mib = Number(process.argv[2] ?? 64);
const ckpts = Number(process.argv[3] ?? 2);
const steps = Number(process.argv[4] ?? 256);


const block = Buffer.alloc(256 * 1024, 7);
/** The application's compute: `steps` × SHA-256 of 256 KiB, yielding between steps. */
async function compute(): Promise<number> {
  const t = performance.now();
  for (let i = 0; i < steps; i++) {
    createHash('sha256').update(block).digest();
    await new Promise<void>((r) => setImmediate(r));
  }
  return (performance.now() - t) / 1000;
}

scr.mpi.init();
await scr.init();
const w = scr.mpi.world;
const prefix = process.env.SCR_PREFIX!;
const data = Buffer.allocUnsafe(mib << 20);
for (let o = 0; o < data.length; o += 1 << 24) randomFillSync(data, o, Math.min(1 << 24, data.length - o));
const max = async (x: number) => w.allreduce(x, 'MAX');
const out = { blocked: [] as number[], settle: [] as number[], computeWith: [] as number[], computeWithout: [] as number[], background: [] as boolean[] };
for (let i = 0; i <= ckpts; i++) {
  await w.barrier();
  let t = performance.now();
  await scr.startOutput(null, scr.FLAG_CHECKPOINT);
  await writeAll(scr.routeFile(join(prefix, `ckpt.${w.rank}.dat`)), data);
  await scr.completeOutput(true);
  const blocked = (performance.now() - t) / 1000;
  const computeWith = await compute();
  t = performance.now();
  await scr.needCheckpoint();
  const settle = (performance.now() - t) / 1000;
  const computeWithout = await compute();
  const vals = [await max(blocked), await max(settle), await max(computeWith), await max(computeWithout)] as const;
  if (i > 0) {
    out.blocked.push(vals[0]); out.settle.push(vals[1]); out.computeWith.push(vals[2]); out.computeWithout.push(vals[3]);
    out.background.push(scr.lastOutputStats()?.background === true);
  }
}
await scr.finalize();
if (w.rank === 0) console.log(JSON.stringify(out));
