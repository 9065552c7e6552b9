// scr sim and scr postrun as a user runs them.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readIndex } from '../../src/pfs/index.js';
import { cleanEnv, scr } from '../harness/cli.js';

const heat = join(fileURLToPath(import.meta.url), '..', '..', '..', 'examples', 'heat.js');

describe('scr sim and scr postrun', function () {
  this.timeout(180_000);
  let dir: string;
  const env = () => cleanEnv({ SCR_PREFIX: join(dir, 'p'), SCR_CACHE_BASE: join(dir, 'c'), SCR_CNTL_BASE: join(dir, 'k'), SCR_SYSTEM_CONF: '/dev/null', SCR_COPY_TYPE: 'XOR', SCR_FLUSH: '0', SCR_JOB_ID: 'simtest' });
  beforeEach(() => { dir = mkdtempSync('/dev/shm/scr-simtest-'); mkdirSync(join(dir, 'p')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a node fails and no relaunch is allowed: exit 1, and postrun drains the newest checkpoint, rebuilding the lost rank offline', async () => {
    const r = scr(['sim', '--nodes', '4', '--ppn', '1', '--spares', '1', '--runs', '1', '--fail', 'node=n1,after=3', '--', 'node', heat, '--steps', '60', '--every', '10', '--cells', '100000', '--step-ms', '30'], { env: env(), cwd: dir });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /node n1 fails after its 3rd checkpoint: killed its 1 rank\(s\)/);
    assert.match(r.stdout, /stopping: SCR_RUNS=1 launches used up/);
    assert.match(r.stdout, /postrun: scavenged heat\.30: copied rank\(s\) 0,2,3, rebuilt rank\(s\) 1/);
    const idx = await readIndex(join(dir, 'p'));
    assert.equal(idx.current, 'heat.30');
    const v = scr(['index', '--verify', '--prefix', join(dir, 'p')], { env: env(), cwd: dir });
    assert.equal(v.code, 0, v.stdout + v.stderr);
    // The drained checkpoint restarts the job, even with every cache gone.
    rmSync(join(dir, 'c'), { recursive: true, force: true });
    rmSync(join(dir, 'k'), { recursive: true, force: true });
    const again = scr(['sim', '--nodes', '4', '--ppn', '1', '--', 'node', heat, '--steps', '60', '--every', '10', '--cells', '100000'], { env: { ...env(), SCR_JOB_ID: 'simtest2' }, cwd: dir });
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /heat: restarted from checkpoint heat\.30 \(step 30\)/);
  });

  it('usage errors exit 2 naming the problem', () => {
    let r = scr(['sim', '--nodes', '2', '--ppn', '1', '--fail', 'n1', '--', 'true'], { env: env(), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--fail n1: expected node=NAME,after=K/);
    r = scr(['sim', '--nodes', '2', '--ppn', '1', '--fail', 'node=n9,after=1', '--', 'true'], { env: env(), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--fail node=n9: the simulated nodes are n0…n1/);
  });
});
