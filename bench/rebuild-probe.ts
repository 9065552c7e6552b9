// node dist/bench/rebuild-probe.js [--mib 64] [--rounds 1] [--schemes XOR,PARTNER,RS] [--crc 1,0]
//   [--libs dist/src/index.js,/other/build/dist/src/index.js] [--envs 'K=V K2=V|K=W'] [--flavour openmpi]
// A quick look at where the relaunch's init() spends its time after a node is lost, on the
// issue-13 workload: 4 ranks on 4 simulated nodes with private storage, each rank writes one file
// of size+rank bytes; the same bytes are first written raw (timed, all ranks); then 2 checkpoints
// with SCR_CACHE_SIZE=1; node n1's storage is deleted and the job relaunches with a spare in its
// place. Prints init() of the relaunch (slowest rank), its ratio to the raw write, and each phase
// (initStats(), slowest rank per phase). With several --libs (builds of the library to compare),
// the runs are interleaved: lib A, lib B, lib A, … within each scheme and CRC setting.
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeAll } from './write-all.js';

const arg = (n: string, d: string) => { const i = process.argv.indexOf(`--${n}`); return i >= 0 ? process.argv[i + 1]! : d; };

interface Phase { name: string; seconds: number }
interface RankOut { rank: number; raw?: number; init?: number; cpu?: number; phases?: Phase[] | null; restored?: string | null; ok?: boolean }


/** One rank: "write" (raw write timed, then 2 checkpoints) or "restart" (init timed). */
async function rank(mode: string, mib: number, lib: string): Promise<void> {
  const scr = (await import(pathToFileURL(resolve(lib)).href)) as typeof import('../src/index.js');
  scr.mpi.init();
  const w = scr.mpi.world;
  const prefix = process.env.SCR_PREFIX!;
  const bytes = (mib << 20) + w.rank;
  // The same bytes in both launches: one random MiB from a fixed seed, each copy stamped with its
  // offset and the rank.
  const seed = createHash('sha256').update(`rebuild-probe ${w.rank}`).digest();
  const block = Buffer.alloc(1 << 20);
  for (let o = 0; o < block.length; o += 32) createHash('sha256').update(seed).update(String(o)).digest().copy(block, o);
  const data = Buffer.allocUnsafe(bytes);
  for (let o = 0; o < bytes; o += block.length) {
    block.copy(data, o, 0, Math.min(block.length, bytes - o));
    if (bytes - o >= 8) data.writeUInt32LE(o >>> 20, o + 4);
  }
  const out: RankOut = { rank: w.rank };
  if (mode === 'write') {
    const raw = join(process.env.SCR_CACHE_BASE!, `raw.${w.rank}.dat`);
    await mkdir(process.env.SCR_CACHE_BASE!, { recursive: true });
    await w.barrier();
    const t = performance.now();
    await writeAll(raw, data, { sync: true });
    await w.barrier();
    out.raw = (performance.now() - t) / 1000;
    await rm(raw, { force: true });
    await scr.init();
    for (let i = 0; i < 2; i++) {
      data.writeUInt32LE(i, 0);
      await scr.startOutput(null, scr.FLAG_CHECKPOINT);
      await writeAll(scr.routeFile(join(prefix, `ckpt.${w.rank}.dat`)), data, { sync: true });
      await scr.completeOutput(true);
    }
  } else {
    await w.barrier();
    const t = performance.now();
    const c0 = process.cpuUsage();
    await scr.init();
    out.init = (performance.now() - t) / 1000;
    const c = process.cpuUsage(c0);
    out.cpu = (c.user + c.system) / 1e6;
    out.phases = (scr as { initStats?: () => { phases: Phase[] } | null }).initStats?.()?.phases ?? null;
    out.restored = await scr.haveRestart();
    if (out.restored) {
      const name = await scr.startRestart();
      const got = await readFile(scr.routeFile(join(prefix, `ckpt.${w.rank}.dat`)));
      data.writeUInt32LE(1, 0);
      out.ok = got.equals(data) && name === out.restored;
      await scr.completeRestart(true);
    }
  }
  await scr.finalize();
  const all = await w.gather(Buffer.from(JSON.stringify(out)), 0);
  if (w.rank === 0) console.log(JSON.stringify(all!.map((b) => JSON.parse(b.toString()) as RankOut)));
}

