// scr halt: every option writes its field of <prefix>/.scr/halt.scr (read back with readHalt), the
// TIME forms, --remove/--unset, the listing (text and JSON), concurrent edits from several
// processes, and the scr_halt name.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../../../src/cli/commands/index.js';
import { commandFromProgramName } from '../../../src/cli/run.js';
import { haltFilePath, readHalt, updateHalt } from '../../../src/halt/index.js';
import { cleanEnv, type CliResult, SCR_BIN, scr, tempDir } from '../../harness/cli.js';

/** Runs the CLI without waiting, so several can run at once. */
function scrAsync(args: string[], opts: { cwd?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [SCR_BIN, ...args], { cwd: opts.cwd, env: opts.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }));
  });
}

const IST = 19800; // Asia/Kolkata: UTC+05:30, no daylight saving

/** The next instant after `now` (epoch s) at which a UTC+05:30 clock reads h:m:s. */
function nextIst(now: number, h: number, m: number, s = 0): number {
  const dayStart = Math.floor((now + IST) / 86400) * 86400 - IST;
  const t = dayStart + h * 3600 + m * 60 + s;
  return t <= now ? t + 86400 : t;
}

/** The UTC+05:30 clock reading at epoch seconds t. */
function istClock(t: number): [number, number, number] {
  const d = new Date((t + IST) * 1000);
  return [d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()];
}

const p2 = (n: number) => String(n).padStart(2, '0');

