#!/usr/bin/env node
// The test command (`npm test`): compiles the TypeScript, runs the unit tests, the batch-job tests
// on a real Slurm started for them (test/slurm) and on a real Grid Engine started for them
// (test/sge: skipped, saying why, where gridengine is not installed), the fault-injection suite
// (test/faults: whole jobs on simulated nodes with private storage), then the MPI tests under
// mpirun at 1, 2 and 4 ranks with Open MPI and at 2 and 4 ranks with MPICH. Any failing or silent
// rank fails the run and is named. Ends with one line: "scr: N passed, N failed".
// Options: --unit, --slurm, --sge, --mpi, --faults (only those parts), --flavour openmpi|mpich, --np N,
//          --grep PATTERN, --no-build, --run-timeout SECONDS (per mpirun, default 600; the unit, Slurm and SGE groups get at least
//          30 minutes and the faults run at least an hour)
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { removeOrphanSegments } from './shm-orphans.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const opt = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const has = (name) => argv.includes(name);
const mochaBin = join(root, 'node_modules', 'mocha', 'bin', 'mocha.js');
const reporter = join(root, 'test', 'harness', 'reporter.cjs');
const reportDir = mkdtempSync(join(tmpdir(), 'scr-test-reports-'));
const color = process.stdout.isTTY ? '--color' : '--no-color';
const runTimeout = Number(opt('--run-timeout') ?? 600) * 1000;
// Whole-suite groups (unit, slurm, faults) hold many tests, each with its own mocha timeout that
// catches a hang; their group limit is only a backstop, so it is generous (a busy machine is slow).
const suiteTimeout = (minMs) => (opt('--run-timeout') ? runTimeout : Math.max(runTimeout, minMs));

const MATRIX = { openmpi: [1, 2, 4], mpich: [2, 4] };
const LAUNCHER = {
  openmpi: { cmd: 'mpirun.openmpi', env: { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', OMPI_MCA_rmaps_base_oversubscribe: '1' } },
  mpich: { cmd: 'mpirun.mpich', env: {} },
};

function listTests(dir) {
  const full = join(root, 'dist', 'test', dir);
  if (!existsSync(full)) return [];
  return readdirSync(full, { recursive: true }).filter((f) => String(f).endsWith('.test.js')).sort().map((f) => join(full, String(f)));
}

/** Runs a test process; with `capture`, its output is kept (both streams, in order) and returned
 * as `output` instead of going to the terminal, so a group that runs beside another can print
 * after it. */
function run(cmd, args, env, timeoutMs, capture = false) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: capture ? ['ignore', 'pipe', 'pipe'] : 'inherit', detached: true });
    const chunks = [];
    if (capture) for (const s of [child.stdout, child.stderr]) s.on('data', (d) => chunks.push(d));
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; try { process.kill(-child.pid, 'SIGKILL'); } catch {} }, timeoutMs);
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, timedOut, output: Buffer.concat(chunks).toString() }); });
    child.on('error', (e) => { clearTimeout(timer); resolve({ code: 127, signal: null, timedOut: false, error: e, output: Buffer.concat(chunks).toString() }); });
  });
}

function readReports(label) {
  const out = new Map();
  for (const f of readdirSync(reportDir)) {
    const m = f.match(/^(.*)\.rank(\d+)\.json$/);
    if (m && m[1] === label) out.set(Number(m[2]), JSON.parse(readFileSync(join(reportDir, f), 'utf8')));
  }
  return out;
}

// Turns one run's rank reports into counts and messages naming failing or silent ranks.
function summarise(label, np, result) {
  const reports = readReports(label);
  const failedTitles = new Map();
  const problems = [];
  for (let r = 0; r < np; r++) {
    const rep = reports.get(r);
    if (!rep) { problems.push(`rank ${r} wrote no report (killed by another rank's abort, crashed or hung)`); continue; }
    for (const f of rep.failed) {
      if (!failedTitles.has(f.title)) failedTitles.set(f.title, []);
      failedTitles.get(f.title).push(r);
    }
    if (!rep.ended && rep.failed.length === 0) problems.push(`rank ${r} did not finish`);
  }
  const r0 = reports.get(0);
  const total = r0 ? r0.passes + r0.failures : 0;
  let failed = failedTitles.size;
  if (result.timedOut) problems.push(`the run was killed after ${runTimeout / 1000} s`);
  else if (result.code !== 0 && failed === 0) problems.push(`the launcher exited with ${result.code ?? result.signal}`);
  if (failed === 0 && problems.length > 0) failed = 1;
  const passed = Math.max(0, (r0?.ended ? total : r0?.passes ?? 0) - failedTitles.size);
  const lines = [...failedTitles].map(([t, ranks]) => `FAILED on rank${ranks.length > 1 ? 's' : ''} ${ranks.join(',')}: ${t}`);
  return { label, passed, failed, lines: [...lines, ...problems] };
}

