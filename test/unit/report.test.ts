// scr report's parser (src/report/events.ts) and summary (src/report/summary.ts) on the
// hand-written log of test/harness/report-log.ts, whose numbers are worked out here.
import assert from 'node:assert/strict';
import { parseLine, parseLog } from '../../src/report/events.js';
import { summarize } from '../../src/report/summary.js';
import { REPORT_LOG } from '../harness/report-log.js';

const MIB = 2 ** 20;
const close = (a: number | null, b: number, what: string) => assert.ok(a !== null && Math.abs(a - b) < 1e-9, `${what}: ${a} != ${b}`);

describe('scr report: the event log parser', () => {
  it('reads every line of the log, numbers as numbers, JSON strings unquoted, and names the malformed line', () => {
    const { events, malformed } = parseLog(REPORT_LOG);
    assert.equal(events.length, 34);
    assert.deepEqual(malformed.map((m) => m.line), [26]);
    assert.match(malformed[0]!.why, /"this" is not a UTC ISO time/);
    const flush = events[5]!;
    assert.equal(flush.line, 6);
    assert.equal(flush.kind, 'FLUSH');
    assert.equal(flush.time, Date.UTC(2026, 11, 1, 10, 0, 4));
    assert.deepEqual(flush.fields, { name: 'ckpt.1', id: 1, bytes: 104857600, seconds: 2, 'MiB/s': 50, mode: 'sync', start: 0.1, copy: 1.8, finish: 0.1 });
    assert.equal(events.find((e) => e.kind === 'HALT')!.fields.reason, 'SCR_HALT_SECONDS: 60 s "left"');
    assert.equal(events.find((e) => e.kind === 'RUN' && e.fields.run === 2)!.fields.moved, 'n1→n2');
    assert.deepEqual(events.find((e) => e.kind === 'FINALIZE')!.fields, {});
    const future = events.find((e) => e.kind === 'FUTURE_KIND')!;
    assert.equal(future.known, false);
    assert.deepEqual(future.fields, { color: 'blue' });
    assert.equal(events.find((e) => e.kind === 'RUN_END' && e.fields.run === 2)!.fields.newfield, 7);
    assert.ok(events.filter((e) => e.kind !== 'FUTURE_KIND').every((e) => e.known));
  });

  it('says what is wrong with a malformed line', () => {
    const why = (t: string) => { const r = parseLine(t, 7); assert.ok('why' in r, t); assert.equal(r.line, 7); return r.why; };
    assert.match(why('2026-12-01 10:00:00 START name=a'), /is not a UTC ISO time/);
    assert.match(why('2026-12-01T10:00:00.000Z start name=a'), /"start" is not an event kind/);
    assert.match(why('2026-12-01T10:00:00.000Z'), /no event kind/);
    assert.match(why('2026-12-01T10:00:00.000Z HALT reason="never closed'), /reason has no closing quote/);
    assert.match(why('2026-12-01T10:00:00.000Z START name=a b id=1'), /"b" is not key=value/);
    assert.match(why('2026-12-01T10:00:00.000Z HALT reason="x"y'), /runs into "y"/);
    assert.match(why('2026-12-01T10:00:00.000Z START =1'), /a value without a key/);
  });
});

