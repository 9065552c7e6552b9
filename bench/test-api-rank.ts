// One rank of bench/checkpoint --workload test-api (under mpirun, one private node each).
//   write <mib> <rounds>: the application fills its buffer and does one raw write (its own peak
//     RSS is taken there, before any scr call); scr.init(); an untimed checkpoint; then <rounds>
//     timed rounds, each a raw write of the same bytes to the same node-private cache file system
//     (deleting the previous raw file inside the timed window, as SCR_CACHE_SIZE=1 eviction does
//     inside startOutput) and a checkpoint, their order alternating round by round.
//   rebuild <mib> <rounds>: times the relaunch's whole init() (which rebuilds the lost node's
//     files), then restarts and compares every rank's file with the bytes of the newest step.
// Times are rank 0's wall times. Rank 0 prints one JSON line.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { patternBuffer, sameBytes, setHeader, unlinkIfThere, writeBlocking } from './test-api-data.js';

const [mode, mibArg, roundsArg] = process.argv.slice(2);
const rounds = Number(roundsArg);
let t = performance.now();
const scr = await import('../src/index.js');
const loadSeconds = (performance.now() - t) / 1000;
t = performance.now();
scr.mpi.init();
const mpiInitSeconds = (performance.now() - t) / 1000;
const w = scr.mpi.world;
const bytes = Number(mibArg) * (1 << 20) + w.rank;
const prefix = process.env.SCR_PREFIX!;
const ckptPath = () => join(prefix, `rank_${w.rank}.ckpt`);
const since = (t0: number) => (performance.now() - t0) / 1000;
const maxRssKiB = () => process.resourceUsage().maxRSS;

async function timedInit(): Promise<number> {
  await w.barrier();
  const t0 = performance.now();
  await scr.init();
  return since(t0);
}

const initStats = () => (typeof (scr as any).initStats === 'function' ? (scr as any).initStats() : null);

if (mode === 'rebuild') {
  const initSeconds = await timedInit();
  const phases = initStats();
  const timings = scr.restoreStats();
  const name = await scr.haveRestart();
  let ok = false;
  if (name) {
    await scr.startRestart();
    const want = patternBuffer(w.rank, bytes);
    setHeader(want, w.rank, rounds);
    try { ok = sameBytes(scr.routeFile(ckptPath()), want); } catch { ok = false; }
    await scr.completeRestart(ok);
  }
  const good = await w.allreduce(Int32Array.of(ok ? 1 : 0), 'SUM');
  await scr.finalize();
  if (w.rank === 0) {
    console.log(JSON.stringify({ mode, loadSeconds, mpiInitSeconds, initSeconds, initStats: phases, restored: name, ranksVerified: good[0], ranks: w.size, timings }));
  }
} else {
  // The application: its buffer, filled, and one raw write (the raw-only part) before any scr call.
  const data = patternBuffer(w.rank, bytes);
  const rawDir = join(process.env.SCR_CACHE_BASE!, 'bench-raw');
  mkdirSync(rawDir, { recursive: true });
  const rawPath = (i: number) => join(rawDir, `rank_${w.rank}.${i}.raw`);
  setHeader(data, w.rank, 0);
  writeBlocking(rawPath(0), data);
  await w.barrier();
  const appRssKiB = maxRssKiB();
  const initSeconds = await timedInit();
  const { parseValue } = await import('../src/config/values.js');
  const bufBytes = parseValue(scr.config('SCR_MPI_BUF_SIZE')!, { type: 'bytes' }) as number;

  const raw: number[] = [];
  const ckpt: number[] = [];
  const phases: Array<[number, number, number]> = [];
  const protect: number[] = [];
  // CPU seconds (user + system, every thread of the process: JS, MPI progress, libuv pool) this
  // rank spent inside completeOutput, per timed round: the whole job's sum over the wall time
  // says how many of the machine's cores the step kept busy.
  const cpu: number[] = [];
  let lastCpu = 0;
  const rawRound = async (i: number) => {
    setHeader(data, w.rank, i);
    await w.barrier();
    const t0 = performance.now();
    unlinkIfThere(rawPath(i - 1));
    writeBlocking(rawPath(i), data);
    await w.barrier(); // every rank's bytes are on storage, as completeOutput's agreement implies
    return since(t0);
  };
  const ckptRound = async (i: number) => {
    setHeader(data, w.rank, i);
    await w.barrier();
    const t0 = performance.now();
    await scr.startOutput(`ckpt.${i}`, scr.FLAG_CHECKPOINT);
    const t1 = performance.now();
    writeBlocking(scr.routeFile(ckptPath()), data);
    const t2 = performance.now();
    const c0 = process.cpuUsage();
    if (!(await scr.completeOutput(true))) throw new Error(`checkpoint ${i} was not valid`);
    const t3 = performance.now();
    const c1 = process.cpuUsage(c0);
    lastCpu = (c1.user + c1.system) / 1e6;
    return { s: (t3 - t0) / 1000, phases: [(t1 - t0) / 1000, (t2 - t1) / 1000, (t3 - t2) / 1000] as [number, number, number] };
  };
  await ckptRound(0); // untimed
  for (let i = 1; i <= rounds; i++) {
    let r: number;
    let c: Awaited<ReturnType<typeof ckptRound>>;
    if (i % 2) { r = await rawRound(i); c = await ckptRound(i); } else { c = await ckptRound(i); r = await rawRound(i); }
    raw.push(r); ckpt.push(c.s); phases.push(c.phases); protect.push(scr.lastOutputStats()?.protectSeconds ?? NaN); cpu.push(lastCpu);
  }
  unlinkIfThere(rawPath(rounds));
  await scr.finalize();
  const rss = await w.gatherObject([appRssKiB, maxRssKiB()], 0);
  const cpuAll = (await w.gatherObject(cpu, 0)) as number[][] | null;
  if (w.rank === 0) {
    // Per round: the sum over ranks of completeOutput's CPU seconds.
    const completeCpu = cpu.map((_, x) => cpuAll!.reduce((a, r) => a + r[x]!, 0));
    console.log(JSON.stringify({ mode, loadSeconds, mpiInitSeconds, initSeconds, ranks: w.size, bytesPerRank: bytes, bufBytes, raw, ckpt, phases, protect, completeCpu, rssKiB: rss }));
  }
}
