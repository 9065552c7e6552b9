// The package as a user gets it (docs/getting-started.md): `npm pack` of this repository, `npm
// install` of the tarball into a fresh application directory outside the repository (the native
// kernels and MPI bindings are built at install), the getting-started example compiled with the
// application's own TypeScript, and a 2-rank checkpoint and restart with a node failure run with
// the installed package's `scr` bin. One pack, one install, one run.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nativeBuildCommand } from '../../src/native/paths.js';
import { killByEnv } from '../../src/rm/sim.js';
import { cleanup, newSimJob, type SimJob } from '../harness/sim.js';
import { skipBecause } from '../harness/skip.js';

const repo = join(fileURLToPath(import.meta.url), '..', '..', '..', '..');
const example = join(repo, 'examples', 'getting-started');
const NAME = '@scr-hpc/scr';

interface Run { code: number | null; out: string; stdout: string; ms: number }

/** The environment a user's shell would have: no npm_* variables of the `npm test` around us, and
 *  no PATH entry into this repository (its node_modules/.bin). */
function userEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^npm_/i.test(k) || k === 'INIT_CWD') continue;
    env[k] = v;
  }
  env.PATH = (env.PATH ?? '').split(delimiter).filter((d) => d && !d.startsWith(repo + sep) && d !== repo).join(delimiter);
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number, extra: Record<string, string> = {}): Promise<Run> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: userEnv(extra), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      out += `\n[killed after ${timeoutMs / 1000} s]`;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* gone */ }
      if (extra.SCR_JOB_ID) killByEnv([`SCR_JOB_ID=${extra.SCR_JOB_ID}`]);
    }, timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out, stdout, ms: Date.now() - t0 }); });
  });
}

/** The fenced blocks of a markdown file with the given info string. */
function blocks(md: string, lang: string): string[] {
  const re = new RegExp('^```' + lang + '\\n([\\s\\S]*?)^```$', 'gm');
  return [...md.matchAll(re)].map((m) => m[1]!);
}

/** What examples/getting-started/app.ts computes: each rank's number after `steps` steps, summed. */
function expectedResult(ranks: number, steps: number): bigint {
  const p = 2147483647n;
  let sum = 0n;
  for (let r = 0; r < ranks; r++) {
    let x = BigInt(r + 1);
    for (let i = 0; i < steps; i++) x = (x * 48271n) % p;
    sum += x;
  }
  return sum;
}