async function driver(): Promise<void> {
  const { cleanupNodeJob, loseNode, newNodeJob, runNodes } = await import('../test/harness/nodes.js');
  const mib = Number(arg('mib', '64'));
  const rounds = Number(arg('rounds', '1'));
  const schemes = arg('schemes', 'XOR,PARTNER,RS').split(',');
  const crcs = arg('crc', '1,0').split(',');
  const libs = arg('libs', join(fileURLToPath(import.meta.url), '..', '..', 'src', 'index.js')).split(',');
  const envs = arg('envs', '').split('|');
  const flavour = arg('flavour', 'openmpi') as 'openmpi' | 'mpich';
  const self = fileURLToPath(import.meta.url);
  const last = (s: string) => JSON.parse(s.trim().split('\n').pop()!) as RankOut[];
  const ms = (s: number) => `${(s * 1000).toFixed(0)} ms`;
  console.log(`rebuild-probe: ${flavour}, 4 ranks on 4 private-storage nodes, ${mib} MiB (+rank bytes) per rank, SCR_CACHE_SIZE=1, n1 lost, spare relaunch`);
  for (const scheme of schemes) {
    for (const crc of crcs) {
      for (let round = 0; round < rounds; round++) {
        for (const [lib, extra] of libs.flatMap((l) => envs.map((e) => [l, e] as const))) {
          const more = Object.fromEntries(extra.split(' ').filter(Boolean).map((kv) => kv.split('=') as [string, string]));
          const job = newNodeJob({ env: { SCR_COPY_TYPE: scheme, SCR_CRC_ON_COPY: crc, SCR_CACHE_SIZE: '1', SCR_FLUSH: '0', SCR_SET_SIZE: '4', SCR_SET_FAILURES: '2', ...more } });
          try {
            const a = await runNodes(flavour, job, ['n0', 'n1', 'n2', 'n3'], [self, 'rank', 'write', String(mib), lib], { timeoutMs: 300_000 });
            if (a.code !== 0) throw new Error(`write failed:\n${a.stderr}`);
            const raw = Math.max(...last(a.stdout).map((r) => r.raw!));
            loseNode(job, 'n1');
            const b = await runNodes(flavour, job, ['n0', 'spare', 'n2', 'n3'], [self, 'rank', 'restart', String(mib), lib], { timeoutMs: 300_000 });
            if (b.code !== 0) throw new Error(`restart failed:\n${b.stderr}`);
            const rs = last(b.stdout);
            if (!rs.every((r) => r.restored && r.ok)) throw new Error(`restart did not restore the bytes written:\n${b.stdout}\n${b.stderr}`);
            const init = Math.max(...rs.map((r) => r.init!));
            for (const l of b.stderr.split('\n').filter((x) => x.startsWith('trace '))) console.log(`    ${l}`);
            console.log(`${scheme.padEnd(7)} CRC ${crc} lib${libs.indexOf(lib)} ${extra}  init ${ms(init)}  raw ${ms(raw)}  ratio ${(init / raw).toFixed(2)}  CPU of init per rank ${rs.map((r) => (r.cpu! * 1000).toFixed(0)).join('/')} ms (sum ${(rs.reduce((x, r) => x + r.cpu!, 0) * 1000).toFixed(0)})`);
            const names = [...new Set(rs.flatMap((r) => (r.phases ?? []).map((p) => p.name)))];
            for (const n of names) {
              const per = rs.map((r) => r.phases?.find((p) => p.name === n)?.seconds ?? 0);
              console.log(`    ${n.padEnd(46)} max ${ms(Math.max(...per)).padStart(7)}  per rank ${per.map((x) => (x * 1000).toFixed(0)).join('/')}`);
            }
          } finally {
            cleanupNodeJob(job);
          }
        }
      }
    }
  }
}

if (process.argv[2] === 'rank') await rank(process.argv[3]!, Number(process.argv[4]), process.argv[5]!);
else await driver();
