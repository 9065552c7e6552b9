// The README's main command must keep working: the demo's story and its proof.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from '../harness/launch.js';

const demo = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'scripts', 'demo.mjs');

describe('npm run demo', function () {
  this.timeout(300_000);
  it('loses a node, relaunches on a spare, rebuilds, and ends with the failure-free answer', async () => {
    const r = await runProcess(process.execPath, [demo], { timeoutMs: 290_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /node n1 fails after its 3rd checkpoint/);
    assert.match(r.stdout, /run 2 of at most 2 on n0,n4,n2,n3 \(moved: n1→n4\)/);
    assert.match(r.stdout, /rebuilt dataset heat\.30: files of rank\(s\) 1 restored from XOR redundancy/);
    assert.match(r.stdout, /postrun: scavenged heat\.60/);
    assert.match(r.stdout, /restarted from checkpoint heat\.30 \(step 30\)/);
    assert.match(r.stdout, /proof: checksum with the failure (\w+), without \1: identical/);
  });
});
