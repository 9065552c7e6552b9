// The resource-manager layer without a cluster: launcher command lines, Slurm's outputs, remote
// execution templates (with real pdsh and clush in their local `-R exec` mode), prerun's bad-node
// record and the node check.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkNode } from '../../src/cache/check.js';
import { loadConfig } from '../../src/config/resolve.js';
import { badNodesPath, readBadNodes, writeBadNodes } from '../../src/rm/bad-nodes.js';
import { parseLauncherArgs } from '../../src/rm/launcher-args.js';
import { remoteCommand, remoteExec } from '../../src/rm/remote.js';
import { parseRemaining, parseSinfo, SlurmRM } from '../../src/rm/managers/slurm.js';
import { skipBecause } from '../harness/skip.js';

const have = (t: string) => spawnSync('sh', ['-c', `command -v ${t}`]).status === 0;

describe('launcher command lines', () => {
  it('srun: -N, --nodelist and --exclude are taken out; other options pass through; the app starts at the first word', () => {
    const a = parseLauncherArgs('srun', ['-N', '4', '-n', '8', '--mpi=pmix', '-l', 'node', 'app.js', '-N', '3']);
    assert.equal(a.nodes, 4);
    assert.deepEqual(a.pass, ['-n', '8', '--mpi=pmix', '-l']);
    assert.deepEqual(a.app, ['node', 'app.js', '-N', '3']);
    const b = parseLauncherArgs('srun', ['-N4', '-w', 'n[1-3]', '--exclude=n2', '--ntasks', '4', '-lu', './a.out']);
    assert.equal(b.nodes, 4);
    assert.equal(b.nodelist, 'n[1-3]');
    assert.equal(b.exclude, 'n2');
    assert.deepEqual(b.pass, ['--ntasks', '4', '-lu']);
    assert.deepEqual(b.app, ['./a.out']);
    assert.equal(parseLauncherArgs('srun', ['--nodes=2-4', 'x']).nodes, 2);
    assert.deepEqual(parseLauncherArgs('srun', ['-n', '2', '--', '-weird-app']).app, ['-weird-app']);
  });

  it('mpirun: values of -np, -x, --mca (two) are not mistaken for the app; --host is taken out', () => {
    const a = parseLauncherArgs('mpirun', ['-np', '4', '--mca', 'btl', 'self,tcp', '-x', 'FOO', '--host', 'a,b', '--oversubscribe', 'app', 'arg']);
    assert.deepEqual(a.pass, ['-np', '4', '--mca', 'btl', 'self,tcp', '-x', 'FOO', '--oversubscribe']);
    assert.equal(a.nodelist, 'a,b');
    assert.deepEqual(a.app, ['app', 'arg']);
  });

  it('errors name the problem: no application, a bad node count, a missing value', () => {
    assert.throws(() => parseLauncherArgs('srun', ['-n', '4']), /no application after the srun options \(-n 4\)/);
    assert.throws(() => parseLauncherArgs('srun', ['-N', 'x', 'app']), /srun -N x: expected a number of nodes/);
    assert.throws(() => parseLauncherArgs('mpirun', ['-np']), /mpirun option -np needs a value/);
  });
});

describe('Slurm outputs', () => {
  it('squeue %L: days-hours:minutes:seconds and shorter forms; UNLIMITED and junk are null', () => {
    assert.equal(parseRemaining('2-03:05:00'), 2 * 86400 + 3 * 3600 + 5 * 60);
    assert.equal(parseRemaining('1:30:00'), 5400);
    assert.equal(parseRemaining('4:59'), 299);
    assert.equal(parseRemaining('59'), 59);
    assert.equal(parseRemaining('UNLIMITED'), null);
    assert.equal(parseRemaining('NOT_SET'), null);
    assert.equal(parseRemaining(''), null);
  });

  it('sinfo: down, drained, failing and not-responding (*) nodes are down, with the state and reason', () => {
    const down = parseSinfo('n1|idle|none\nn2|down*|Not responding\nn3|drain|bad disk\nn4|mix|none\nn5|idle*|none\nn6|alloc|none\n');
    assert.deepEqual([...down.keys()], ['n2', 'n3', 'n5']);
    assert.equal(down.get('n2'), 'Slurm state down* (not responding): Not responding');
    assert.equal(down.get('n3'), 'Slurm state drain: bad disk');
    assert.equal(down.get('n5'), 'Slurm state idle* (not responding)');
  });
});

