#!/usr/bin/env node
// `npm run demo`: the README's main job. A heat diffusion (examples/heat.ts) runs under `scr sim` on
// four simulated nodes with a spare, XOR redundancy and a checkpoint every 10 steps. Node n1 fails
// after its 3rd checkpoint; the run loop relaunches the job with n1's rank on the spare, which
// rebuilds n1's files from redundancy and resumes; the job finishes; postrun scavenges the newest
// checkpoint to the file system. The answer is compared with a run without a failure. Last,
// `scr report` says what the checkpoints cost and how often to take them, and writes its page with
// plots to scr-demo-report.html (in the current directory).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const scrBin = join(root, 'dist', 'src', 'cli', 'main.js');
const app = ['node', join(root, 'dist', 'examples', 'heat.js'), '--steps', '60', '--every', '10', '--cells', '500000', '--step-ms', '20'];
const work = mkdtempSync(join('/dev/shm', 'scr-demo-'));

function sim(title, job, extra) {
  console.log(`\n== ${title}\n$ scr sim --nodes 4 --ppn 1 --spares 1 ${extra.join(' ')} -- node dist/examples/heat.js …`);
  const env = { ...process.env, SCR_PREFIX: join(work, job, 'prefix'), SCR_CACHE_BASE: join(work, job, 'cache'), SCR_CNTL_BASE: join(work, job, 'cntl'),
    SCR_JOB_ID: job, SCR_COPY_TYPE: 'XOR', SCR_FLUSH: '0', SCR_SYSTEM_CONF: '/dev/null' };
  mkdirSync(env.SCR_PREFIX, { recursive: true });
  const r = spawnSync(process.execPath, [scrBin, 'sim', '--nodes', '4', '--ppn', '1', '--spares', '1', ...extra, '--', ...app], { env, encoding: 'utf8', timeout: 300_000 });
  const lines = `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => l && !/^-+$|Primary job|non-zero exit code|Per user-direction|mpirun.* noticed/.test(l));
  for (const l of lines) console.log(`   ${l}`);
  if (r.status !== 0) throw new Error(`${title}: scr sim exited ${r.status}`);
  const result = lines.map((l) => l.trim()).filter((l) => l.startsWith('{')).map((l) => JSON.parse(l)).pop();
  const index = spawnSync(process.execPath, [scrBin, 'index', '--json', '--prefix', env.SCR_PREFIX], { encoding: 'utf8' });
  return { ...result, index: JSON.parse(index.stdout).datasets, text: lines.join('\n'), prefix: env.SCR_PREFIX };
}

/** scr report on the job's prefix (SCR_MTBF: the demo has one failure, fewer than the two the
 * advice needs to measure a rate, so it assumes one an hour); its page goes to `html`. */
function report(prefix, html) {
  console.log(`\n== what the checkpoints cost, and how often to take them\n$ SCR_MTBF=3600 scr report --html ${html}`);
  const r = spawnSync(process.execPath, [scrBin, 'report', '--prefix', prefix, '--html', html], { env: { ...process.env, SCR_MTBF: '3600', SCR_SYSTEM_CONF: '/dev/null' }, encoding: 'utf8' });
  for (const l of `${r.stdout}${r.stderr}`.split('\n').filter(Boolean)) console.log(`   ${l}`);
  return r.status === 0;
}

let ok = false;
try {
  console.log('scr demo: 1-D heat diffusion on 4 simulated nodes + 1 spare, XOR redundancy, a checkpoint every 10 steps');
  const failed = sim('with a node failure', 'demo', ['--fail', 'node=n1,after=3']);
  const clean = sim('reference: the same job without a failure', 'ref', []);
  const drained = failed.index.find((d) => d.current);
  ok = /node n1 fails/.test(failed.text) && /rebuilt dataset heat\.30/.test(failed.text) && failed.step === 60 && failed.checksum === clean.checksum && drained?.flushed;
  console.log('\nstory:');
  console.log('  1. run 1 on n0,n1,n2,n3 wrote checkpoints heat.10, heat.20, heat.30 (XOR across the nodes);');
  console.log('  2. n1 failed after its 3rd checkpoint: its rank was killed and its cache and control directories deleted;');
  console.log('  3. scr sim relaunched the job on n0,n4,n2,n3; n4 (the spare) rebuilt rank 1\'s files from XOR redundancy;');
  console.log(`  4. the job restarted from heat.30 and finished at step ${failed.step};`);
  console.log(`  5. postrun drained the newest checkpoint, ${drained?.name}, to the file system (index: flushed=${drained?.flushed}, current).`);
  console.log(`proof: checksum with the failure ${failed.checksum}, without ${clean.checksum}: ${failed.checksum === clean.checksum ? 'identical' : 'DIFFERENT'}`);
  const html = 'scr-demo-report.html';
  ok = report(failed.prefix, html) && ok;
  console.log(`\nopen ${html} in a browser for the plots: the timeline of runs, checkpoints, flushes and the failure; the cost of each checkpoint; the bandwidth per level.`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = ok ? 0 : 1;
