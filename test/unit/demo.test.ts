// The README's main command must keep working: the demo's story and its proof.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from '../harness/launch.js';

const demo = join(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'scripts', 'demo.mjs');

describe('npm run demo', function () {
  this.timeout(300_000);
  it('loses a node, relaunches on a spare, rebuilds, and ends with the failure-free answer', async () => {
    const cwd = mkdtempSync('/tmp/scr-demo-test-');
    after(() => rmSync(cwd, { recursive: true, force: true }));
    const r = await runProcess(process.execPath, [demo], { timeoutMs: 290_000, cwd });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /node n1 fails after its 3rd checkpoint/);
    assert.match(r.stdout, /run 2 of at most 2 on n0,n4,n2,n3 \(moved: n1→n4\)/);
    assert.match(r.stdout, /rebuilt dataset heat\.30: files of rank\(s\) 1 restored from XOR redundancy/);
    assert.match(r.stdout, /postrun: scavenged heat\.60/);
    assert.match(r.stdout, /restarted from checkpoint heat\.30 \(step 30\)/);
    assert.match(r.stdout, /proof: checksum with the failure (\w+), without \1: identical/);
    // scr report on the demo's prefix: the two runs, the failure and the work it lost, the restart
    // from the rebuilt cache, and the advice (SCR_MTBF=3600: Daly's interval for a ~0.1 s cost is
    // about sqrt(2 · 0.1 · 3600) ≈ 27 s); its page is written where the demo was run.
    assert.match(r.stdout, /runs: +2 \(1 failed\)/);
    assert.match(r.stdout, /failures: +1, [\d.]+ (ms|s) of work lost/);
    assert.match(r.stdout, /restarts: +heat\.30 \(rebuilt in cache\)/);
    const daly = Number(/Daly's interval: +([\d.]+) s/.exec(r.stdout)?.[1]);
    assert.ok(daly > 5 && daly < 90, r.stdout);
    const page = readFileSync(join(cwd, 'scr-demo-report.html'), 'utf8');
    for (const id of ['timeline', 'cost', 'bandwidth']) assert.match(page, new RegExp(`<figure id="${id}"><svg`));
  });
});
