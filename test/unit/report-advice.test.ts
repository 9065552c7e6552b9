// scr report's interval advice (src/report/advice.ts) on the hand-written log of
// test/harness/report-log.ts, every expected value worked out by hand below.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { autoMtbf } from '../../src/scr/history-mtbf.js';
import { parseLog } from '../../src/report/events.js';
import { intervalAdvice } from '../../src/report/advice.js';
import { summarize, type Summary } from '../../src/report/summary.js';
import { REPORT_LOG } from '../harness/report-log.js';

const close = (got: number | null | undefined, want: number, what: string) => assert.ok(got !== null && got !== undefined && Math.abs(got - want) < 1e-4, `${what}: ${got} ≠ ${want}`);

describe('scr report: how often to checkpoint', () => {
  const s = summarize(parseLog(REPORT_LOG).events);

  it('measures the inputs from the log: costs, the interval used, flushes, the observed MTBF', () => {
    const a = intervalAdvice(s, null);
    // Cache cost = writing + blocking per checkpoint: 1.0, 0.5, 1.0, 0.45, 0.8 → median 0.8.
    close(a.cacheCost, 0.8, 'cache cost');
    // The one synchronous flush took 2 s (the asynchronous one costs the application nothing).
    close(a.flushCost, 2, 'flush cost');
    // Run 1: ckpt.1 ends at :03, ckpt.2 at :11: 8 s, less ckpt.2's 0.5 s and the 2 s sync flush = 5.5.
    close(a.current.interval, 5.5, 'interval used');
    // 5 cache checkpoints, 2 flushes: every 2.5 → 3.
    assert.equal(a.current.flush, 3);
    // Two failures (runs 1 and 3) in 19 + 9 + 8 + 3 = 39 s of runs: 19.5 s.
    assert.deepEqual(a.mtbf, { seconds: 19.5, source: 'observed' });
  });

  it('one level: Young, Daly and the expected waste match the formulas', () => {
    const a = intervalAdvice(s, 3600); // observed wins over SCR_MTBF with two failures
    // Young: sqrt(2 · 0.8 · 19.5) = sqrt(31.2) = 5.585696.
    close(a.single?.young, 5.585696, 'Young');
    // Daly: x = 0.8/39 = 0.0205128; sqrt(31.2)·(1 + sqrt(x)/3 + x/9) − 0.8 = 5.585696 · 1.050020 − 0.8 = 5.065094.
    close(a.single?.daly, 5.065094, 'Daly');
    // Waste at 5.5 s: 1 − 5.5 / (19.5 · (e^(6.3/19.5) − 1)) = 1 − 5.5 / 7.437128 = 0.260429.
    close(a.single?.wasteNow, 0.260429, 'waste now');
    close(a.single?.wasteAtDaly, 0.259774, 'waste at Daly');
  });

  it('with fewer than two failures it takes SCR_MTBF, or says to set it', () => {
    const one: Summary = { ...s, failures: s.failures.slice(0, 1) };
    const a = intervalAdvice(one, 3600);
    assert.deepEqual(a.mtbf, { seconds: 3600, source: 'SCR_MTBF' });
    // Young: sqrt(2 · 0.8 · 3600) = sqrt(5760) = 75.894664; Daly: x = 0.8/7200, factor 1.0035260 → 76.16227 − 0.8.
    close(a.single?.young, 75.894664, 'Young with SCR_MTBF');
    close(a.single?.daly, 75.36227, 'Daly with SCR_MTBF');
    const none = intervalAdvice(one, null);
    assert.equal(none.single, null);
    assert.match(none.notes.join('\n'), /1 failure\(s\) observed, fewer than 2: set SCR_MTBF \(seconds\) to get advice/);
  });

  it('two levels: every failure survived by the cache asks for no flush; half and half advises SCR_FLUSH=2', () => {
    const a = intervalAdvice(s, null);
    // Failure 1 → run 2 restarted from the rebuilt cache; failure 3 → run 4 from the cache: share 1.
    assert.equal(a.twoLevel?.cacheShare, 1);
    assert.equal(a.twoLevel?.flush, null);
    close(a.twoLevel?.interval, 5.585696, 'T with λ2 = 0 is Young\'s');
    // Used: k = 3, T = 5.5: (0.8 + 2/3)/5.5 + (1/19.5)·5.5/2 = 0.266667 + 0.141026.
    close(a.twoLevel?.wasteNow, 0.407692, 'two-level waste now');

    const half: Summary = { ...s, restarts: s.restarts.map((r) => (r.run === 2 ? { ...r, from: 'file system' as const } : r)) };
    const b = intervalAdvice(half, null);
    assert.equal(b.twoLevel?.cacheShare, 0.5);
    // λ1 = λ2 = λ = 0.5/19.5; k* = sqrt(2 · λ / (0.8 · λ)) = 1.58; (0.8 + 2/k)(1 + k)λ: k=1 → 5.6λ, k=2 → 5.4λ: 2.
    assert.equal(b.twoLevel?.flush, 2);
    // T = sqrt(2 · 1.8 / (3λ)) = sqrt(46.8) = 6.841053; waste = sqrt(2 · 5.4λ) = sqrt(0.276923) = 0.526235.
    close(b.twoLevel?.interval, 6.841053, 'two-level T');
    close(b.twoLevel?.waste, 0.526235, 'two-level waste');
    // Used: (0.8 + 2/3)/5.5 + 4λ · 5.5/2 = 0.266667 + 0.282051.
    close(b.twoLevel?.wasteNow, 0.548718, 'two-level waste now');
  });

  it('SCR_CHECKPOINT_SECONDS=auto takes the MTBF the job\'s log shows, else SCR_MTBF', async () => {
    const prefix = mkdtempSync('/tmp/scr-auto-mtbf-');
    try {
      assert.deepEqual(await autoMtbf(prefix, 5000), { mtbf: 5000 }, 'no log: SCR_MTBF');
      mkdirSync(join(prefix, '.scr'));
      writeFileSync(join(prefix, '.scr', 'log'), REPORT_LOG);
      assert.deepEqual(await autoMtbf(prefix, 5000), { mtbf: 19.5, source: 'an MTBF of 20 s observed in the job\'s event log (2 failures in 39 s of runs)' });
      writeFileSync(join(prefix, '.scr', 'log'), REPORT_LOG.split('\n').slice(0, 25).join('\n'));
      assert.deepEqual(await autoMtbf(prefix, null), { mtbf: null }, 'one failure: not enough history, and no SCR_MTBF');
    } finally { rmSync(prefix, { recursive: true, force: true }); }
  });
});