describe('the package, installed into an application (docs/getting-started.md)', function () {
  it('docs/getting-started.md shows examples/getting-started/app.ts and tsconfig.json exactly', () => {
    const md = readFileSync(join(repo, 'docs', 'getting-started.md'), 'utf8');
    assert.ok(blocks(md, 'ts').includes(readFileSync(join(example, 'app.ts'), 'utf8')), 'the ```ts block differs from examples/getting-started/app.ts');
    assert.ok(blocks(md, 'json').includes(readFileSync(join(example, 'tsconfig.json'), 'utf8')), 'the ```json block differs from examples/getting-started/tsconfig.json');
  });

  it('names the rebuild command that works where the package is', () => {
    assert.equal(nativeBuildCommand('/home/me/scr'), 'npm run build:native');
    assert.equal(nativeBuildCommand(join('/home/me/app', 'node_modules', '@scr-hpc', 'scr')), `npm rebuild ${NAME}`);
  });

  describe('npm pack, npm install of the tarball, compile, scr sim with a node failure', function () {
    this.timeout(300_000);
    let tmp = '';
    let app = '';
    let job: SimJob | undefined;
    let installed = false;

    before(() => {
      tmp = mkdtempSync(join(tmpdir(), 'scr-pkg-'));
      app = join(tmp, 'myapp');
      mkdirSync(app);
    });
    after(() => {
      if (job) cleanup(job);
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it('packs, and installs into a fresh directory that cannot see this repository, building the native modules', async () => {
      assert.ok(!tmp.startsWith(repo), `${tmp} is inside the repository`);
      const req = createRequire(join(app, 'index.js'));
      assert.throws(() => req.resolve(NAME), /Cannot find module/, `${NAME} resolves from ${app} before it is installed`);
      assert.throws(() => req.resolve('mocha'), /Cannot find module/, `${app} sees the repository's node_modules`);

      // The tarball holds dist/ as npm test compiled it (--ignore-scripts: prepare would compile
      // again into this tree while tests run from it).
      const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], repo, 60_000);
      assert.equal(pack.code, 0, pack.out);
      const files = (JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
      const paths = files.files.map((f) => f.path);
      for (const p of ['dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/cli/main.js', 'CMakeLists.txt', 'scripts/build-native.mjs',
        'scripts/install-native.mjs', 'native/kernels/addon.cc', 'native/mpi/addon.cc', 'examples/sbatch-scr.sh', 'examples/getting-started/app.ts']) {
        assert.ok(paths.includes(p), `the tarball lacks ${p}`);
      }
      assert.deepEqual(paths.filter((p) => /^(build|dist\/test|node_modules|test)\//.test(p)), [], 'the tarball holds build output or tests');

      for (const [cmd, args] of [['npm', ['init', '-y']], ['npm', ['pkg', 'set', 'type=module']]] as const) {
        const r = await run(cmd, [...args], app, 30_000);
        assert.equal(r.code, 0, r.out);
      }
      const install = await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(tmp, files.filename)], app, 240_000);
      console.log(`      npm install of the tarball (native build included): ${(install.ms / 1000).toFixed(1)} s`);
      assert.equal(install.code, 0, install.out);

      const pkg = join(app, 'node_modules', '@scr-hpc', 'scr');
      assert.equal(req.resolve(NAME), join(pkg, 'dist', 'src', 'index.js'));
      assert.ok(existsSync(join(pkg, 'build', 'kernels', 'Release', 'scr_kernels.node')), 'no kernels built at install');
      // One binding per MPI this machine has (scripts/build-native.mjs looks for these wrappers).
      const which = (c: string) => process.env.PATH!.split(delimiter).some((d) => existsSync(join(d, c)));
      const want = ['mpich', 'openmpi'].filter((f) => which(`mpicc.${f}`)).sort();
      assert.ok(want.length > 0, 'this machine has no mpicc.openmpi or mpicc.mpich (scripts/setup installs them)');
      const built = readdirSync(join(pkg, 'build')).filter((d) => d.startsWith('mpi-') && existsSync(join(pkg, 'build', d, 'Release', 'scr_mpi.node')));
      assert.deepEqual(built.map((d) => d.slice(4)).sort(), want);
      installed = true;
    });

    it('compiles the getting-started example and restarts it from its checkpoint after losing a node', async function () {
      if (!installed) skipBecause(this, 'the install above failed and said why');
      copyFileSync(join(example, 'app.ts'), join(app, 'app.ts'));
      copyFileSync(join(example, 'tsconfig.json'), join(app, 'tsconfig.json'));
      const dev = await run('npm', ['install', '--save-dev', '--no-audit', '--no-fund', '--prefer-offline', 'typescript', '@types/node'], app, 120_000);
      assert.equal(dev.code, 0, dev.out);
      const tsc = await run('npx', ['tsc'], app, 60_000);
      assert.equal(tsc.code, 0, tsc.out);
      assert.ok(existsSync(join(app, 'app.js')));

      job = newSimJob('pkg');
      mkdirSync(job.prefix, { recursive: true });
      const sim = await run('npx', ['scr', 'sim', '--nodes', '2', '--ppn', '1', '--spares', '1', '--fail', 'node=n1,after=2', '--', 'node', 'app.js'],
        app, 120_000, { ...job.env, SCR_CHECKPOINT_INTERVAL: '10' });
      assert.equal(sim.code, 0, sim.out);
      assert.match(sim.out, /node n1 fails after its 2nd checkpoint/);
      assert.match(sim.out, /run 2 of at most 2 on n0,n2 \(moved: n1→n2\)/);
      assert.match(sim.out, /rebuilt dataset ckpt\.20: files of rank\(s\) 1 restored from XOR redundancy/);
      assert.match(sim.out, /^restarted from ckpt\.20 at step 20$/m);
      // The same answer as a run without a failure.
      assert.match(sim.out, new RegExp(`^step 40, result ${expectedResult(2, 40)}$`, 'm'));

      const index = await run('npx', ['scr_index', '--list', job.prefix], app, 30_000);
      assert.equal(index.code, 0, index.out);
      assert.match(index.out, /^\d+\s+ckpt\.40\s+C\s+yes\s+yes\s+no\s+\*/m);
    });
  });
});