describe('scr report: the summary', () => {
  const s = summarize(parseLog(REPORT_LOG).events);

  it('finds the wrapper\'s job and runs, and the library-only runs after it', () => {
    assert.equal(s.jobs.length, 1);
    assert.deepEqual({ job: s.jobs[0]!.job, runs: s.jobs[0]!.runs, code: s.jobs[0]!.code, reason: s.jobs[0]!.reason }, { job: '42', runs: 2, code: 'finalized', reason: 'finalize was called: the job finished' });
    assert.deepEqual(s.runs.map((r) => [r.index, r.job, r.run, r.source, r.seconds, r.checkpoints, r.failed, r.finalized]), [
      [1, '42', 1, 'wrapper', 19, 2, true, false],
      [2, '42', 2, 'wrapper', 9, 1, false, true],
      [3, null, null, 'library', 8, 1, true, false],
      [4, null, null, 'library', 3, 1, false, true],
    ]);
    assert.equal(s.runs[0]!.signal, 'SIGKILL');
    assert.equal(s.runs[1]!.exit, 0);
    // Run 1's blocking: its checkpoints' 0.4 + 0.2 and the synchronous flush's 2 (the asynchronous one's 4 is not).
    close(s.runs[0]!.blockingSeconds, 2.6, 'run 1 blocking');
    assert.deepEqual(s.excludedNodes, ['n3']);
  });

  it('counts the checkpoints of each level with their median and worst blocking and their bandwidth', () => {
    const c = s.levels.cache;
    assert.equal(c.count, 5);
    assert.equal(c.bytes, 600 * MIB);
    close(c.medianBlocking, 0.4, 'cache median blocking');   // 0.2 0.25 [0.4] 0.5 0.6
    close(c.worstBlocking, 0.6, 'cache worst blocking');
    close(c.medianSeconds, 0.5, 'cache median seconds');     // 0.25 0.5 [0.5] 1 1
    close(c.mibPerSecond, 600 / 3.25, 'cache bandwidth');      // 600 MiB in 1 + 0.5 + 1 + 0.25 + 0.5 s
    const f = s.levels.fileSystem;
    assert.equal(f.count, 2);
    close(f.medianSeconds, 3, 'flush median seconds');
    close(f.medianBlocking, 1, 'flush median blocking');     // sync 2, async 0
    close(f.worstBlocking, 2, 'flush worst blocking');
    close(f.mibPerSecond, 200 / 6, 'file system bandwidth');
    assert.deepEqual(s.flushes, { sync: 1, async: 1 });
    assert.deepEqual([s.outputs, s.fetches, s.rebuilds, s.scavenges], [1, 1, 1, 1]);
    assert.deepEqual(s.halts, ['SCR_HALT_SECONDS: 60 s "left"']);
    assert.deepEqual(s.unknownKinds, { FUTURE_KIND: 1 });
  });

  it('gives the share of the run time spent checkpointing', () => {
    close(s.runSeconds, 19 + 9 + 8 + 3, 'run seconds');
    close(s.blockingSeconds, 2.6 + 0.6 + 0.25 + 0.5, 'blocking seconds');
    close(s.checkpointShare, 3.95 / 39, 'share');
  });

  it('lists the failures with the work each lost, and the restarts with where they came from', () => {
    assert.deepEqual(s.failures.map((f) => [f.run, f.cause, f.nodesDown, f.lastCheckpoint, f.lostSeconds]), [
      [1, 'killed by SIGKILL', ['n1'], 'ckpt.2', 9],              // 10:00:11 to RUN_END at 10:00:20
      [3, 'ended without FINALIZE', [], 'ckpt.5', 2],             // 11:00:06 to its last event at 11:00:08
    ]);
    assert.deepEqual(s.restarts.map((r) => [r.run, r.name, r.from]), [
      [2, 'ckpt.2', 'rebuilt in cache'],
      [3, 'ckpt.3', 'file system'],
      [4, 'ckpt.5', 'cache'],
    ]);
  });

  it('exposes the interval advice\'s inputs', () => {
    assert.deepEqual(s.advice, { cacheCostSeconds: 0.4, flushCostSeconds: 3, failures: 2, runSeconds: 39 });
  });

  it('without the wrapper, a FAILED fetch after a run\'s checkpoints starts the next run', () => {
    const log = [
      '2026-12-01T10:00:00.000Z START name=a id=1 flags=C',
      '2026-12-01T10:00:01.000Z CHECKPOINT name=a id=1 bytes=10 seconds=1.000 files=1 MiB/s=0.0 write=1.000 redundancy=0 blocking=1.000',
      '2026-12-01T10:00:04.000Z START name=b id=2 flags=C',
      '2026-12-01T10:00:10.000Z FAILED name=b id=2 why="fetching b failed on rank 0: missing"',
      '2026-12-01T10:00:11.000Z FETCH name=a id=1 bytes=10 seconds=1.000 MiB/s=0.0',
      '2026-12-01T10:00:12.000Z RESTART name=a id=1',
      '2026-12-01T10:00:13.000Z FINALIZE',
    ].join('\n');
    const t = summarize(parseLog(log).events);
    assert.deepEqual(t.runs.map((r) => [r.start, r.seconds, r.failed]), [[Date.UTC(2026, 11, 1, 10, 0, 0), 4, true], [Date.UTC(2026, 11, 1, 10, 0, 10), 3, false]]);
    assert.deepEqual(t.failures.map((f) => [f.run, f.lostSeconds]), [[1, 3]]);
    assert.deepEqual(t.restarts.map((r) => [r.run, r.from]), [[2, 'file system']]);
  });

  it('a watchdog kill and a non-zero exit are failures; a run with no checkpoint lost all its time', () => {
    const log = [
      '2026-12-01T10:00:00.000Z RUN run=1 nodes=n0 after=start',
      '2026-12-01T10:00:05.000Z WATCHDOG run=1 timeout=5 idle=5.001',
      '2026-12-01T10:00:05.500Z RUN_END run=1 signal=SIGTERM watchdog=1 seconds=5.500',
      '2026-12-01T10:00:06.000Z RUN run=2 nodes=n0 after=hang',
      '2026-12-01T10:00:08.000Z RUN_END run=2 exit=3 seconds=2.000',
    ].join('\n');
    const t = summarize(parseLog(log).events);
    assert.deepEqual(t.failures.map((f) => [f.run, f.cause, f.lostSeconds, f.lastCheckpoint]), [[1, 'watchdog kill', 5.5, null], [2, 'exit 3', 2, null]]);
    assert.equal(t.checkpointShare, 0);
    assert.deepEqual(t.advice, { cacheCostSeconds: null, flushCostSeconds: null, failures: 2, runSeconds: 7.5 });
  });
});
