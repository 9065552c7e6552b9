// The run wrapper's last lines after a cancel (src/rm/cancel-summary.ts): the checkpoints this run
// completed (the event log) against what the prefix index says is on the file system.
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { updateIndex } from '../../src/pfs/index.js';
import { cancelSummary } from '../../src/rm/cancel-summary.js';

describe('cancel summary: what a cancelled run kept', () => {
  let prefix: string;
  beforeEach(() => { prefix = mkdtempSync('/dev/shm/scr-cancelsum-'); mkdirSync(join(prefix, '.scr')); });
  afterEach(() => rmSync(prefix, { recursive: true, force: true }));

  const log = (at: number, name: string, id: number) => appendFileSync(join(prefix, '.scr', 'log'), `${new Date(at).toISOString()} CHECKPOINT name=${name} id=${id} bytes=10 seconds=0.010\n`);
  const flushed = (name: string, id: number, ok = true) => updateIndex(prefix, (idx) => {
    idx.datasets[String(id)] = { id, name, flags: { checkpoint: true, output: false }, created: 0, ranks: 2, complete: ok, flushed: ok, failed: false, bytes: 10, files: 2 };
  }, () => undefined);

  it('the newest checkpoint on the file system: saved, nothing lost', async () => {
    const t = Date.now();
    log(t - 60_000, 'ckpt.1', 1); // an earlier run's
    log(t + 10, 'ckpt.2', 2);
    log(t + 20, 'ckpt.3', 3);
    await flushed('ckpt.3', 3);
    const s = await cancelSummary(prefix, t);
    assert.deepEqual(s.saved, { name: 'ckpt.3', id: 3 });
    assert.deepEqual(s.lost, []);
    assert.deepEqual(s.lines, ['saved: checkpoint ckpt.3 (id 3) is on the file system; the next run restarts from it', 'lost: nothing (no newer checkpoint was completed in this run)']);
  });

  it('newer checkpoints only in cache are named as lost; older ones of this run are not', async () => {
    const t = Date.now();
    log(t + 10, 'ckpt.2', 2);
    log(t + 20, 'ckpt.3', 3);
    log(t + 30, 'ckpt.4', 4);
    await flushed('ckpt.2', 2);
    await flushed('ckpt.3', 3, false); // recorded as being flushed, never finished
    const s = await cancelSummary(prefix, t);
    assert.deepEqual(s.saved, { name: 'ckpt.2', id: 2 });
    assert.deepEqual(s.lost.map((l) => l.id), [3, 4]);
    assert.equal(s.lines[1], 'not saved: checkpoints ckpt.3, ckpt.4 (ids 3, 4) were only in cache and are lost with the allocation');
  });

  it('nothing on the file system and no log: said plainly', async () => {
    const s = await cancelSummary(prefix, Date.now());
    assert.deepEqual(s.lines, ['saved: no checkpoint is on the file system; the next run starts from the beginning', 'lost: nothing (no newer checkpoint was completed in this run)']);
  });
});
