// Relaunch inside the allocation with 2 ranks per node: a lost node's ranks move to a spare and
// are rebuilt, while ranks placed on other surviving nodes get their files moved over MPI.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flavoursBuilt } from '../harness/launch.js';
import { cleanup, loseNode, newSimJob, nodeDirs, rankLines, runOnNodes, type SimJob } from '../harness/sim.js';

const app = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures', 'ckpt-app.js');
interface Line { rank: number; node: string; restored: string | null; verified: boolean; wrote: number }

for (const flavour of flavoursBuilt()) {
  describe(`relaunch on a spare, ${flavour}`, function () {
    this.timeout(300_000);
    let job: SimJob;
    afterEach(() => cleanup(job));

    it('XOR, 4 nodes x 2 ranks: n3 lost and replaced by a spare, n0 and n1 swap ranks; every byte comes back', async () => {
      job = newSimJob('relaunch', { SCR_FLUSH: '0', SCR_COPY_TYPE: 'XOR', SCR_MPI_BUF_SIZE: '8192' });
      const first = ['n0', 'n0', 'n1', 'n1', 'n2', 'n2', 'n3', 'n3'];
      const args = [app, '--ckpts', '2', '--files', '12', '--bytes', '30000', '--seed', '9'];
      let r = await runOnNodes(flavour, job, first, args);
      assert.equal(r.code, 0, r.stderr);
      loseNode(job, 'n3');
      const second = ['n1', 'n1', 'n0', 'n0', 'n2', 'n2', 'spare', 'spare'];
      r = await runOnNodes(flavour, job, second, [...args.slice(0, 2), '3', ...args.slice(3)]);
      assert.equal(r.code, 0, r.stderr);
      const lines = rankLines<Line>(r);
      assert.deepEqual(lines.map((l) => [l.node, l.restored, l.verified]), second.map((n) => [n, 'ckpt.2', true]));
      assert.ok(lines.every((l) => l.wrote === 1), 'the job went on from ckpt.2 to ckpt.3');
      assert.match(r.stderr, /rebuilt dataset ckpt\.2: files of rank\(s\) 6,7 restored from XOR/);
      // Moved files left their old node: n0 now holds ranks 2,3 (from n1), not 0,1.
      const ds = join(nodeDirs(job, 'n0')[0]!, 'scr.dataset.3', '.scr');
      assert.ok(existsSync(ds));
      const maps = readdirSync(ds).filter((f) => f.startsWith('filemap.')).sort();
      assert.deepEqual(maps, ['filemap.2.scr', 'filemap.3.scr']);
    });

    it('losing two nodes of one XOR set is refused, and the job starts over', async () => {
      job = newSimJob('relaunch2', { SCR_FLUSH: '0', SCR_COPY_TYPE: 'XOR' });
      const nodes = ['n0', 'n1', 'n2', 'n3'];
      const args = [app, '--ckpts', '1'];
      assert.equal((await runOnNodes(flavour, job, nodes, args)).code, 0);
      loseNode(job, 'n1');
      loseNode(job, 'n2');
      const r = await runOnNodes(flavour, job, ['n0', 's1', 's2', 'n3'], args);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(rankLines<Line>(r).every((l) => l.restored === null && l.wrote === 1));
      assert.match(r.stderr, /dropped dataset 1 \(ckpt\.1\): XOR set of ranks 0,1,2,3 lost 2 member\(s\) \(ranks 1,2\), more than it can restore/);
    });

    it('with flushing on, the same loss is recovered from the file system instead', async () => {
      job = newSimJob('relaunch3', { SCR_COPY_TYPE: 'XOR' });
      const args = [app, '--ckpts', '1'];
      assert.equal((await runOnNodes(flavour, job, ['n0', 'n1', 'n2', 'n3'], args)).code, 0, 'finalize flushes the newest checkpoint');
      loseNode(job, 'n1');
      loseNode(job, 'n2');
      const r = await runOnNodes(flavour, job, ['n0', 's1', 's2', 'n3'], [app, '--ckpts', '2']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(rankLines<Line>(r).map((l) => [l.restored, l.verified, l.wrote]), [0, 1, 2, 3].map(() => ['ckpt.1', true, 1]));
    });
  });
}