describe('SCR_REMOTE_EXEC templates', () => {
  it('%h becomes the node; the command is appended, quoted for the remote shell where it needs it', () => {
    assert.deepEqual(remoteCommand('pdsh -N -w %h', 'n1', ['node', 'x.js', 'a b', "it's"]),
      ['pdsh', '-N', '-w', 'n1', 'env', 'SCR_NODE_NAME=n1', 'node', 'x.js', "'a b'", `'it'\\''s'`]);
    assert.throws(() => remoteCommand('pdsh -w', 'n1', ['x']), /has no %h for the node name/);
    // A remote shell starts with a fresh environment: the caller's SCR_* settings go along.
    assert.deepEqual(remoteCommand('clush -N -w %h', 'n2', ['scr'], { SCR_PREFIX: '/p q', SCR_NODE_NAME: 'mine', HOME: '/root', SCR_JOB_ID: '7' }),
      ['clush', '-N', '-w', 'n2', 'env', 'SCR_NODE_NAME=n2', 'SCR_JOB_ID=7', "'SCR_PREFIX=/p q'", 'scr']);
  });

  // pdsh's exec module splits the line at blanks without a shell (so words must not contain
  // blanks there); clush hands it to a shell, as both do over ssh.
  for (const [tool, arg] of [['pdsh', 'a-b'], ['clush', "a b'c"]] as const) {
    it(`${tool} -R exec runs the command once per node, with SCR_NODE_NAME set and arguments intact`, async function () {
      if (!have(tool)) skipBecause(this, 'scripts/setup installs pdsh and clustershell; CI has them.');
      const dir = mkdtempSync('/dev/shm/scr-remote-');
      const script = join(dir, 'show.cjs');
      writeFileSync(script, 'console.log(process.env.SCR_NODE_NAME + "|" + process.argv[2])\n');
      try {
        const res = await remoteExec(`${tool} -N -R exec -w %h`, ['n1', 'n2'], [process.execPath, script, arg], 20_000, process.env);
        assert.deepEqual(res.map((r) => [r.node, r.code, r.stdout.trim()]), [['n1', 0, `n1|${arg}`], ['n2', 0, `n2|${arg}`]]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});

describe('prerun records and node checks', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync('/dev/shm/scr-rmtest-'); mkdirSync(join(dir, 'p', '.scr'), { recursive: true }); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('bad nodes round-trip per job; none recorded is an empty map', async () => {
    const prefix = join(dir, 'p');
    assert.equal((await readBadNodes(prefix, '42')).size, 0);
    await writeBadNodes(prefix, '42', new Map([['n3', 'cache full']]));
    assert.deepEqual([...await readBadNodes(prefix, '42')], [['n3', 'scr prerun: cache full']]);
    assert.equal((await readBadNodes(prefix, '43')).size, 0);
    assert.equal(badNodesPath(prefix, 'a/b'), join(prefix, '.scr', 'badnodes.a_b.json'));
  });

  const cfg = (env: Record<string, string>) => loadConfig({ env: { SCR_SYSTEM_CONF: '/dev/null', SCR_PREFIX: join(dir, 'p'), SCR_CNTL_BASE: join(dir, 'k'), SCR_CACHE_BASE: join(dir, 'c'), ...env }, cwd: dir });

  it('a writable node passes with its free space; too little free space or an unusable directory fails, saying why', async () => {
    const id = { user: 'u', jobId: 'j', node: 'n1' };
    const good = await checkNode(cfg({}), id);
    assert.equal(good.ok, true);
    assert.deepEqual(good.dirs.map((d) => [d.kind, d.path]), [['control', join(dir, 'k', 'u', 'scr.j', 'node.n1')], ['cache', join(dir, 'c', 'u', 'scr.j', 'node.n1')]]);
    assert.ok(good.dirs.every((d) => (d.free ?? 0) > 0));
    const full = await checkNode(cfg({ SCR_CACHE_NEED: '1000TiB' }), id);
    assert.equal(full.ok, false);
    assert.match(full.dirs[1]!.problem!, /^only .* free, SCR_CACHE_NEED is 1000\.0 TiB$/);
    writeFileSync(join(dir, 'notadir'), 'x');
    const bad = await checkNode(cfg({ SCR_CACHE_BASE: join(dir, 'notadir') }), id);
    assert.equal(bad.ok, false);
    assert.match(bad.dirs[1]!.problem!, /ENOTDIR|not a directory/);
    if (process.getuid?.() !== 0) {
      mkdirSync(join(dir, 'ro'));
      chmodSync(join(dir, 'ro'), 0o500);
      assert.equal((await checkNode(cfg({ SCR_CACHE_BASE: join(dir, 'ro') }), id)).ok, false);
    }
  });
});

describe('SlurmRM against stand-in Slurm commands', () => {
  // Scripts named srun, squeue, sinfo, scontrol and mpirun first on PATH record their arguments
  // and answer as Slurm would, so the adapter's command lines are checked exactly.
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const tool = (name: string, body: string) => writeFileSync(join(dir, name), `#!/bin/sh\necho "$0 $*" >> ${dir}/calls\n${body}\n`, { mode: 0o755 });
  const calls = () => readFileSync(join(dir, 'calls'), 'utf8').trim().split('\n').map((l) => l.replace(`${dir}/`, ''));
  beforeEach(() => {
    dir = mkdtempSync('/dev/shm/scr-fakeslurm-');
    env = { ...process.env, PATH: `${dir}:${process.env.PATH}`, SLURM_JOB_ID: '77', SLURM_JOB_NODELIST: 'n[1-4]' };
    tool('srun', 'exit 0');
    tool('squeue', 'case "$*" in *%l*) echo "1:00:00|59:30";; *%N*) echo "n[1-2,4]";; *) echo "77.0|scr.x";; esac');
    tool('sinfo', 'echo "n1|mix|none"; echo "n2|mix|none"; echo "n3|down*|Not responding"; echo "n4|drain|bad disk"');
    tool('scontrol', 'exit 0');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the allocation, its down nodes and its end from squeue and sinfo', async () => {
    const rm = new SlurmRM(env);
    assert.equal(rm.jobId(), '77');
    assert.deepEqual(rm.nodes(), ['n1', 'n2', 'n3', 'n4']);
    assert.deepEqual([...await rm.downNodes()], [['n3', 'Slurm state down* (not responding): Not responding'], ['n4', 'Slurm state drain: bad disk']]);
    const end = await rm.endTime();
    assert.ok(Math.abs(end! - (Date.now() / 1000 + 3570)) < 5);
    assert.ok(calls().includes('squeue -h -j 77 -o %l|%L'));
    assert.ok(calls().includes('sinfo -h -N -n n[1-4] -o %N|%t|%E'));
    assert.throws(() => new SlurmRM({ PATH: env.PATH }), /not inside a Slurm allocation/);
  });

  it('launches srun on the chosen nodes with the user\'s options, and requeues with scontrol', async () => {
    const rm = new SlurmRM(env);
    const run = rm.launch({ nodes: ['n1', 'n3'], ppn: 2, launcherArgs: ['--mpi=pmix'], argv: ['node', 'app.js'], env: { SCR_PREFIX: '/p' } });
    assert.deepEqual(await run.done, { code: 0, signal: null });
    assert.match(calls().at(-1)!, /^srun --mpi=pmix --job-name=scr\.\d+\.1 --nodelist=n\[1,3\] --nodes=2 --ntasks=4 --ntasks-per-node=2 node app\.js$/);
    await rm.requeue();
    assert.equal(calls().at(-1), 'scontrol requeue 77');
  });

  it('launches mpirun with --host (Open MPI) or -hosts (MPICH) and the slots per node', async () => {
    tool('mpirun', 'case "$1" in --version) echo "mpirun (Open MPI) 4.1.4";; esac; exit 0');
    tool('mpiexec', 'case "$1" in --version) echo "HYDRA build details:";; esac; exit 0');
    const rm = new SlurmRM(env);
    await rm.launch({ nodes: ['n1', 'n2'], ppn: 3, launcher: 'mpirun', argv: ['app'], env: {} }).done;
    assert.equal(calls().at(-1), 'mpirun --host n1:3,n2:3 -np 6 app');
    await rm.launch({ nodes: ['n1', 'n2'], ppn: 0, launcher: 'mpiexec', launcherArgs: ['-np', '4'], argv: ['app'], env: {} }).done;
    assert.equal(calls().at(-1), 'mpiexec -np 4 -hosts n1:1,n2:1 app');
  });

  it('runs work on single nodes with srun --overlap, or through SCR_REMOTE_EXEC', async () => {
    let rm = new SlurmRM(env);
    await rm.exec(['n2'], ['true'], 5000);
    assert.equal(calls().at(-1), 'srun --overlap --nodes=1 --ntasks=1 --nodelist=n2 --job-name=scr.exec --quiet env SCR_NODE_NAME=n2 true');
    tool('pdsh', 'exit 0');
    rm = new SlurmRM(env, 'pdsh -N -w %h');
    await rm.exec(['n4'], ['true'], 5000);
    assert.equal(calls().at(-1), 'pdsh -N -w n4 env SCR_NODE_NAME=n4 SCR_JOB_ID=77 true');
  });
});
