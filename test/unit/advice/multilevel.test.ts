// The two-level advice (cache interval and SCR_FLUSH) against values worked out by hand from
// W(k, T) = (C1 + C2/k)/T + (λ1 + k·λ2)·T/2: the optimum at an integer k*, the choice between the
// floor and the ceiling of k* (including a case where plain rounding would pick wrong, and a tie),
// λ2 = 0, λ1 = 0, and bad inputs.
import assert from 'node:assert/strict';
import { twoLevelAdvice, twoLevelWaste } from '../../../src/advice/index.js';

function near(a: number, b: number, tol: number, what = ''): void {
  assert.ok(Math.abs(a - b) <= tol, `${what} ${a} is not within ${tol} of ${b}`);
}

describe('advice: two levels (cache and file system)', () => {
  it('an integer optimum: k* = sqrt(C2·λ1/(C1·λ2)), T = sqrt(2(C1 + C2/k)/(λ1 + kλ2))', () => {
    const input = { cacheCost: 2, cacheRate: 1e-3, pfsCost: 50, pfsRate: 1e-5 };
    const a = twoLevelAdvice(input);
    near(a.flushExact, 50, 1e-9); // sqrt(50·1e-3 / (2·1e-5)) = sqrt(2500) = 50
    assert.equal(a.flush, 50);
    near(a.interval, 63.245553, 1e-6); // sqrt(2·(2 + 50/50)/(1e-3 + 50·1e-5)) = sqrt(6/0.0015) = sqrt(4000) = 63.245553
    // sqrt(2·3·0.0015) = sqrt(0.009) = 0.0948683 = sqrt(2·1e-3·2) + sqrt(2·1e-5·50) = 0.0632456 + 0.0316228
    near(a.waste, 0.0948683, 1e-7);
    near(twoLevelWaste(input, 50, a.interval), a.waste, 1e-12);
  });

  it('k* between two integers: the one with less waste, even when rounding would pick the other', () => {
    // C1 = 1, λ1 = 1e-3, C2 = 21.01, λ2 = 1e-4: k* = sqrt(21.01·1e-3/1e-4) = sqrt(210.1) = 14.4948 (rounds to 14),
    // but (1 + 21.01/14)(1e-3 + 14e-4) = 2.5007143·0.0024 = 0.00600171 > (1 + 21.01/15)(1e-3 + 15e-4) = 2.4006667·0.0025 = 0.00600167
    const a = twoLevelAdvice({ cacheCost: 1, cacheRate: 1e-3, pfsCost: 21.01, pfsRate: 1e-4 });
    near(a.flushExact, 14.494827, 1e-6);
    assert.equal(a.flush, 15);
    near(a.interval, 43.82389, 1e-5); // sqrt(2·2.4006667/0.0025) = sqrt(1920.5333) = 43.82389
    near(a.waste, 0.1095597, 1e-7); // sqrt(2·0.00600167) = sqrt(0.01200333) = 0.1095597
    // C2 = 20: k* = sqrt(200) = 14.1421; k = 14: 2.4285714·0.0024 = 0.00582857 < k = 15: 2.3333333·0.0025 = 0.00583333
    assert.equal(twoLevelAdvice({ cacheCost: 1, cacheRate: 1e-3, pfsCost: 20, pfsRate: 1e-4 }).flush, 14);
  });

  it('a tie between floor and ceiling keeps the smaller k (more flushes)', () => {
    // C1 = 1, λ1 = 0.5, C2 = 3, λ2 = 0.25: k = 2: (1 + 3/2)(0.5 + 0.5) = 2.5; k = 3: (1 + 1)(0.5 + 0.75) = 2.5
    const a = twoLevelAdvice({ cacheCost: 1, cacheRate: 0.5, pfsCost: 3, pfsRate: 0.25 });
    near(a.flushExact, Math.sqrt(6), 1e-12); // sqrt(3·0.5/(1·0.25)) = sqrt(6) = 2.449
    assert.equal(a.flush, 2);
    near(a.interval, Math.sqrt(5), 1e-12); // sqrt(2·2.5/1) = sqrt(5)
  });

  it('λ2 = 0: no failure needs a flush, so no SCR_FLUSH is advised; T = sqrt(2·C1/λ1)', () => {
    const a = twoLevelAdvice({ cacheCost: 2, cacheRate: 1e-3, pfsCost: 50, pfsRate: 0 });
    assert.equal(a.flush, null);
    assert.equal(a.flushExact, Number.POSITIVE_INFINITY);
    near(a.interval, 63.245553, 1e-6); // sqrt(2·2/1e-3) = sqrt(4000)
    near(a.waste, 0.0632456, 1e-7); // sqrt(2·2·1e-3) = sqrt(0.004)
  });

  it('λ1 = 0 or a free flush: flush every checkpoint (k = 1)', () => {
    const a = twoLevelAdvice({ cacheCost: 2, cacheRate: 0, pfsCost: 50, pfsRate: 1e-5 });
    assert.equal(a.flushExact, 0);
    assert.equal(a.flush, 1);
    near(a.interval, 3224.9031, 1e-4); // sqrt(2·(2 + 50)/1e-5) = sqrt(1.04e7) = 3224.9031
    near(a.waste, 0.0322490, 1e-7); // sqrt(2·52·1e-5) = sqrt(0.00104)
    assert.equal(twoLevelAdvice({ cacheCost: 2, cacheRate: 1e-3, pfsCost: 0, pfsRate: 1e-5 }).flush, 1);
  });

  it('a tiny cache cost gives a short interval and flushes rarely', () => {
    // C1 = 1e-6, λ1 = 1e-3, C2 = 10, λ2 = 1e-6: k* = sqrt(10·1e-3/(1e-6·1e-6)) = sqrt(1e10) = 1e5
    const a = twoLevelAdvice({ cacheCost: 1e-6, cacheRate: 1e-3, pfsCost: 10, pfsRate: 1e-6 });
    assert.equal(a.flush, 100_000);
    near(a.interval, 0.0447214, 1e-7); // sqrt(2·(1e-6 + 10/1e5)/(1e-3 + 1e5·1e-6)) = sqrt(2.02e-4/0.101) = sqrt(0.002) = 0.0447214
  });

  it("twoLevelWaste is (C1 + C2/k)/T + (λ1 + kλ2)·T/2", () => {
    const input = { cacheCost: 2, cacheRate: 1e-3, pfsCost: 50, pfsRate: 1e-4 };
    near(twoLevelWaste(input, 10, 600), 0.6116667, 1e-7); // (2 + 50/10)/600 + (1e-3 + 10·1e-4)·600/2 = 0.0116667 + 0.6
    near(twoLevelWaste(input, 1, 100), 0.575, 1e-12); // (2 + 50)/100 + (1e-3 + 1e-4)·100/2 = 0.52 + 0.055 = 0.575
  });

  it('rejects bad inputs, naming them', () => {
    const ok = { cacheCost: 2, cacheRate: 1e-3, pfsCost: 50, pfsRate: 1e-5 };
    assert.throws(() => twoLevelAdvice({ ...ok, cacheCost: 0 }), /twoLevelAdvice: the cache checkpoint cost C1 \(cacheCost\) must be a finite number > 0, not 0/);
    assert.throws(() => twoLevelAdvice({ ...ok, cacheRate: -1 }), /λ1 \(cacheRate\) .* not -1/);
    assert.throws(() => twoLevelAdvice({ ...ok, pfsCost: Number.NaN }), /C2 \(pfsCost\) .* not NaN/);
    assert.throws(() => twoLevelAdvice({ ...ok, pfsRate: Number.POSITIVE_INFINITY }), /λ2 \(pfsRate\) .* not Infinity/);
    assert.throws(() => twoLevelAdvice({ ...ok, cacheRate: 0, pfsRate: 0 }), /both failure rates are 0/);
    assert.throws(() => twoLevelAdvice(null as unknown as typeof ok), TypeError);
    assert.throws(() => twoLevelWaste(ok, 0, 10), /k \(SCR_FLUSH\) must be a whole number ≥ 1, not 0/);
    assert.throws(() => twoLevelWaste(ok, 2.5, 10), /not 2.5/);
    assert.throws(() => twoLevelWaste(ok, 2, 0), /the interval T .* not 0/);
  });
});
