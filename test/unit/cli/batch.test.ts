// The batch-script commands outside an allocation (what they say and do there), the run wrapper's
// halts on the simulated cluster (signals, halt --immediate), and the SCR-style names in `bin`.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHalt } from '../../../src/halt/index.js';
import { commandFromProgramName } from '../../../src/cli/run.js';
import { COMMANDS } from '../../../src/cli/commands/index.js';
import { cleanEnv, SCR_BIN, scr } from '../../harness/cli.js';
import { skipBecause } from '../../harness/skip.js';

const root = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..');
const heat = join(root, 'dist', 'examples', 'heat.js');

describe('batch-script commands', function () {
  this.timeout(120_000);
  let dir: string;
  const env = (extra: Record<string, string> = {}) => cleanEnv({ SCR_PREFIX: join(dir, 'p'), SCR_CACHE_BASE: join(dir, 'c'), SCR_CNTL_BASE: join(dir, 'k'),
    SCR_SYSTEM_CONF: '/dev/null', SCR_COPY_TYPE: 'XOR', SCR_FLUSH: '0', SCR_JOB_ID: `bt${process.pid}`, SCR_NODE_NAME: 'here', ...extra });
  beforeEach(() => { dir = mkdtempSync('/dev/shm/scr-batchtest-'); mkdirSync(join(dir, 'p')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('srun, run and list-down-nodes outside an allocation exit 2 and say where to run them', () => {
    let r = scr(['srun', '-n', '2', 'true'], { env: env(), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^scr srun: scr srun runs inside an allocation: SLURM_JOB_ID and SLURM_JOB_NODELIST are not set, nor those of another resource manager \(.*hostfile: SCR_HOSTFILE.*\)$/m);
    assert.match(r.stderr, /^hint: .*interactive allocation.*scr sim/m);
    r = scr(['run', 'mpirun', '-np', '2', 'true'], { env: env(), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /scr run runs inside an allocation/);
    r = scr(['run', 'aprun', '-n', '2', 'true'], { env: env(), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown launcher "aprun": scr run takes srun or mpirun/);
    r = scr(['srun', '-n', '2'], { env: env(), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no application after the srun options/);
    r = scr(['list-down-nodes'], { env: env(), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not inside an allocation/);
  });

  it('prerun outside an allocation checks this node and prepares <prefix>/.scr; --this-node prints JSON; too little space is exit 1', () => {
    let r = scr(['prerun'], { env: env(), cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^scr prerun: here: ok \(cache .*node\.here .* GiB free\)$/m);
    assert.match(r.stdout, /1 of 1 node\(s\) usable: here; .*\.scr ready/);
    assert.ok(existsSync(join(dir, 'p', '.scr')));
    r = scr(['prerun', '--this-node'], { env: env(), cwd: dir });
    assert.equal(r.code, 0);
    const one = JSON.parse(r.stdout);
    assert.equal(one.node, 'here');
    assert.deepEqual(one.dirs.map((d: { kind: string }) => d.kind), ['control', 'cache']);
    r = scr(['prerun', '--json'], { env: env({ SCR_CACHE_NEED: '1000TiB' }), cwd: dir });
    assert.equal(r.code, 1);
    assert.match(JSON.parse(r.stdout).bad.here, /^cache .*: only .* free, SCR_CACHE_NEED is 1000\.0 TiB$/);
    r = scr(['prerun', '--prefix', join(dir, 'missing')], { env: env(), cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the prefix directory .*missing does not exist/);
  });

  it('env outside an allocation: this node, no resource manager; single fields for scripts', () => {
    let r = scr(['env', '--json'], { env: env({ SCR_END_TIME: '1900000000' }), cwd: dir });
    assert.equal(r.code, 0);
    const e = JSON.parse(r.stdout);
    assert.equal(e.rm, 'none');
    assert.equal(e.nodes, 'here');
    assert.equal(e.runnodes, 'here');
    assert.equal(e.endtime, 1900000000);
    assert.equal(e.jobid, `bt${process.pid}`);
    r = scr(['env', '--jobid', '--nodes'], { env: env(), cwd: dir });
    assert.equal(r.stdout, `bt${process.pid}\nhere\n`);
    r = scr(['env'], { env: env(), cwd: dir });
    assert.match(r.stdout, /^prefix: .*\/p$/m);
  });

  /** Starts `scr sim` in the background; resolves its output and exit code when it ends. */
  function simAsync(args: string[], e: Record<string, string>) {
    const child = spawn(process.execPath, [SCR_BIN, 'sim', ...args], { env: e, cwd: dir });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const done = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
    const until = async (re: RegExp, ms = 60_000) => {
      const end = Date.now() + ms;
      while (!re.test(out)) {
        if (Date.now() > end) throw new Error(`no ${re} in:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    return { child, done, until, out: () => out };
  }

  it('SIGUSR1 to the wrapper halts the job: it checkpoints and exits cleanly, is scavenged, and the halt reason is removed', async () => {
    const s = simAsync(['--nodes', '2', '--ppn', '1', '--', 'node', heat, '--steps', '100000', '--every', '5', '--cells', '1000', '--step-ms', '50'], env());
    await s.until(/run 1 of/);
    await new Promise((r) => setTimeout(r, 1500));
    s.child.kill('SIGUSR1');
    assert.equal(await s.done, 1, s.out());
    const halted = /heat: halting at step (\d+) as scr asked/.exec(s.out());
    assert.ok(halted, s.out());
    assert.match(s.out(), /halting the job: SIGUSR1 from the scheduler: the allocation is ending/);
    assert.match(s.out(), /stopping: halt requested: SIGUSR1/);
    assert.match(s.out(), new RegExp(`postrun: scavenged heat\\.${halted[1]}: copied rank\\(s\\) 0,1`));
    const h = await readHalt(join(dir, 'p'));
    assert.equal(h.reason, undefined, 'the wrapper took its own halt reason back');
    assert.equal(h.finalized, undefined, 'a halted job did not finish');
  });

  it('scr halt --immediate ends a run that never checks, within seconds; a user\'s reason stays', async () => {
    const s = simAsync(['--nodes', '1', '--ppn', '1', '--', 'sleep', '300'], env());
    await s.until(/run 1 of/);
    await new Promise((r) => setTimeout(r, 1000));
    const t0 = Date.now();
    const h = scr(['halt', '--immediate', '--reason', 'maintenance'], { env: env(), cwd: dir });
    assert.equal(h.code, 0, h.stderr);
    assert.equal(await s.done, 1);
    assert.ok(Date.now() - t0 < 15_000, `took ${Date.now() - t0} ms`);
    assert.match(s.out(), /scr halt --immediate: ending the running step/);
    assert.match(s.out(), /stopping: halt requested: maintenance/);
    assert.equal((await readHalt(join(dir, 'p'))).reason, 'maintenance');
  });

  it('on a terminal the scavenge shows a progress bar; in a pipe it does not', function () {
    if (spawnSync('sh', ['-c', 'command -v script']).status !== 0) skipBecause(this, 'util-linux, in every Debian');
    const args = ['sim', '--nodes', '2', '--ppn', '1', '--', 'node', heat, '--steps', '10', '--every', '5', '--cells', '1000'];
    const tty = spawnSync('script', ['-qec', [process.execPath, SCR_BIN, ...args].join(' '), '/dev/null'], { env: env(), cwd: dir, encoding: 'utf8', timeout: 60_000 });
    assert.equal(tty.status, 0, tty.stdout);
    assert.match(tty.stdout, /scavenging heat\.10 \[.*\] \d\/2 node\(s\)/);
    assert.match(tty.stdout, /postrun: scavenged heat\.10/);
    rmSync(join(dir, 'p', '.scr'), { recursive: true, force: true });
    const pipe = scr(args, { env: { ...env(), SCR_JOB_ID: `bt${process.pid}b` }, cwd: dir });
    assert.equal(pipe.code, 0, pipe.stderr);
    assert.match(pipe.stdout, /postrun: scavenged heat\.10/);
    assert.doesNotMatch(pipe.stdout, /scavenging heat/);
  });

  it('every SCR-style name in package.json bin runs an existing command', () => {
    const bin = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).bin as Record<string, string>;
    const names = new Set(COMMANDS.map((c) => c.name));
    for (const alias of Object.keys(bin).filter((b) => b !== 'scr')) {
      assert.ok(names.has(commandFromProgramName(alias)!), `${alias} names no command`);
    }
    for (const want of ['scr_prerun', 'scr_srun', 'scr_run', 'scr_postrun', 'scr_halt', 'scr_index', 'scr_list_down_nodes', 'scr_env']) assert.ok(bin[want], want);
    // As npm links them: a link named scr_srun to the same file runs scr srun.
    symlinkSync(SCR_BIN, join(dir, 'scr_srun'));
    const r = scr(['-n', '2', 'true'], { env: env(), cwd: dir, bin: join(dir, 'scr_srun') });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^scr srun: scr srun runs inside an allocation/m);
  });
});
