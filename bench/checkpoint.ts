// npm run bench:checkpoint [-- --workload default|test-api --mib 256 --rounds 5 --flavour openmpi]
//   test-api only: [--only SINGLE,PARTNER,XOR,RS] [--lose n1[,n2…]] (nodes lost before the relaunch)
//                  [--set KEY=VALUE[,KEY=VALUE…]] (configuration added to every row, e.g. SCR_MPI_BUF_SIZE=4MB)
//   default:  bench/checkpoint-default.ts (SCR_CACHE_SIZE=2, simulated nodes sharing /dev/shm).
//   test-api: LLNL SCR's examples/test_api workload on 4 simulated nodes with private storage each
//             (bench/test-api*.ts): every scheme with SCR_CRC_ON_COPY=0 and =1 against the raw
//             write of the same bytes measured in the same job, a lost node's rebuild for PARTNER,
//             XOR and RS, and the targets of issue 13 with PASS/FAIL. Exits 1 when a rebuild did
//             not give every rank back the bytes of the newest checkpoint.
import type { MpiFlavour } from '../src/native/paths.js';
import type { Scheme } from './test-api.js';

const arg = (n: string, d: string) => { const i = process.argv.indexOf(`--${n}`); return i >= 0 ? process.argv[i + 1]! : d; };
const workload = arg('workload', 'default');

if (workload === 'default') {
  await import('./checkpoint-default.js');
} else if (workload === 'test-api') {
  const { runTestApi } = await import('./test-api.js');
  const { report, rowLine } = await import('./test-api-report.js');
  const mib = Number(arg('mib', '256'));
  const rounds = Number(arg('rounds', '5'));
  const flavour = arg('flavour', 'openmpi') as MpiFlavour;
  if (!(mib > 0) || !(rounds >= 1)) throw new Error('--mib and --rounds must be positive');
  const t0 = performance.now();
  console.log(`bench:checkpoint --workload test-api — ${flavour}, 4 ranks on 4 simulated nodes with private storage, ${mib} MiB (+ rank bytes) per rank, SCR_CACHE_SIZE=1, 1 untimed + ${rounds} timed rounds, ${new Date().toISOString()}`);
  console.log('checkpoint time = rank 0 wall time from before startOutput to after completeOutput; raw write = the same bytes, blocking writes + fsync, same node-private file system, previous file deleted, until every rank is done');
  const lose = arg('lose', 'n1').split(',');
  const onlyArg = arg('only', '');
  const only = onlyArg ? (onlyArg.split(',') as Scheme[]) : null;
  const setArg = arg('set', '');
  const set = Object.fromEntries(setArg ? setArg.split(',').map((kv) => {
    const at = kv.indexOf('=');
    if (at <= 0 || !kv.startsWith('SCR_')) throw new Error(`--set ${kv}: give SCR_KEY=VALUE pairs separated by commas`);
    return [kv.slice(0, at), kv.slice(at + 1)];
  }) : []);
  if (setArg) console.log(`every row also has: ${setArg}`);
  const rows = await runTestApi({ flavour, mib, rounds, lose, only, set }, (r) => console.log(rowLine(r)));
  const broken = report(rows);
  console.log(`\nwhole bench: ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  if (broken) {
    console.error(`\nBROKEN: ${broken} rebuild(s) did not give every rank back the bytes of the newest checkpoint (see FAIL lines above)`);
    process.exitCode = 1;
  }
} else {
  throw new Error(`--workload ${workload}: use default or test-api`);
}
