// The private-node harness itself (test/harness/nodes.ts): the file faults, the small tmpfs for
// ENOSPC, cleanup that unmounts, and a launch that hangs being killed whole.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flavoursBuilt } from '../harness/launch.js';
import {
  cleanupNodeJob, flipByte, hostPath, loseNode, mountNodeTmpfs, mountPrefixTmpfs, mountsBelow, newNodeJob, nodeDir,
  type NodeJob, privateNodesMissing, processesWith, runNodes, truncateFile,
} from '../harness/nodes.js';

const missing = privateNodesMissing();

describe('fault harness: private nodes, file faults, tmpfs', function () {
  this.timeout(120_000);
  let job: NodeJob;
  // Without mount namespaces (not root) there are no private nodes to test: said, not hidden.
  before(function () { if (missing) { console.log(`      skipped: ${missing}`); this.skip(); } });
  beforeEach(() => { job = newNodeJob(); });
  afterEach(() => { if (job && existsSync(job.root)) cleanupNodeJob(job); });

  it('job roots are unique, and a rank path maps to the node\'s own directory', () => {
    const other = newNodeJob();
    try {
      assert.notEqual(other.root, job.root);
      assert.match(job.root, new RegExp(`^/dev/shm/scr-fault-${process.pid}-\\d+$`));
      assert.equal(hostPath(job, 'n3', join(job.local, 'cache', 'x')), join(job.root, 'local.n3', 'cache', 'x'));
      assert.equal(hostPath(job, 'n3', join(job.prefix, 'a')), join(job.prefix, 'a'));
      assert.equal(hostPath(job, 'n3', `${job.local}x/y`), `${job.local}x/y`);
    } finally { cleanupNodeJob(other); }
  });

  it('flipByte changes exactly one byte; truncateFile shortens', () => {
    const f = join(job.root, 'f.dat');
    const data = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
    writeFileSync(f, data);
    const r = flipByte(f, 17);
    assert.deepEqual(r, { offset: 17, before: 17, after: 17 ^ 0xff });
    const after = readFileSync(f);
    assert.equal(after.length, 100);
    assert.deepEqual([...after.keys()].filter((i) => after[i] !== data[i]), [17]);
    assert.equal(flipByte(f).offset, 50);
    assert.equal(truncateFile(f, 10), 10);
    assert.equal(statSync(f).size, 10);
    assert.equal(truncateFile(f), 5);
    assert.throws(() => flipByte(f, 5), /outside/);
  });

  it('a tmpfs of N bytes gives ENOSPC beyond N; losing its node empties it; cleanup unmounts and removes', () => {
    const dir = mountNodeTmpfs(job, 'n1', 64 * 1024);
    assert.deepEqual(mountsBelow(job.root), [dir]);
    writeFileSync(join(dir, 'fits'), Buffer.alloc(32 * 1024));
    assert.throws(() => writeFileSync(join(dir, 'too-big'), Buffer.alloc(64 * 1024)), (e: NodeJS.ErrnoException) => e.code === 'ENOSPC');
    loseNode(job, 'n1');
    assert.ok(existsSync(dir), 'the mount point stays');
    assert.deepEqual(mountsBelow(job.root), [dir], 'still mounted');
    assert.ok(!existsSync(join(dir, 'fits')), 'its contents are gone');
    const pfx = mountPrefixTmpfs(job, 16 * 1024, join(job.prefix, 'case1'));
    assert.throws(() => writeFileSync(join(pfx, 'x'), Buffer.alloc(20 * 1024)), (e: NodeJS.ErrnoException) => e.code === 'ENOSPC');
    mkdirSync(join(dir, 'sub'));
    cleanupNodeJob(job);
    assert.deepEqual(mountsBelow(job.root), []);
    assert.ok(!existsSync(job.root));
  });

  it('losing a node without a mount removes its directory', () => {
    mkdirSync(join(nodeDir(job, 'n2'), 'cache'), { recursive: true });
    loseNode(job, 'n2');
    assert.ok(!existsSync(nodeDir(job, 'n2')));
  });

  for (const flavour of flavoursBuilt()) {
    it(`${flavour}: a launch that hangs is killed whole at its time limit`, async () => {
      const hang = ['-e', 'setInterval(() => {}, 1000)'];
      const t0 = Date.now();
      const r = await runNodes(flavour, job, ['n0', 'n1', 'n1'], hang, { timeoutMs: 3000 });
      assert.equal(r.timedOut, true);
      assert.ok(Date.now() - t0 < 15_000, `took ${Date.now() - t0} ms`);
      assert.deepEqual(processesWith(r.marker), [], 'no rank of the launch is left');
    });
  }
});
