// Whole jobs for two modes: SCR_HALT_EXIT ends the process cleanly after a checkpoint once a halt
// condition holds; SCR_CACHE_BYPASS writes straight to the prefix and restarts from there.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { updateHalt } from '../../src/halt/index.js';
import { flavoursBuilt } from '../harness/launch.js';
import { cleanup, newSimJob, nodeDirs, rankLines, runOnNodes, type SimJob } from '../harness/sim.js';

const app = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures', 'ckpt-app.js');
interface Line { rank: number; restored: string | null; verified: boolean; wrote: number }
const flavour = flavoursBuilt()[0]!;

describe(`application modes (${flavour})`, function () {
  this.timeout(120_000);
  let job: SimJob;
  afterEach(() => cleanup(job));

  it('SCR_HALT_EXIT=1: a halt condition ends the job cleanly right after its next checkpoint', async () => {
    job = newSimJob('haltexit', { SCR_HALT_EXIT: '1' });
    mkdirSync(job.prefix, { recursive: true });
    await updateHalt(job.prefix, (h) => ({ ...h, reason: 'walltime' }));
    const r = await runOnNodes(flavour, job, ['n0', 'n1', 'n2'], [app, '--ckpts', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(rankLines<Line>(r).filter(Boolean).length, 0, 'the app did not get past its first checkpoint');
    assert.match(r.stderr, /halting after this checkpoint: halt requested: walltime \(SCR_HALT_EXIT=1\)/);
    await updateHalt(job.prefix, () => ({}));
    const again = await runOnNodes(flavour, job, ['n0', 'n1', 'n2'], [app, '--ckpts', '3']);
    assert.deepEqual(rankLines<Line>(again).map((l) => [l.restored, l.verified, l.wrote]), [['ckpt.1', true, 2], ['ckpt.1', true, 2], ['ckpt.1', true, 2]]);
  });

  it('SCR_CACHE_BYPASS=1: files go straight to the prefix, and a restart reads them there', async () => {
    job = newSimJob('bypass', { SCR_CACHE_BYPASS: '1' });
    mkdirSync(job.prefix, { recursive: true });
    const r = await runOnNodes(flavour, job, ['n0', 'n1'], [app, '--ckpts', '2', '--files', '3']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(join(job.prefix, 'ckpt.2')).sort(), ['rank0.file0.dat', 'rank0.file1.dat', 'rank0.file2.dat', 'rank1.file0.dat', 'rank1.file1.dat', 'rank1.file2.dat']);
    const cached = join(nodeDirs(job, 'n0')[0]!, 'scr.dataset.2');
    assert.deepEqual(readdirSync(cached), ['.scr'], 'only metadata in cache');
    const again = await runOnNodes(flavour, job, ['n0', 'n1'], [app, '--ckpts', '3', '--files', '3']);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(rankLines<Line>(again).map((l) => [l.restored, l.verified]), [['ckpt.2', true], ['ckpt.2', true]]);
    assert.ok(existsSync(join(job.prefix, 'ckpt.3', 'rank1.file2.dat')));
  });
});
