// The needCheckpoint policy with an injected clock (no sleeps): no policy, interval, seconds,
// overhead (boundaries included), auto (Daly's interval from the measured cost and SCR_MTBF),
// several at once, checkpoint-now requests, bad settings.
import assert from 'node:assert/strict';
import { CheckpointPolicy, type PolicyOptions } from '../../../src/halt/index.js';

/** A policy on a hand-driven clock starting at t = 1000 s. */
function make(opts: PolicyOptions = {}) {
  const clock = { t: 1000 };
  const p = new CheckpointPolicy({ ...opts, now: () => clock.t });
  /** Takes a checkpoint lasting `dur` seconds, starting now. */
  const checkpoint = (dur: number) => {
    p.checkpointStarted();
    clock.t += dur;
    p.checkpointCompleted();
  };
  return { p, clock, checkpoint };
}

const calls = (p: CheckpointPolicy, n: number) => Array.from({ length: n }, () => p.need());

describe('checkpoint policy', () => {
  it('with no policy set, every call says yes', () => {
    const { p, checkpoint } = make({ interval: 0, seconds: 0, overhead: 0 });
    assert.deepEqual(calls(p, 5), [true, true, true, true, true]);
    checkpoint(100);
    assert.equal(p.need(), true);
    assert.equal(p.lastReason, 'no checkpoint policy set: always');
    assert.deepEqual(calls(new CheckpointPolicy(), 3), [true, true, true]);
  });

  it('interval N says yes on every N-th call, checkpoints or not', () => {
    const { p, checkpoint } = make({ interval: 3 });
    assert.deepEqual(calls(p, 7), [false, false, true, false, false, true, false]);
    assert.equal(p.lastReason, null);
    checkpoint(5); // a checkpoint does not reset the count (as SCR)
    assert.deepEqual(calls(p, 3), [false, true, false]);
    assert.equal(p.lastReason, null);
    assert.equal(p.need(), false); // call 11
    assert.equal(p.need(), true);
    assert.equal(p.lastReason, 'call 12 is a multiple of SCR_CHECKPOINT_INTERVAL=3');
  });

  it('interval 1 says yes every time', () => {
    const { p } = make({ interval: 1 });
    assert.deepEqual(calls(p, 4), [true, true, true, true]);
  });

  it('seconds S says yes once S seconds passed since the policy was created', () => {
    const { p, clock } = make({ seconds: 60 });
    assert.equal(p.need(), false);
    clock.t += 59.9;
    assert.equal(p.need(), false);
    clock.t += 0.1;
    assert.equal(p.need(), true);
    assert.equal(p.lastReason, '60 s since the last checkpoint (SCR_CHECKPOINT_SECONDS=60)');
    clock.t += 100;
    assert.equal(p.need(), true, 'stays yes until a checkpoint is taken');
  });

  it('seconds S counts from the end of the last checkpoint, not its start', () => {
    const { p, clock, checkpoint } = make({ seconds: 60 });
    clock.t += 70;
    assert.equal(p.need(), true);
    checkpoint(30); // ends at 1100
    clock.t += 59; // 1159: 89 s after the start, 59 after the end
    assert.equal(p.need(), false);
    clock.t += 1;
    assert.equal(p.need(), true);
  });

  it('seconds S: a checkpoint in progress does not restart the clock', () => {
    const { p, clock } = make({ seconds: 10 });
    clock.t += 5;
    p.checkpointStarted();
    clock.t += 5;
    assert.equal(p.need(), true);
  });

  it('overhead P says yes before any checkpoint was timed', () => {
    const { p, clock } = make({ overhead: 10 });
    assert.equal(p.need(), true);
    assert.equal(p.lastReason, 'no checkpoint timed yet (SCR_CHECKPOINT_OVERHEAD=10%)');
    clock.t += 1e6;
    assert.equal(p.need(), true);
  });

  it('overhead P: yes once avg / (since + avg) falls to P percent', () => {
    const { p, clock, checkpoint } = make({ overhead: 10 });
    checkpoint(10); // avg 10 s
    assert.equal(p.need(), false); // 10 / (0 + 10) = 100 %
    clock.t += 89; // 10 / 99 = 10.1 %
    assert.equal(p.need(), false);
    clock.t += 1; // 10 / 100 = 10 %: within the limit
    assert.equal(p.need(), true);
    assert.equal(p.lastReason, 'a checkpoint now costs 10% of the time (SCR_CHECKPOINT_OVERHEAD=10%)');
    clock.t += 10;
    assert.equal(p.need(), true);
  });

  it('overhead P uses the mean duration of all checkpoints so far', () => {
    const { p, clock, checkpoint } = make({ overhead: 10 });
    checkpoint(10);
    clock.t += 90;
    checkpoint(30); // avg 20 s: need 180 s since the end
    clock.t += 179;
    assert.equal(p.need(), false);
    clock.t += 1;
    assert.equal(p.need(), true);
    clock.t += 100;
    checkpoint(20); // avg still 20
    clock.t += 179;
    assert.equal(p.need(), false);
    clock.t += 1;
    assert.equal(p.need(), true);
  });

  it('overhead P with instantaneous checkpoints says yes (no 0/0)', () => {
    const { p, checkpoint } = make({ overhead: 5 });
    checkpoint(0);
    assert.equal(p.need(), true);
  });

  it('overhead 100 says yes even right after a checkpoint', () => {
    const { p, checkpoint } = make({ overhead: 100 });
    checkpoint(50);
    assert.equal(p.need(), true);
  });

  it('auto says yes before any checkpoint was timed (one is needed to learn the cost)', () => {
    const { p, clock } = make({ seconds: 'auto', mtbf: 10_000 });
    assert.equal(p.need(), true);
    assert.equal(p.lastReason, 'no checkpoint timed yet (SCR_CHECKPOINT_SECONDS=auto)');
    assert.equal(p.advisedInterval, null);
    p.checkpointStarted();
    clock.t += 1;
    assert.equal(p.need(), true, 'a checkpoint in progress is not timed yet');
  });

  it("auto follows Daly's interval for the mean measured cost and SCR_MTBF, updated by each checkpoint", () => {
    const { p, clock, checkpoint } = make({ seconds: 'auto', mtbf: 10_000 });
    checkpoint(8); // mean cost 8 s, M = 10000 s
    // Daly: 400·(1 + 0.02/3 + 0.0004/9) − 8 = 394.684 s (sqrt(2·8·10000) = 400, C/(2M) = 0.0004)
    assert.ok(Math.abs(p.advisedInterval! - 394.684444) < 1e-6);
    clock.t += 394.6;
    assert.equal(p.need(), false);
    assert.equal(p.lastReason, null);
    clock.t += 0.1; // 394.7 s since the end
    assert.equal(p.need(), true);
    assert.equal(p.lastReason, '394.7 s since the last checkpoint reached the advised interval of 394.7 s ' +
      "(SCR_CHECKPOINT_SECONDS=auto: Daly's optimum for a mean checkpoint cost of 8 s over 1 checkpoint and SCR_MTBF=10000 s)");
    checkpoint(24); // mean (8 + 24)/2 = 16 s
    // Daly: sqrt(320000)·(1 + 0.0282843/3 + 0.0008/9) − 16 = 565.685·1.009517 − 16 = 555.069 s
    assert.ok(Math.abs(p.advisedInterval! - 555.06904) < 1e-4);
    clock.t += 555;
    assert.equal(p.need(), false, 'the longer measured cost lengthened the interval');
    clock.t += 0.1;
    assert.equal(p.need(), true);
    assert.match(p.lastReason!, /advised interval of 555\.1 s .*mean checkpoint cost of 16 s over 2 checkpoints and SCR_MTBF=10000 s/);
  });

  it('auto without SCR_MTBF assumes 24 h and says so', () => {
    const { p, clock, checkpoint } = make({ seconds: 'auto', mtbf: null });
    assert.equal(p.mtbf, 86_400);
    checkpoint(300);
    // Daly's own example (δ = 5 min, M = 24 h): 120 min·(1 + (1/3)(1/24) + (1/9)(1/576)) − 5 min = 116.69 min = 7001.4 s
    clock.t += 7001.3;
    assert.equal(p.need(), false);
    clock.t += 0.1;
    assert.equal(p.need(), true);
    assert.match(p.lastReason!, /advised interval of 7001\.4 s .*cost of 300 s over 1 checkpoint and an MTBF of 86400 s \(24 h, assumed: SCR_MTBF is unset\)/);
  });

  it('auto with a cost of at least 2·MTBF checkpoints every MTBF seconds (Daly)', () => {
    const { p, clock, checkpoint } = make({ seconds: 'auto', mtbf: 100 });
    checkpoint(250);
    assert.equal(p.advisedInterval, 100);
    clock.t += 99.9;
    assert.equal(p.need(), false);
    clock.t += 0.1;
    assert.equal(p.need(), true);
  });

  it('auto and the other rules: any of them saying yes is enough', () => {
    const { p, clock, checkpoint } = make({ seconds: 'auto', mtbf: 10_000, interval: 3 });
    checkpoint(8);
    assert.deepEqual(calls(p, 3), [false, false, true]);
    clock.t += 400;
    assert.equal(p.need(), true);
    assert.match(p.lastReason!, /SCR_CHECKPOINT_SECONDS=auto/);
  });

  it('a clock that goes backwards counts as no time, and a negative duration as 0', () => {
    const { p, clock } = make({ seconds: 10, overhead: 50 });
    p.checkpointStarted();
    clock.t -= 100;
    p.checkpointCompleted(); // cost 0 → overhead 0 %
    assert.equal(p.need(), true);
    const q = make({ seconds: 10 });
    q.clock.t -= 1000;
    assert.equal(q.p.need(), false);
  });

  it('several rules: yes if any says so', () => {
    const { p, clock, checkpoint } = make({ interval: 4, seconds: 60 });
    assert.deepEqual(calls(p, 4), [false, false, false, true]); // interval
    clock.t += 60;
    assert.equal(p.need(), true); // seconds (call 5)
    checkpoint(1);
    assert.deepEqual(calls(p, 3), [false, false, true]); // calls 6, 7, 8: interval
    const all = make({ interval: 100, seconds: 1000, overhead: 10 });
    assert.equal(all.p.need(), true); // overhead: nothing timed yet
    all.checkpoint(10);
    assert.equal(all.p.need(), false);
    all.clock.t += 90;
    assert.equal(all.p.need(), true); // overhead 10 %
  });

  it('a newer checkpointNow counter says yes exactly once', () => {
    const { p } = make({ interval: 1000 });
    assert.equal(p.need({ checkpointNow: 0 }), false);
    assert.equal(p.need({ checkpointNow: 1 }), true);
    assert.equal(p.lastReason, 'checkpoint requested (scr halt --checkpoint-now)');
    assert.equal(p.need({ checkpointNow: 1 }), false);
    assert.equal(p.need(), false);
    assert.equal(p.need({ checkpointNow: 3 }), true); // two requests since: one checkpoint
    assert.deepEqual([p.need({ checkpointNow: 3 }), p.need({ checkpointNow: 3 })], [false, false]);
  });

  it('a counter that went down (file removed) becomes the new base without a checkpoint', () => {
    const { p } = make({ interval: 1000 });
    assert.equal(p.need({ checkpointNow: 5 }), true);
    assert.equal(p.need({ checkpointNow: 0 }), false);
    assert.equal(p.need({ checkpointNow: 1 }), true);
  });

  it('requests made before the job started are not served (checkpointNowSeen)', () => {
    const clock = { t: 0 };
    const p = new CheckpointPolicy({ interval: 1000, checkpointNowSeen: 5, now: () => clock.t });
    assert.equal(p.need({ checkpointNow: 5 }), false);
    assert.equal(p.need({ checkpointNow: 6 }), true);
    const fresh = new CheckpointPolicy({ interval: 1000, now: () => clock.t });
    assert.equal(fresh.need({ checkpointNow: 5 }), true);
  });

  it('request() registers for the next need(); a checkpoint started meanwhile serves it', () => {
    const { p, checkpoint } = make({ interval: 1000 });
    assert.equal(p.request(1), true);
    assert.equal(p.request(1), false);
    assert.equal(p.need(), true);
    assert.equal(p.need(), false);
    assert.equal(p.request(2), true);
    checkpoint(1);
    assert.equal(p.need(), false);
    // a request arriving during a checkpoint is served by the next one
    p.checkpointStarted();
    p.request(3);
    p.checkpointCompleted();
    assert.equal(p.need(), true);
  });

  it('a yes from another rule also serves a pending request', () => {
    const { p } = make({ interval: 2 });
    assert.equal(p.need(), false);
    assert.equal(p.need({ checkpointNow: 1 }), true);
    assert.equal(p.lastReason, 'checkpoint requested (scr halt --checkpoint-now)');
    assert.equal(p.need({ checkpointNow: 1 }), false);
    assert.equal(p.need({ checkpointNow: 1 }), true);
    assert.equal(p.lastReason, 'call 4 is a multiple of SCR_CHECKPOINT_INTERVAL=2');
  });

  it('checkpointCompleted without checkpointStarted is an error', () => {
    const { p, checkpoint } = make();
    assert.throws(() => p.checkpointCompleted(), /without checkpointStarted/);
    checkpoint(1);
    assert.throws(() => p.checkpointCompleted(), /without checkpointStarted/);
  });

  it('rejects settings out of range', () => {
    assert.throws(() => new CheckpointPolicy({ interval: -1 }), RangeError);
    assert.throws(() => new CheckpointPolicy({ interval: 1.5 }), RangeError);
    assert.throws(() => new CheckpointPolicy({ seconds: Number.NaN }), RangeError);
    assert.throws(() => new CheckpointPolicy({ seconds: -5 }), RangeError);
    assert.throws(() => new CheckpointPolicy({ overhead: 101 }), /overhead must be a non-negative percentage up to 100/);
    assert.throws(() => new CheckpointPolicy({ overhead: -1 }), RangeError);
    assert.throws(() => new CheckpointPolicy({ checkpointNowSeen: -1 }), RangeError);
    assert.throws(() => new CheckpointPolicy({ seconds: 'sometimes' as 'auto' }), /seconds must be a non-negative number or 'auto', not sometimes/);
    assert.throws(() => new CheckpointPolicy({ seconds: 'auto', mtbf: 0 }), /mtbf must be a positive number of seconds, not 0/);
    assert.throws(() => new CheckpointPolicy({ seconds: 'auto', mtbf: Number.NaN }), RangeError);
    assert.throws(() => new CheckpointPolicy().request(1.5), RangeError);
    assert.equal(new CheckpointPolicy({ interval: 2, seconds: 0.5, overhead: 100 }).overhead, 100);
  });

  it('defaults to a real monotonic clock', () => {
    const p = new CheckpointPolicy({ seconds: 3600 });
    assert.equal(p.need(), false);
    p.checkpointStarted();
    p.checkpointCompleted();
    assert.equal(p.need(), false);
  });
});
