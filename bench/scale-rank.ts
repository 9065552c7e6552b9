// One rank of bench/scale.ts, run with SCR_COUNT_FILE set (src/common/count.ts), so every
// collective, message and metadata file of each API call is counted per phase.
//   write:   init, two checkpoints of one small file per rank (the second one flushed, with
//            SCR_FLUSH=2), finalize.
//   restart: init (the cache is restored), haveRestart, startRestart, read the file back,
//            completeRestart, finalize. With another job id the cache is empty: the checkpoint is
//            fetched from the file system.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as scr from '../src/index.js';

const mode = process.argv[2] ?? 'write';
const kib = Number(process.argv[3] ?? 4);
const prefix = process.env.SCR_PREFIX!;

scr.mpi.init();
const w = scr.mpi.world;
// The same bytes at every size: KiB per rank plus the rank (files of different sizes, like test_api).
const bytes = (id: number) => Buffer.alloc(kib * 1024 + w.rank, `ckpt ${id} rank ${w.rank} `);

await scr.init();
if (mode === 'write') {
  for (let id = 1; id <= 2; id++) {
    await scr.startOutput(null, scr.FLAG_CHECKPOINT);
    await writeFile(scr.routeFile(join(prefix, `ckpt.${w.rank}.dat`)), bytes(id));
    if (!(await scr.completeOutput(true))) throw new Error(`rank ${w.rank}: checkpoint ${id} is not complete`);
  }
} else {
  const name = await scr.haveRestart();
  if (!name) throw new Error(`rank ${w.rank}: nothing to restart from`);
  await scr.startRestart();
  const got = await readFile(scr.routeFile(join(prefix, `ckpt.${w.rank}.dat`)));
  const ok = got.equals(bytes(2));
  if (!(await scr.completeRestart(ok)) || !ok) throw new Error(`rank ${w.rank}: the restart did not read back checkpoint 2`);
}
await scr.finalize();
