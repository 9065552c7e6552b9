// The phase clock behind initStats(): time goes to the phase last entered, re-entered phases add
// up, inPhase returns to the phase it interrupted, and the phases sum to the whole.
import assert from 'node:assert/strict';
import { beginInit, endInit, enterPhase, inPhase, lastInitStats } from '../../src/scr/init-stats.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('initStats phase clock', function () {
  it('attributes time to phases that sum to the whole', async () => {
    beginInit('a');
    await sleep(20);
    enterPhase('b');
    await sleep(20);
    await inPhase('c', () => sleep(30));
    await sleep(10); // back in b
    enterPhase('a');
    await sleep(10);
    endInit();
    const st = lastInitStats()!;
    assert.deepEqual(st.phases.map((p) => p.name), ['a', 'b', 'c']);
    const by = Object.fromEntries(st.phases.map((p) => [p.name, p.seconds]));
    assert.ok(by.a! >= 0.028 && by.b! >= 0.028 && by.c! >= 0.028, JSON.stringify(by));
    const sum = st.phases.reduce((x, p) => x + p.seconds, 0);
    assert.ok(Math.abs(sum - st.seconds) < 0.001, `${sum} vs ${st.seconds}`);
    // Outside init() the clock is stopped: entering a phase changes nothing.
    enterPhase('z');
    assert.deepEqual(lastInitStats(), st);
  });
});
