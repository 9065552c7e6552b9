// The hostfile allocation (SCR_HOSTFILE, src/rm/managers/hostfile.ts): its file format and errors,
// and the batch-script commands over it (the shared conformance suite, with a stand-in ssh and mpirun).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/resolve.js';
import { HostfileRM, parseHostfile } from '../../src/rm/managers/hostfile.js';
import { detectRM } from '../../src/rm/registry.js';
import { cleanEnv, scr } from '../harness/cli.js';
import { conformance } from '../harness/rm-conformance.js';
import { hostfileFixture } from '../harness/standin-hostfile.js';

describe('hostfile allocation (SCR_HOSTFILE)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync('/dev/shm/scr-hostfile-'); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads Open MPI\'s and MPICH\'s hostfile forms: slots add up, first appearance keeps the order, comments go', () => {
    const m = parseHostfile('# nodes\nn2 slots=4\nn1:2\n\nn3   # the spare\nn2 max_slots=8 slots=2\n');
    assert.deepEqual([...m], [['n2', 6], ['n1', 2], ['n3', 1]]);
  });

  it('a line that is not a node, or a file with none, is an error naming the file and line', () => {
    assert.throws(() => parseHostfile('n1\nn2 cpus=4\n', 'hf'), /hf, line 2: "n2 cpus=4" is not a node/);
    assert.throws(() => parseHostfile('# nothing\n', 'hf'), /hf names no node/);
  });

  it('is detected from SCR_HOSTFILE (before a scheduler\'s variables), and SCR_RESOURCE_MANAGER chooses or turns it off', async () => {
    const hf = join(dir, 'hosts');
    writeFileSync(hf, 'a\nb slots=2\n');
    const env = cleanEnv({ SCR_HOSTFILE: hf, SCR_SYSTEM_CONF: '/dev/null', SLURM_JOB_ID: '5', SLURM_JOB_NODELIST: 'x[1-2]' });
    const rm = await detectRM(env, loadConfig({ env, cwd: dir, prefix: dir }));
    assert.ok(rm instanceof HostfileRM);
    assert.deepEqual(rm.nodes(), ['a', 'b']);
    const slurm = { ...env, SCR_RESOURCE_MANAGER: 'slurm' };
    assert.equal((await detectRM(slurm, loadConfig({ env: slurm, cwd: dir, prefix: dir })))?.name, 'slurm');
    const none = { ...env, SCR_RESOURCE_MANAGER: 'none' };
    assert.equal(await detectRM(none, loadConfig({ env: none, cwd: dir, prefix: dir })), null);
    const bad = { ...env, SCR_RESOURCE_MANAGER: 'torque' };
    await assert.rejects(detectRM(bad, loadConfig({ env: bad, cwd: dir, prefix: dir })), /SCR_RESOURCE_MANAGER=torque: no such resource manager; known: hostfile, .*slurm.*, none/);
  });

  it('the commands say what is wrong with SCR_HOSTFILE (exit 2)', () => {
    const env = cleanEnv({ SCR_HOSTFILE: join(dir, 'missing'), SCR_SYSTEM_CONF: '/dev/null', SCR_PREFIX: dir });
    const r = scr(['list-down-nodes'], { env, cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /SCR_HOSTFILE=.*missing cannot be read \(ENOENT\): name a file that lists the nodes/);
  });
});

conformance('hostfile', hostfileFixture);
