// Per-checkpoint timings (src/scr/output-timing.ts): the blocking time the application waited in
// startOutput and completeOutput, its steps, and the writing in between — on the event log's
// CHECKPOINT line and, with SCR_DEBUG=1, on one stderr line per checkpoint from rank 0.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OutputTimer } from '../../src/scr/output-timing.js';
import { flavoursBuilt } from '../harness/launch.js';
import { cleanup, newSimJob, runOnNodes, type SimJob } from '../harness/sim.js';

const app = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures', 'ckpt-app.js');
const flavour = flavoursBuilt()[0]!;

describe('per-checkpoint timings', function () {
  this.timeout(120_000);

  it('splits the time at the marks given (milliseconds in, seconds out)', () => {
    const t = new OutputTimer(1000); // startOutput called at 1.000 s
    t.started(1250); // returned at 1.250: 0.250 s in startOutput
    t.completing(3250); // completeOutput called 2.000 s later: the writing
    t.step('checks', 3300); // 0.050
    t.step('redundancy', 3700); // 0.400
    t.step('record', 3750); // 0.050
    t.step('flush', 3750); // 0
    const x = t.totals(3800); // returns at 3.800: 0.550 s in completeOutput, of which 0.050 other
    assert.deepEqual([x.start, x.write, x.complete, x.blocking], [0.25, 2, 0.55, 0.8]);
    assert.equal(t.line('checkpoint c (id 1)', 3 * 2 ** 20, 2, 'XOR', 3800),
      'checkpoint c (id 1): 3.0 MiB in 2 file(s); the application waited 0.800 s (startOutput 0.250, completeOutput 0.550: ' +
      'checks 0.050, redundancy XOR 0.400, record 0.050, flush 0.000, other 0.050) and wrote for 2.000 s between them');
  });

  it('SCR_DEBUG=1 with SCR_CHECKPOINT_SECONDS=auto: rank 0 says why needCheckpoint said yes', async function () {
    const job = newSimJob('auto', { SCR_FLUSH: '0', SCR_COPY_TYPE: 'SINGLE', SCR_DEBUG: '1', SCR_CHECKPOINT_SECONDS: 'auto', SCR_MTBF: '100000' });
    try {
      mkdirSync(job.prefix, { recursive: true });
      const r = await runOnNodes(flavour, job, ['n0', 'n1'], [app, '--ckpts', '3', '--files', '1', '--need', '1']);
      assert.equal(r.code, 0, r.stderr);
      // Only the first ask says yes (no checkpoint timed yet); after it, Daly's interval for a cost
      // of milliseconds and M = 100000 s is about a minute, which the next asks have not reached.
      const answers = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => (JSON.parse(l) as { need: boolean[] }).need);
      assert.deepEqual(answers, [[true, false, false], [true, false, false]]);
      const why = r.stderr.split('\n').filter((l) => l.includes('needCheckpoint: yes'));
      assert.deepEqual(why, ['scr[0]: needCheckpoint: yes: no checkpoint timed yet (SCR_CHECKPOINT_SECONDS=auto)'], r.stderr);
    } finally { cleanup(job); }
  });

  describe(`in a job (${flavour})`, () => {
    let job: SimJob;
    afterEach(() => cleanup(job));

    for (const debug of ['1', '0']) {
      it(`SCR_DEBUG=${debug}: ${debug === '1' ? 'one line per checkpoint from rank 0, adding up' : 'no such line'}; the log's CHECKPOINT lines carry write, redundancy and blocking`, async () => {
        job = newSimJob('timing', { SCR_FLUSH: '2', SCR_COPY_TYPE: 'XOR', SCR_DEBUG: debug });
        mkdirSync(job.prefix, { recursive: true });
        const r = await runOnNodes(flavour, job, ['n0', 'n1', 'n2'], [app, '--ckpts', '3', '--files', '2']);
        assert.equal(r.code, 0, r.stderr);
        const lines = r.stderr.split('\n').filter((l) => /: checkpoint ckpt\.\d \(id \d\): /.test(l));
        if (debug === '0') { assert.deepEqual(lines, []); } else {
          assert.deepEqual(lines.map((l) => l.slice(0, l.indexOf(':'))), ['scr[0]', 'scr[0]', 'scr[0]'], r.stderr);
          for (const l of lines) {
            const m = /waited ([\d.]+) s \(startOutput ([\d.]+), completeOutput ([\d.]+): checks [\d.]+, redundancy XOR [\d.]+, record [\d.]+, flush ([\d.]+), other [\d.]+\) and wrote for [\d.]+ s/.exec(l);
            assert.ok(m, l);
            assert.ok(Math.abs(Number(m[1]) - Number(m[2]) - Number(m[3])) <= 0.0015, `the parts add up: ${l}`);
          }
          // The second checkpoint is flushed (SCR_FLUSH=2), inside completeOutput.
          assert.ok(Number(/flush ([\d.]+)/.exec(lines[1]!)![1]) > 0, lines[1]);
        }
        const log = readFileSync(join(job.prefix, '.scr', 'log'), 'utf8');
        const ck = log.split('\n').filter((l) => / CHECKPOINT /.test(l));
        assert.equal(ck.length, 3, log);
        for (const l of ck) assert.match(l, /MiB\/s=[\d.]+ write=[\d.]+ redundancy=[\d.]+ blocking=[\d.]+$/);
      });
    }
  });
});

describe('event log values', () => {
  it('a string with a blank, a quote or = becomes a JSON string, once; numbers as documented', async () => {
    const { logValue } = await import('../../src/scr/log.js');
    assert.deepEqual(['ckpt 3', 'a=b', 'say "x"', '', 'plain', '"SIGTERM"', '"already quoted"', 3, 2.5].map((v) => logValue(v)),
      ['"ckpt 3"', '"a=b"', '"say \\"x\\""', '""', 'plain', '"SIGTERM"', '"already quoted"', '3', '2.500']);
  });
});
