// Halt conditions: every condition at, just before and just after its boundary; which one is
// named when several hold; the finalized marker (run wrapper only); the checkpoint decrement.
import assert from 'node:assert/strict';
import { afterCheckpoint, haltReason, runShouldStop, type HaltContext, type HaltRecord } from '../../../src/halt/index.js';

const T = Date.UTC(2026, 10, 22, 1, 0, 0) / 1000; // 2026-11-22T01:00:00Z
const ctx = (now: number, over: Partial<HaltContext> = {}): HaltContext => ({ now, endTime: null, haltSeconds: 0, ...over });

describe('halt conditions', () => {
  it('an empty record never halts, whatever the time', () => {
    for (const c of [ctx(0), ctx(T), ctx(T, { haltSeconds: 600 }), ctx(T, { endTime: T + 10_000, haltSeconds: 600 })]) {
      assert.equal(haltReason({}, c), null);
      assert.equal(runShouldStop({}, c), null);
    }
  });

  it('a non-empty reason halts now; an empty one does not', () => {
    assert.equal(haltReason({ reason: 'maintenance at 02:00' }, ctx(T)), 'halt requested: maintenance at 02:00');
    assert.equal(haltReason({ reason: '' }, ctx(T)), null);
  });

  it('checkpointsLeft halts at 0 only', () => {
    assert.equal(haltReason({ checkpointsLeft: 0 }, ctx(T)), 'checkpoints left reached 0');
    assert.equal(haltReason({ checkpointsLeft: 1 }, ctx(T)), null);
    assert.equal(haltReason({ checkpointsLeft: 5 }, ctx(T)), null);
  });

  it('exitAfter halts from that second on', () => {
    const h: HaltRecord = { exitAfter: T };
    assert.equal(haltReason(h, ctx(T - 1)), null);
    assert.equal(haltReason(h, ctx(T - 0.001)), null);
    assert.equal(haltReason(h, ctx(T)), 'exit-after time 2026-11-22T01:00:00Z passed');
    assert.equal(haltReason(h, ctx(T + 3600)), 'exit-after time 2026-11-22T01:00:00Z passed');
    // SCR_HALT_SECONDS is no margin for exit-after
    assert.equal(haltReason(h, ctx(T - 1, { haltSeconds: 600 })), null);
  });

  it('exitBefore halts when now + SCR_HALT_SECONDS reaches it', () => {
    const h: HaltRecord = { exitBefore: T };
    const c = (now: number) => ctx(now, { haltSeconds: 600 });
    assert.equal(haltReason(h, c(T - 601)), null);
    assert.equal(haltReason(h, c(T - 600)), 'exit-before time 2026-11-22T01:00:00Z is within 600 s');
    assert.equal(haltReason(h, c(T - 1)), 'exit-before time 2026-11-22T01:00:00Z is within 600 s');
    assert.equal(haltReason(h, c(T)), 'exit-before time 2026-11-22T01:00:00Z passed');
    assert.equal(haltReason(h, c(T + 5)), 'exit-before time 2026-11-22T01:00:00Z passed');
  });

  it('exitBefore without any seconds halts at that time', () => {
    const h: HaltRecord = { exitBefore: T };
    assert.equal(haltReason(h, ctx(T - 1)), null);
    assert.equal(haltReason(h, ctx(T)), 'exit-before time 2026-11-22T01:00:00Z passed');
  });

  it('the halt file\'s seconds override SCR_HALT_SECONDS for exitBefore, 0 included', () => {
    assert.equal(haltReason({ exitBefore: T, seconds: 1200 }, ctx(T - 1200)), 'exit-before time 2026-11-22T01:00:00Z is within 1200 s');
    assert.equal(haltReason({ exitBefore: T, seconds: 1200 }, ctx(T - 1201, { haltSeconds: 5000 })), null);
    assert.equal(haltReason({ exitBefore: T, seconds: 0 }, ctx(T - 1, { haltSeconds: 600 })), null);
    assert.equal(haltReason({ exitBefore: T, seconds: 0 }, ctx(T, { haltSeconds: 600 })), 'exit-before time 2026-11-22T01:00:00Z passed');
  });

  it('halts when fewer than SCR_HALT_SECONDS of the allocation remain', () => {
    const c = (now: number) => ctx(now, { endTime: T, haltSeconds: 600 });
    assert.equal(haltReason({}, c(T - 601)), null);
    assert.equal(haltReason({}, c(T - 600)), null); // exactly 600 left: not fewer
    assert.equal(haltReason({}, c(T - 599)), 'allocation ends in 599 s (< 600 s)');
    assert.equal(haltReason({}, c(T - 120)), 'allocation ends in 120 s (< 600 s)');
    assert.equal(haltReason({}, c(T - 0.5)), 'allocation ends in 0 s (< 600 s)');
    assert.equal(haltReason({}, c(T)), 'allocation end time 2026-11-22T01:00:00Z passed');
    assert.equal(haltReason({}, c(T + 30)), 'allocation end time 2026-11-22T01:00:00Z passed');
  });

  it('the allocation rule is off without an end time or without seconds', () => {
    assert.equal(haltReason({}, ctx(T, { endTime: null, haltSeconds: 600 })), null);
    assert.equal(haltReason({}, ctx(T, { endTime: 0, haltSeconds: 600 })), null); // 0 = unknown/unlimited
    assert.equal(haltReason({}, ctx(T - 1, { endTime: T, haltSeconds: 0 })), null);
    assert.equal(haltReason({ seconds: 0 }, ctx(T - 1, { endTime: T, haltSeconds: 600 })), null);
  });

  it('the halt file\'s seconds override SCR_HALT_SECONDS for the allocation', () => {
    assert.equal(haltReason({ seconds: 1800 }, ctx(T - 1700, { endTime: T, haltSeconds: 0 })), 'allocation ends in 1700 s (< 1800 s)');
    assert.equal(haltReason({ seconds: 60 }, ctx(T - 120, { endTime: T, haltSeconds: 600 })), null);
    assert.equal(haltReason({ seconds: 60 }, ctx(T - 59, { endTime: T, haltSeconds: 600 })), 'allocation ends in 59 s (< 60 s)');
  });

  it('names the first condition that holds: reason, checkpoints, exit-after, exit-before, allocation', () => {
    const all: HaltRecord = { reason: 'r', checkpointsLeft: 0, exitAfter: T - 10, exitBefore: T + 10, seconds: 600 };
    const c = ctx(T, { endTime: T + 100 });
    assert.equal(haltReason(all, c), 'halt requested: r');
    assert.equal(haltReason({ ...all, reason: undefined }, c), 'checkpoints left reached 0');
    assert.equal(haltReason({ ...all, reason: undefined, checkpointsLeft: 2 }, c), 'exit-after time 2026-11-22T00:59:50Z passed');
    assert.equal(haltReason({ ...all, reason: undefined, checkpointsLeft: 2, exitAfter: undefined }, c),
      'exit-before time 2026-11-22T01:00:10Z is within 600 s');
    assert.equal(haltReason({ seconds: 600, checkpointsLeft: 2, exitAfter: T + 1, exitBefore: T + 601 }, c), 'allocation ends in 100 s (< 600 s)');
  });

  it('finalized alone does not halt the application but stops the run wrapper', () => {
    assert.equal(haltReason({ finalized: true }, ctx(T)), null);
    assert.equal(runShouldStop({ finalized: true }, ctx(T)), 'finalize was called: the job finished');
    assert.equal(runShouldStop({ finalized: true, reason: 'x' }, ctx(T)), 'finalize was called: the job finished');
    assert.equal(runShouldStop({ finalized: false }, ctx(T)), null);
  });

  it('the run wrapper also stops on every halt condition', () => {
    assert.equal(runShouldStop({ reason: 'signal USR1' }, ctx(T)), 'halt requested: signal USR1');
    assert.equal(runShouldStop({ checkpointsLeft: 0 }, ctx(T)), 'checkpoints left reached 0');
    assert.equal(runShouldStop({}, ctx(T - 10, { endTime: T, haltSeconds: 60 })), 'allocation ends in 10 s (< 60 s)');
    assert.equal(runShouldStop({ exitAfter: T + 1 }, ctx(T)), null);
  });

  it('a checkpoint request or an unknown key is not a halt condition', () => {
    assert.equal(haltReason({ checkpointNow: 7 }, ctx(T)), null);
    assert.equal(haltReason({ futureKey: 1 } as HaltRecord, ctx(T)), null);
  });

  it('afterCheckpoint decrements checkpointsLeft, never below 0, without touching its argument', () => {
    const h: HaltRecord = { checkpointsLeft: 3, reason: 'keep', checkpointNow: 2 };
    assert.deepEqual(afterCheckpoint(h), { checkpointsLeft: 2, reason: 'keep', checkpointNow: 2 });
    assert.deepEqual(h, { checkpointsLeft: 3, reason: 'keep', checkpointNow: 2 });
    assert.deepEqual(afterCheckpoint({ checkpointsLeft: 1 }), { checkpointsLeft: 0 });
    assert.deepEqual(afterCheckpoint({ checkpointsLeft: 0 }), { checkpointsLeft: 0 });
    const none: HaltRecord = { exitAfter: T };
    const out = afterCheckpoint(none);
    assert.deepEqual(out, { exitAfter: T });
    assert.equal('checkpointsLeft' in out, false);
    assert.notEqual(out, none);
  });

  it('counting down: halts exactly after the N-th checkpoint', () => {
    let h: HaltRecord = { checkpointsLeft: 3 };
    const seen: (string | null)[] = [];
    for (let i = 0; i < 4; i++) {
      seen.push(haltReason(h, ctx(T)));
      h = afterCheckpoint(h);
    }
    assert.deepEqual(seen, [null, null, null, 'checkpoints left reached 0']);
  });
});
