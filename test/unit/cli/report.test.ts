// scr report as a user runs it: the summary, --json, and its user errors (exit 2, one line and a hint).
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanEnv, scr, tempDir } from '../../harness/cli.js';
import { REPORT_LOG } from '../../harness/report-log.js';

describe('scr report (command)', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('report');
    mkdirSync(join(dir, 'p', '.scr'), { recursive: true, mode: 0o700 });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the summary, names the malformed line, and gives the model as JSON', () => {
    writeFileSync(join(dir, 'p', '.scr', 'log'), REPORT_LOG);
    const r = scr(['report'], { env: cleanEnv({ SCR_PREFIX: join(dir, 'p') }), cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^scr report: warning: .*\/p\/\.scr\/log:26: "this" is not a UTC ISO time .*; the line is skipped$/m);
    assert.match(r.stdout, /^time spent checkpointing: +3\.95 s of 39\.00 s run time: 10\.1 %$/m);
    assert.match(r.stdout, /^cache +5 +600\.0 MiB +400\.0 ms +600\.0 ms +500\.0 ms +185 MiB\/s$/m);
    assert.match(r.stdout, /^1 +2026-12-01 10:00:20Z +killed by SIGKILL +n1 +ckpt\.2 +9\.00 s$/m);
    const j = scr(['report', '--json', '--prefix', join(dir, 'p')], { env: cleanEnv(), cwd: dir });
    assert.equal(j.code, 0, j.stderr);
    const out = JSON.parse(j.stdout) as { malformed: Array<{ line: number }>; summary: { advice: unknown }; events: Array<{ line: number; kind: string; fields: Record<string, unknown> }>; advice: { mtbf: unknown } };
    assert.deepEqual(out.malformed.map((m) => m.line), [26]);
    // The log as JSON: every line but the malformed one, with its fields typed.
    assert.equal(out.events.length, REPORT_LOG.trim().split('\n').length - 1);
    assert.deepEqual(out.events.find((e) => e.kind === 'HALT')?.fields, { reason: 'SCR_HALT_SECONDS: 60 s "left"' });
    assert.deepEqual(out.advice.mtbf, { seconds: 19.5, source: 'observed' });
    assert.deepEqual(out.summary.advice, { cacheCostSeconds: 0.4, flushCostSeconds: 3, failures: 2, runSeconds: 39 });
  });

  it('a missing prefix, a missing log and an HTML file that cannot be written are exit 2, naming the problem', () => {
    let r = scr(['report', '--prefix', join(dir, 'nope')], { env: cleanEnv(), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^scr report: the prefix directory .*\/nope does not exist$/m);
    r = scr(['report', '--prefix', join(dir, 'p')], { env: cleanEnv(), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^scr report: no event log in .*\/p\/\.scr: nothing to report\nhint: .*SCR_LOG_ENABLE=1/m);
    writeFileSync(join(dir, 'p', '.scr', 'log'), REPORT_LOG);
    r = scr(['report', '--prefix', join(dir, 'p'), '--html', join(dir, 'no', 'such', 'r.html')], { env: cleanEnv(), cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^scr report: cannot write the HTML report .*\/no\/such\/r\.html: /m);
    r = scr(['report', '--bogus'], { env: cleanEnv(), cwd: dir });
    assert.equal(r.code, 2);
  });
});