describe('scr report: what counts, on logs the hand-written one does not cover', () => {
  const at = (s: number) => `2026-12-02T00:00:${String(s).padStart(2, '0')}.000Z`;

  it('a flushed output is not a file-system checkpoint', () => {
    const s = summarize(parseLog([
      `${at(1)} START name=c.1 id=1 flags=C`, `${at(2)} CHECKPOINT name=c.1 id=1 bytes=10 seconds=1.000 files=1 write=0.500 redundancy=0 blocking=0.500`,
      `${at(3)} FLUSH name=c.1 id=1 bytes=10 seconds=2.000 mode=sync`,
      `${at(4)} START name=o.2 id=2 flags=O`, `${at(5)} OUTPUT name=o.2 id=2 bytes=10 seconds=1.000 files=1`,
      `${at(6)} FLUSH name=o.2 id=2 bytes=10 seconds=9.000 mode=sync`, `${at(7)} FINALIZE`].join('\n')).events);
    assert.deepEqual(s.flushList.map((f) => f.name), ['c.1']);
    assert.equal(s.levels.fileSystem.count, 1);
  });

  it('the last run of a job cancelled or out of time is not a failure, though a signal ended it', () => {
    for (const code of ['signal', 'time', 'runs']) {
      const s = summarize(parseLog([
        `${at(1)} JOB_START job=7 rm=slurm nodes=a,b runs=1`, `${at(2)} RUN run=1 nodes=a,b after=start`,
        `${at(9)} RUN_END run=1 signal=SIGTERM seconds=7`, `${at(10)} JOB_END code=${code} runs=1 seconds=9 reason=x`].join('\n')).events);
      assert.equal(s.failures.length, code === 'runs' ? 1 : 0, code);
    }
  });

  it('a log with more checkpoints than a spread of arguments allows is summarised', () => {
    const events = Array.from({ length: 200_000 }, (_, i) => ({ line: i + 1, time: i * 1000, kind: 'CHECKPOINT', known: true, fields: { name: `c.${i}`, id: i, bytes: 1, seconds: 0.5, blocking: i === 7 ? 3 : 0.5 } }));
    assert.equal(summarize(events).levels.cache.worstBlocking, 3);
  });
});