async function main() {
  const started = Date.now();
  if (!has('--no-build')) {
    const tsc = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
    if (tsc.status !== 0) { console.log('scr: 0 passed, 1 failed'); process.exit(1); }
  }
  const grep = opt('--grep') ? ['--grep', opt('--grep')] : [];
  const results = [];
  const only = ['--unit', '--slurm', '--sge', '--mpi', '--faults'].filter(has);
  const part = (p) => only.length === 0 || only.includes(`--${p}`);
  if (part('unit')) {
    const label = 'unit';
    console.log(`\n=== unit tests ===`);
    const res = await run(process.execPath, [mochaBin, color, '--reporter', reporter, '--timeout', '60000', ...grep, ...listTests('unit')],
      { SCRTEST_REPORT_DIR: reportDir, SCRTEST_LABEL: label }, suiteTimeout(1800_000));
    results.push(summarise(label, 1, res));
  }
  if (part('slurm') && listTests('slurm').length) {
    const label = 'slurm';
    console.log(`\n=== batch jobs on Slurm ===`);
    const res = await run(process.execPath, [mochaBin, color, '--reporter', reporter, '--timeout', '300000', ...grep, ...listTests('slurm')],
      { SCRTEST_REPORT_DIR: reportDir, SCRTEST_LABEL: label }, suiteTimeout(1800_000));
    results.push(summarise(label, 1, res));
  }
  // The Grid Engine group mostly waits on its daemons (job starts, scheduling, time limits), so it
  // runs beside the fault-injection suite, its output printed after the suite's. Not beside Slurm's
  // group: its cancel tests must finish within Slurm's KillWait, and did not under the extra load.
  // Grid Engine's daemons live in network namespaces of their own and share nothing with the suite.
  const beside = part('faults') && listTests('faults').length > 0;
  if (part('sge') && listTests('sge').length && !beside) console.log(`\n=== batch jobs on Grid Engine ===`);
  const sge = part('sge') && listTests('sge').length
    ? run(process.execPath, [mochaBin, color, '--reporter', reporter, '--timeout', '300000', ...grep, ...listTests('sge')],
      { SCRTEST_REPORT_DIR: reportDir, SCRTEST_LABEL: 'sge' }, suiteTimeout(1800_000), beside)
    : null;
  if (part('faults') && listTests('faults').length) {
    // Many whole jobs in one mocha process: each batch of cases is two launches, so the run and
    // each test get generous limits (every launch also has its own, test/harness/nodes.ts).
    const label = 'faults';
    const limit = suiteTimeout(3600_000);
    console.log(`\n=== fault injection on private nodes ===`);
    const res = await run(process.execPath, [mochaBin, color, '--reporter', reporter, '--timeout', '900000', ...grep, ...listTests('faults')],
      { SCRTEST_REPORT_DIR: reportDir, SCRTEST_LABEL: label }, limit);
    const sum = summarise(label, 1, res);
    if (res.timedOut) sum.lines = sum.lines.map((l) => (l.startsWith('the run was killed') ? `the run was killed after ${limit / 1000} s` : l));
    results.push(sum);
  }
  if (sge) {
    const label = 'sge';
    if (beside) console.log(`\n=== batch jobs on Grid Engine (run beside the fault-injection suite) ===`);
    const res = await sge;
    if (res.output) process.stdout.write(res.output);
    results.push(summarise(label, 1, res));
  }
  if (part('mpi')) {
    const mpiTests = listTests('mpi');
    const hooks = join(root, 'dist', 'test', 'harness', 'mpi-hooks.js');
    for (const [flavour, nps] of Object.entries(MATRIX)) {
      if (opt('--flavour') && opt('--flavour') !== flavour) continue;
      if (!existsSync(join(root, 'build', `mpi-${flavour}`, 'Release', 'scr_mpi.node'))) {
        results.push({ label: `${flavour}`, passed: 0, failed: 1, lines: [`the ${flavour} binding is not built: run scripts/setup`] });
        continue;
      }
      for (const np of nps) {
        if (opt('--np') && Number(opt('--np')) !== np) continue;
        const label = `${flavour}-np${np}`;
        console.log(`\n=== MPI tests: ${flavour}, ${np} rank${np > 1 ? 's' : ''} ===`);
        const { cmd, env } = LAUNCHER[flavour];
        const res = await run(cmd, ['-np', String(np), process.execPath, mochaBin, color, '--require', hooks, '--reporter', reporter,
          '--timeout', '60000', ...grep, ...mpiTests], { ...env, SCRTEST_REPORT_DIR: reportDir, SCRTEST_LABEL: label }, runTimeout);
        results.push(summarise(label, np, res));
      }
    }
  }
  // A straggling rank of a killed job may still write its report: retry, and never fail on it.
  try { rmSync(reportDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }); } catch { /* left in the temp dir */ }
  const segments = removeOrphanSegments(started - 1000);
  if (segments) console.log(`\nremoved ${segments} shared-memory segment file(s) that killed Open MPI ranks left in /dev/shm`);
  console.log('\n=== summary ===');
  let passed = 0;
  let failed = 0;
  for (const r of results) {
    console.log(`${r.label.padEnd(14)} ${r.passed} passed, ${r.failed} failed`);
    for (const l of r.lines) console.log(`    ${l}`);
    passed += r.passed;
    failed += r.failed;
  }
  console.log(`scr: ${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main();
