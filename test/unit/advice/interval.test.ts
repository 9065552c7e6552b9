// Young's and Daly's intervals and Daly's expected waste against values worked out by hand (the
// arithmetic is next to each expected value), Daly's own worked examples (the captions of his
// figures 3-5: δ = 5 min, M = 24 h, 6 h, 15 min give 117, 57 and 9.1 min), and the edge cases:
// C ≥ 2M, a tiny or zero cost, no failures, bad inputs.
import assert from 'node:assert/strict';
import { dalyInterval, expectedWaste, youngInterval } from '../../../src/advice/index.js';

/** |a − b| within `tol` (absolute). */
function near(a: number, b: number, tol: number, what = ''): void {
  assert.ok(Math.abs(a - b) <= tol, `${what} ${a} is not within ${tol} of ${b}`);
}

describe('advice: Young and Daly intervals', () => {
  it("Young's interval is sqrt(2·C·M)", () => {
    near(youngInterval(8, 10_000), 400, 1e-9); // sqrt(2·8·10000) = sqrt(160000) = 400
    near(youngInterval(300, 86_400), 7200, 1e-9); // sqrt(2·300·86400) = sqrt(51 840 000) = 7200
    assert.equal(youngInterval(0, 100), 0); // a free checkpoint: checkpoint all the time
  });

  it("Daly's interval for C < 2M", () => {
    // C = 8, M = 10000: C/(2M) = 0.0004, its root 0.02;
    // 400·(1 + 0.02/3 + 0.0004/9) − 8 = 400 + 8/3 + 4/225 − 8 = 394.684444…
    near(dalyInterval(8, 10_000), 394.684444, 1e-6);
    // C = 16, M = 10000: sqrt(320000) = 565.685425; C/(2M) = 0.0008, root 0.0282843;
    // 565.685425·(1 + 0.0094281 + 0.0000889) − 16 = 571.06904 − 16 = 555.06904
    near(dalyInterval(16, 10_000), 555.06904, 1e-4);
    // Just below 2M: C = 199, M = 100: C/(2M) = 0.995, root 0.997497; sqrt(2·199·100) = 199.499373;
    // 199.499373·(1 + 0.332499 + 0.110556) − 199 = 199.499373·1.443055 − 199 = 287.8884 − 199 = 88.8884
    near(dalyInterval(199, 100), 88.8884, 1e-3);
  });

  it("Daly's interval matches the paper's worked examples (δ = 5 min, M = 24 h, 6 h, 15 min)", () => {
    // M = 1440 min: 120·(1 + (1/3)·(1/24) + (1/9)·(1/576)) − 5 = 120·1.014082 − 5 = 116.69 ≈ 117 min
    assert.equal(Math.round(dalyInterval(300, 86_400) / 60), 117);
    // M = 360 min: 60·(1 + (1/3)·(1/12) + (1/9)·(1/144)) − 5 = 60·1.028549 − 5 = 56.71 ≈ 57 min
    assert.equal(Math.round(dalyInterval(300, 21_600) / 60), 57);
    // M = 15 min: sqrt(150)·(1 + 0.408248/3 + 0.166667/9) − 5 = 12.247449·1.154601 − 5 = 9.14 ≈ 9.1 min
    assert.equal(Math.round(dalyInterval(300, 900) / 6) / 10, 9.1);
  });

  it("Daly's interval is M once C ≥ 2M", () => {
    assert.equal(dalyInterval(200, 100), 100); // C = 2M exactly
    assert.equal(dalyInterval(250, 100), 100);
    assert.equal(dalyInterval(1e9, 1), 1);
  });

  it('a tiny cost gives an interval close to Young\'s, and a zero cost 0', () => {
    // C = 1e-12, M = 1e4: Young sqrt(2e-8) = 1.41421356e-4; Daly's corrections are of order 1e-8 relative
    near(dalyInterval(1e-12, 1e4), 1.41421356e-4, 1e-12);
    assert.equal(dalyInterval(0, 1e4), 0);
  });

  it('rejects bad inputs, naming them', () => {
    assert.throws(() => youngInterval(-1, 100), /youngInterval: the checkpoint cost C must be a finite number ≥ 0, not -1/);
    assert.throws(() => youngInterval(1, 0), /youngInterval: the MTBF M must be a finite number > 0, not 0/);
    assert.throws(() => dalyInterval(Number.NaN, 100), /dalyInterval: the checkpoint cost C .* not NaN/);
    assert.throws(() => dalyInterval(1, Number.POSITIVE_INFINITY), /the MTBF M .* not Infinity/);
    assert.throws(() => dalyInterval('5' as unknown as number, 100), RangeError);
  });
});

describe("advice: Daly's expected waste", () => {
  it('is 1 − τ / (M·e^(R/M)·(e^((τ+C)/M) − 1))', () => {
    // τ = 90, C = 10, M = 100, R = 0: (τ+C)/M = 1, so 1 − 90/(100·(e − 1)) = 1 − 0.9/1.7182818 = 1 − 0.5237790 = 0.4762210
    near(expectedWaste(90, 10, 100), 0.476221, 1e-6);
    // The same with R = M·ln 2, so e^(R/M) = 2: 1 − 0.45/1.7182818 = 1 − 0.2618895 = 0.7381105
    near(expectedWaste(90, 10, 100, 100 * Math.LN2), 0.7381105, 1e-6);
  });

  it('tends to C/(τ+C) without failures', () => {
    near(expectedWaste(90, 10, 1e12), 10 / 100, 1e-6); // 10/(90 + 10) = 0.1
    near(expectedWaste(3600, 0, 1e12), 0, 1e-6); // free checkpoints, no failures: nothing wasted
  });

  it("is smallest near Daly's interval", () => {
    const c = 10, m = 100;
    const best = dalyInterval(c, m); // 38.3 s
    for (const f of [0.5, 0.8, 1.25, 2]) {
      assert.ok(expectedWaste(best, c, m) < expectedWaste(best * f, c, m), `waste at ${f}× Daly's interval is not larger`);
    }
  });

  it('rejects bad inputs, naming them', () => {
    assert.throws(() => expectedWaste(0, 1, 100), /expectedWaste: the interval τ must be a finite number > 0, not 0/);
    assert.throws(() => expectedWaste(10, -1, 100), /the checkpoint cost C .* not -1/);
    assert.throws(() => expectedWaste(10, 1, -5), /the MTBF M .* not -5/);
    assert.throws(() => expectedWaste(10, 1, 100, Number.NaN), /the restart cost R .* not NaN/);
  });
});