describe('scr halt', function () {
  this.timeout(120_000);
  let dir: string;
  let prefix: string;
  const env = (extra: Record<string, string> = {}) => cleanEnv({ SCR_SYSTEM_CONF: join(dir, 'system.conf'), ...extra });
  const run = (args: string[], extra: Record<string, string> = {}) => scr(['halt', '--prefix', prefix, ...args], { cwd: dir, env: env(extra) });
  const ok = (args: string[], extra: Record<string, string> = {}) => {
    const r = run(args, extra);
    assert.equal(r.code, 0, `scr halt ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr, '');
    return r;
  };
  /** Exit 2 with one line on stderr (no stack trace) matching `msg`, and the halt file untouched. */
  const usage = async (args: string[], msg: RegExp) => {
    const before = await readHalt(prefix);
    const r = run(args);
    assert.equal(r.code, 2, `scr halt ${args.join(' ')} should be a usage error: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr.split('\n')[0]!, /^scr halt: /);
    assert.match(r.stderr, msg);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    assert.deepEqual(await readHalt(prefix), before);
  };

  beforeEach(() => {
    dir = tempDir('halt');
    prefix = join(dir, 'run1');
    mkdirSync(prefix);
    writeFileSync(join(dir, 'system.conf'), '');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('a bare scr halt sets the reason "scr halt", so the job halts at its next check', async () => {
    const r = ok([]);
    assert.equal(r.stdout, 'set reason: "scr halt"\n');
    assert.deepEqual(await readHalt(prefix), { reason: 'scr halt' });
    assert.equal(ok([]).stdout, `no change: ${haltFilePath(prefix)} already says so\n`);
  });

  it('each option writes its own field', async () => {
    ok(['--checkpoints', '3']);
    assert.deepEqual(await readHalt(prefix), { checkpointsLeft: 3 });
    ok(['--seconds', '600']);
    assert.deepEqual(await readHalt(prefix), { checkpointsLeft: 3, seconds: 600 });
    ok(['--before', '@1900000000']);
    ok(['--after', '@1800000000']);
    assert.deepEqual(await readHalt(prefix), { checkpointsLeft: 3, seconds: 600, exitBefore: 1900000000, exitAfter: 1800000000 });
    const c = ok(['--checkpoints', '0']);
    assert.equal(c.stdout, 'changed checkpoints left: 0 (was 3)\n');
    ok(['--reason', 'file system maintenance']);
    assert.equal((await readHalt(prefix)).reason, 'file system maintenance');
    assert.equal((await readHalt(prefix)).checkpointsLeft, 0);
  });

  it('--immediate sets the reason "halt --immediate" and the immediate flag the run wrapper acts on', async () => {
    const r = ok(['--immediate']);
    assert.deepEqual(await readHalt(prefix), { reason: 'halt --immediate', immediate: true });
    assert.match(r.stdout, /^set reason: "halt --immediate"$/m);
    assert.match(r.stdout, /^set end the running step now: yes$/m);
    assert.match(r.stdout, /^note: .*run wrapper/m);
    assert.match(run(['--help']).stdout, /--immediate .*run wrapper/);
    // --reason gives the text instead.
    ok(['--immediate', '--reason', 'node failing']);
    assert.deepEqual(await readHalt(prefix), { reason: 'node failing', immediate: true });
    // Unsetting the reason takes the flag with it.
    ok(['--unset', 'reason']);
    assert.deepEqual(await readHalt(prefix), {});
  });

  it('--checkpoint-now adds 1 to the counter and sets no halt condition', async () => {
    assert.match(ok(['--checkpoint-now']).stdout, /^requested a checkpoint: .*\(request 1\)$/m);
    assert.deepEqual(await readHalt(prefix), { checkpointNow: 1 });
    ok(['--checkpoint-now', '--checkpoints', '2']);
    assert.deepEqual(await readHalt(prefix), { checkpointNow: 2, checkpointsLeft: 2 });
  });

  it('TIME: ISO-8601 with a zone, and epoch seconds with @', async () => {
    const cases: Array<[string, number]> = [
      ['2026-11-22T01:30:00Z', Date.UTC(2026, 10, 22, 1, 30) / 1000],
      ['2026-11-22T01:30Z', Date.UTC(2026, 10, 22, 1, 30) / 1000],
      ['2026-11-22T01:30:15.750Z', Date.UTC(2026, 10, 22, 1, 30, 15) / 1000],
      ['2026-11-22T01:30+01:00', Date.UTC(2026, 10, 22, 0, 30) / 1000],
      ['2026-11-22T01:30:00-0530', Date.UTC(2026, 10, 22, 7, 0) / 1000],
      ['2024-02-29T23:59:59Z', Date.UTC(2024, 1, 29, 23, 59, 59) / 1000],
      ['@1795000000', 1795000000],
      ['@0', 0],
    ];
    for (const [text, want] of cases) {
      ok(['--after', text]);
      assert.equal((await readHalt(prefix)).exitAfter, want, text);
      ok(['--before', text]);
      assert.equal((await readHalt(prefix)).exitBefore, want, text);
    }
  });

  it('TIME: ISO-8601 without a zone is local time (here UTC+05:30), a date alone its midnight', async () => {
    const tz = { TZ: 'Asia/Kolkata' };
    ok(['--before', '2026-11-22T10:00'], tz);
    assert.equal((await readHalt(prefix)).exitBefore, Date.UTC(2026, 10, 22, 10, 0) / 1000 - IST);
    ok(['--before', '2026-11-22 10:00:30'], tz);
    assert.equal((await readHalt(prefix)).exitBefore, Date.UTC(2026, 10, 22, 10, 0, 30) / 1000 - IST);
    ok(['--after', '2026-11-22'], tz);
    assert.equal((await readHalt(prefix)).exitAfter, Date.UTC(2026, 10, 22) / 1000 - IST);
  });

  it('TIME: a clock time is the next such local time, today or tomorrow', async () => {
    const tz = { TZ: 'Asia/Kolkata' };
    for (const shift of [2 * 3600, -2 * 3600, 11 * 3600 + 17 * 60, -(11 * 3600 + 17 * 60)]) {
      const now = Math.floor(Date.now() / 1000);
      const [h, m] = istClock(now + shift);
      ok(['--after', `${p2(h)}:${p2(m)}`], tz);
      const got = (await readHalt(prefix)).exitAfter!;
      assert.equal(got, nextIst(now, h, m), `${p2(h)}:${p2(m)} (now ${now})`);
      assert.ok(got > now && got <= now + 86400, 'within the next day');
      if (shift < 0) assert.ok(got > now + 12 * 3600 - 60, `${p2(h)}:${p2(m)} has passed today: tomorrow`);
    }
    const now = Math.floor(Date.now() / 1000);
    const [h, m, s] = istClock(now + 5000);
    ok(['--before', `${p2(h)}:${p2(m)}:${p2(s)}`], tz);
    assert.equal((await readHalt(prefix)).exitBefore, nextIst(now, h, m, s));
  });

  it('TIME: anything else is a usage error naming the accepted forms, and nothing is written', async () => {
    ok(['--checkpoints', '5']);
    for (const bad of ['tomorrow', '25:00', '12:60', '12:30:60', '1:5', '2026-02-29', '2026-13-01', '2026-11-31T10:00',
      '2026-11-22T24:00', '2026-11-22T10:00+25:00', '@-5', '@12x', '', '1795000000', '2026-11-22Z']) {
      await usage(['--before', bad], /--before: ".*" (is not|does not|has an invalid)/);
    }
    await usage(['--after', 'next week'], /--after: "next week" is not a time.*\nhint: give ISO-8601 .*@1795000000.*HH:MM/);
    // A local time a daylight-saving change skips.
    const r = run(['--after', '2026-03-29T02:30'], { TZ: 'Europe/Berlin' });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /does not exist in local time/);
    assert.deepEqual(await readHalt(prefix), { checkpointsLeft: 5 });
  });

  it('bad numbers, --unset keys and contradictions are usage errors', async () => {
    await usage(['--checkpoints', '-1'], /--checkpoints: "-1" is not a whole number/);
    await usage(['--checkpoints', 'three'], /--checkpoints: "three"/);
    await usage(['--seconds', '1.5'], /--seconds: "1.5"/);
    await usage(['--reason', ''], /--reason needs a text/);
    await usage(['--unset', 'finalized'], /--unset: unknown key "finalized"; the keys are checkpoints, before, after, seconds, reason/);
    await usage(['--unset', 'seconds', '--seconds', '5'], /--unset seconds and --seconds at once/);
    await usage(['--unset', 'reason', '--immediate'], /--unset reason and --immediate/);
    const u = run(['--bogus']);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /unknown option '--bogus'/);
  });

  it('--unset removes single keys, --remove every condition but keeps the checkpoint-now counter', async () => {
    ok(['--checkpoints', '3', '--seconds', '60', '--before', '@1900000000', '--after', '@1800000000', '--reason', 'x', '--checkpoint-now']);
    const u = ok(['--unset', 'before', '--unset', 'seconds']);
    assert.match(u.stdout, /^removed exit before \(was .*\)\nremoved seconds \(was 60 s\)\n$/);
    assert.deepEqual(await readHalt(prefix), { checkpointsLeft: 3, exitAfter: 1800000000, reason: 'x', checkpointNow: 1 });
    ok(['--unset', 'reason,checkpoints']);
    assert.deepEqual(await readHalt(prefix), { exitAfter: 1800000000, checkpointNow: 1 });
    assert.match(ok(['--unset', 'seconds']).stdout, /^no change/);

    ok(['--checkpoints', '1', '--reason', 'y']);
    await updateHalt(prefix, (h) => ({ ...h, finalized: true, futureKey: 7 } as typeof h));
    const r = ok(['--remove']);
    assert.match(r.stdout, /^removed checkpoints left \(was 1\)$/m);
    assert.match(r.stdout, /^removed reason \(was "y"\)$/m);
    assert.match(r.stdout, /^removed the finalized marker/m);
    assert.match(r.stdout, /^removed key futureKey \(was 7\)$/m);
    assert.deepEqual(await readHalt(prefix), { checkpointNow: 1 });
    // --remove then set, in one update.
    ok(['--remove', '--checkpoints', '4']);
    assert.deepEqual(await readHalt(prefix), { checkpointNow: 1, checkpointsLeft: 4 });
  });

  it('--list shows the conditions and what the job and the run wrapper make of them now', async () => {
    const empty = ok(['--list']);
    assert.match(empty.stdout, new RegExp(`^halt file ${haltFilePath(prefix)} \\(no halt conditions set\\):$`, 'm'));
    assert.match(empty.stdout, /^ {2}checkpoints left +-$/m);
    assert.match(empty.stdout, /^job \(needCheckpoint, shouldExit\): go on: no halt condition holds$/m);
    assert.match(empty.stdout, /^run wrapper, scr should-exit: +go on/m);
    assert.deepEqual(await readHalt(prefix), {}, '--list alone writes nothing');

    const future = Math.floor(Date.now() / 1000) + 3 * 86400 - 1800;
    const r = ok(['--checkpoints', '2', '--after', `@${future}`, '--list']);
    assert.match(r.stdout, /^set checkpoints left: 2\nset exit after: .*\(in 2 d 23 h\)\n\nhalt file /);
    assert.match(r.stdout, /^ {2}checkpoints left +2 +halt when it reaches 0/m);
    assert.match(r.stdout, /^ {2}exit after +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) \(in 2 d 23 h\)/m);
    assert.match(r.stdout, /^job .*: go on/m);

    // The configuration's SCR_END_TIME and SCR_HALT_SECONDS take part.
    const end = Math.floor(Date.now() / 1000) + 300;
    const e = ok(['--list'], { SCR_END_TIME: String(end), SCR_HALT_SECONDS: '600' });
    assert.match(e.stdout, /^job \(needCheckpoint, shouldExit\): halt: allocation ends in \d+ s \(< 600 s\)$/m);
    assert.match(e.stdout, new RegExp(`SCR_END_TIME=${end}, SCR_HALT_SECONDS=600\\)$`, 'm'));

    ok(['--checkpoints', '0']);
    assert.match(ok(['-l']).stdout, /^job .*: halt: checkpoints left reached 0$/m);
  });

  it('--json: the record, haltReason and runShouldStop, and the changes when it edited', async () => {
    await updateHalt(prefix, () => ({ finalized: true, checkpointNow: 3 }));
    const a = JSON.parse(ok(['--json']).stdout) as Record<string, unknown>;
    assert.equal(a.file, haltFilePath(prefix));
    assert.deepEqual(a.halt, { finalized: true, checkpointNow: 3 });
    assert.equal(a.haltReason, null);
    assert.equal(a.runShouldStop, 'finalize was called: the job finished');
    assert.equal(a.endTime, null);
    assert.equal(a.haltSeconds, 0);
    assert.equal(a.changes, undefined);

    const b = JSON.parse(ok(['--reason', 'quota', '--json'], { SCR_HALT_SECONDS: '30' }).stdout) as Record<string, unknown>;
    assert.deepEqual(b.halt, { finalized: true, checkpointNow: 3, reason: 'quota' });
    assert.equal(b.haltReason, 'halt requested: quota');
    assert.deepEqual(b.changes, ['set reason: "quota"']);
    assert.equal(b.haltSeconds, 30);
  });

  it('a configuration error does not stop scr halt: the listing warns and leaves the configuration out', async () => {
    const r = run(['--checkpoints', '1', '--list'], { SCR_HALT_SECONDS: 'soon' });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^scr halt: warning: the configuration has errors .*SCR_HALT_SECONDS/);
    assert.deepEqual(await readHalt(prefix), { checkpointsLeft: 1 });
  });

  it('8 concurrent scr halt --checkpoint-now add exactly 8', async () => {
    ok(['--checkpoint-now']);
    const results = await Promise.all(Array.from({ length: 8 }, () => scrAsync(['halt', '--prefix', prefix, '--checkpoint-now'], { cwd: dir, env: env() })));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const requests = results.map((r) => Number(/\(request (\d+)\)/.exec(r.stdout)![1])).sort((x, y) => x - y);
    assert.deepEqual(requests, [2, 3, 4, 5, 6, 7, 8, 9], 'each process saw its own increment');
    assert.deepEqual(await readHalt(prefix), { checkpointNow: 9 });
  });

  it('the prefix: SCR_PREFIX, else the current directory; a missing one is exit 1', async () => {
    let r = scr(['halt', '--checkpoints', '7'], { cwd: dir, env: env({ SCR_PREFIX: prefix }) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await readHalt(prefix)).checkpointsLeft, 7);
    r = scr(['halt', '--checkpoints', '6'], { cwd: prefix, env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await readHalt(prefix)).checkpointsLeft, 6);
    r = scr(['halt', '--prefix', join(dir, 'nowhere')], { cwd: dir, env: env() });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^scr halt: the prefix directory .*nowhere does not exist\nhint: /);
  });

  it('a damaged halt file is exit 1 with a message, not a stack trace', () => {
    mkdirSync(join(prefix, '.scr'));
    writeFileSync(haltFilePath(prefix), 'not an scr file at all');
    for (const args of [['--list'], ['--checkpoints', '1']]) {
      const r = run(args);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^scr halt: .*halt\.scr/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  });

  it('the SCR-style names: a link named scr_halt is scr halt; package.json links scr_halt, scr_should_exit, scr_index', async () => {
    const link = join(dir, 'scr_halt');
    symlinkSync(SCR_BIN, link);
    const r = scr(['--prefix', prefix, '--checkpoints', '2'], { bin: link, cwd: dir, env: env() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'set checkpoints left: 2\n');
    assert.deepEqual(await readHalt(prefix), { checkpointsLeft: 2 });
    assert.match(scr(['--help'], { bin: link }).stdout, /^Usage: scr halt /m);

    const pkg = JSON.parse(readFileSync(join(SCR_BIN, '..', '..', '..', '..', 'package.json'), 'utf8')) as { bin: Record<string, string> };
    for (const name of ['scr_halt', 'scr_should_exit', 'scr_index']) {
      assert.equal(pkg.bin[name], pkg.bin.scr, name);
      assert.ok(COMMANDS.some((c) => c.name === commandFromProgramName(name)), `${name} names a command`);
    }
  });
});
