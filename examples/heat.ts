// 1-D heat diffusion over all ranks (each holds a slab; neighbours exchange edge cells every
// step), checkpointed with scr every --every steps. Started again after a failure, it resumes
// from the newest checkpoint. When scr says to stop (shouldExit: the allocation is ending, a warning
// signal, `scr halt`) it checkpoints at once and exits cleanly. Prints the final step and a checksum of the whole field
// on rank 0. --step-ms slows each step down, to rehearse failures and halts by hand.
//   node dist/examples/heat.js --steps 60 --every 10 [--stop-at 30] [--cells 1000000] [--step-ms 0]
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import * as scr from '../src/index.js';

const arg = (n: string, d: number) => { const i = process.argv.indexOf(`--${n}`); return i >= 0 ? Number(process.argv[i + 1]) : d; };
const steps = arg('steps', 60);
const every = arg('every', 10);
const stopAt = arg('stop-at', Infinity);
const cells = arg('cells', 1_000_000);
const stepMs = arg('step-ms', 0);

await scr.init();
const w = scr.mpi.world;
const prefix = process.env.SCR_PREFIX ?? process.cwd();
const file = (step: number) => join(prefix, `heat.${step}`, `slab.${w.rank}.f64`);

// u[0] and u[cells+1] are ghost cells holding the neighbours' edges.
let u = new Float64Array(cells + 2);
let step = 0;
const restart = await scr.haveRestart();
if (restart) {
  await scr.startRestart();
  step = Number(restart.split('.')[1]);
  const data = readFileSync(scr.routeFile(file(step)));
  u = new Float64Array(data.buffer, data.byteOffset, data.byteLength / 8).slice();
  await scr.completeRestart(u.length === cells + 2);
  if (w.rank === 0) console.log(`heat: restarted from checkpoint ${restart} (step ${step})`);
} else {
  // A hot spot in the middle of the global rod.
  const mid = Math.floor((w.size * cells) / 2);
  for (let i = 1; i <= cells; i++) if (Math.abs(w.rank * cells + i - mid) < cells / 10) u[i] = 100;
}

const left = w.rank - 1;
const right = w.rank + 1;
const next = new Float64Array(cells + 2);
while (step < steps && step < stopAt) {
  // Exchange edges: send my first cell left and last cell right, receive their neighbours.
  const ops: Array<Promise<unknown>> = [];
  if (left >= 0) ops.push(w.sendrecv(u.subarray(1, 2), left, u.subarray(0, 1), left, 1));
  if (right < w.size) ops.push(w.sendrecv(u.subarray(cells, cells + 1), right, u.subarray(cells + 1, cells + 2), right, 1));
  await Promise.all(ops);
  if (left < 0) u[0] = u[1]!;
  if (right >= w.size) u[cells + 1] = u[cells]!;
  for (let i = 1; i <= cells; i++) next[i] = u[i]! + 0.25 * (u[i - 1]! - 2 * u[i]! + u[i + 1]!);
  u.set(next.subarray(1, cells + 1), 1);
  step++;
  if (stepMs > 0) await new Promise((r) => setTimeout(r, stepMs));
  const halting = await scr.shouldExit();
  if (step % every === 0 || halting) {
    await scr.startOutput(`heat.${step}`, scr.FLAG_CHECKPOINT);
    const p = scr.routeFile(file(step));
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, Buffer.from(u.buffer, u.byteOffset, u.byteLength));
    await scr.completeOutput(true);
  }
  if (halting) {
    if (w.rank === 0) console.log(`heat: halting at step ${step} as scr asked (checkpoint heat.${step} written)`);
    await scr.finalize();
    process.exit(0);
  }
}
const digests = await w.gather(createHash('sha256').update(Buffer.from(u.buffer, 8, cells * 8)).digest(), 0);
await scr.finalize();
if (w.rank === 0) console.log(JSON.stringify({ step, checksum: createHash('sha256').update(Buffer.concat(digests!)).digest('hex').slice(0, 16) }));
