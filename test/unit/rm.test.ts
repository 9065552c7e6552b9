// The resource-manager layer without a cluster: launcher command lines, Slurm's outputs, remote
// execution templates (with real pdsh and clush in their local `-R exec` mode), prerun's bad-node
// record and the node check.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkNode } from '../../src/cache/check.js';
import { loadConfig } from '../../src/config/resolve.js';
import { badNodesPath, readBadNodes, writeBadNodes } from '../../src/rm/bad-nodes.js';
import { parseLauncherArgs } from '../../src/rm/launcher-args.js';
import { remoteCommand, remoteExec } from '../../src/rm/remote.js';
import { parseRemaining, parseSinfo } from '../../src/rm/slurm.js';

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
      if (!have(tool)) this.skip(); // scripts/setup installs pdsh and clustershell; CI has them.
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
