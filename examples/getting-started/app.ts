// A restartable MPI application: each rank advances a number, checkpoints when scr says so, and
// after a failure resumes from the newest checkpoint. Usage: node app.js [steps]
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as scr from '@scr-hpc/scr';

const steps = Number(process.argv[2] ?? 40);
await scr.init();
const { rank } = scr.mpi.world;
const prefix = scr.config('SCR_PREFIX')!;
const fileOf = (name: string) => join(prefix, name, `rank${rank}.json`);

let step = 0;
let x = rank + 1;
let name: string | null;
while ((name = await scr.haveRestart()) !== null) {        // newest checkpoint first
  await scr.startRestart();
  let ok = true;
  try {
    ({ step, x } = JSON.parse(readFileSync(scr.routeFile(fileOf(name)), 'utf8')));
  } catch { ok = false; }
  if (await scr.completeRestart(ok)) break;               // else try an older one
  [step, x] = [0, rank + 1];
}
if (rank === 0) console.log(name ? `restarted from ${name} at step ${step}` : 'starting at step 0');

while (step < steps) {
  step += 1;
  x = (x * 48271) % 2147483647;                           // the "computation"
  await new Promise((r) => setTimeout(r, 100));           // ... which takes a while
  if (await scr.needCheckpoint()) {
    await scr.startOutput(`ckpt.${step}`, scr.FLAG_CHECKPOINT);
    let ok = true;
    try { writeFileSync(scr.routeFile(fileOf(`ckpt.${step}`)), JSON.stringify({ step, x })); } catch { ok = false; }
    await scr.completeOutput(ok);
  }
  if (await scr.shouldExit()) break;                      // halted: the checkpoint is written
}
const sum = await scr.mpi.world.allreduce(x, 'SUM');
if (rank === 0) console.log(`step ${step}, result ${sum}`);
await scr.finalize();
