// The fault suite's totals (issue 10): every case asserted by the files before this one (mocha
// runs the files in name order, in one process), by outcome. A case passes only when the
// application got exactly the bytes it wrote, or nothing and a clear message.
import assert from 'node:assert/strict';
import { tally } from '../harness/faults.js';
import { skipBecause } from '../harness/skip.js';

describe('fault suite totals', () => {
  it('no case read wrong bytes or hung', function () {
    if (tally.cases === 0) skipBecause(this, 'a --grep that selected no case: nothing to count');
    console.log(`      fault cases: ${tally.cases}; passed ${tally.passed} (recovered ${tally.recovered}, refused with a clear message ${tally.refused}, ` +
      `other checks ${tally.passed - tally.recovered - tally.refused}); failed ${tally.failed.length}${tally.failed.length ? ` (${tally.failed.join(', ')})` : ''}; ` +
      `wrong bytes accepted: ${tally.wrongBytes}; hangs: ${tally.hangs}`);
    assert.equal(tally.wrongBytes, 0);
    assert.equal(tally.hangs, 0);
  });
});
