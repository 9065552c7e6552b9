// The suite's judge and data (test/harness/faults.ts), without MPI: checkOutcome must fail for
// every way a restart can go wrong, and the seeded file contents must differ by coordinates.
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import {
  type Attempt, checkOutcome, checkWritten, ckptIndex, type DataSpec, type Expectation, fileBytes, fileCrc, fileRel, fileSize,
  parseFileName, type RankResult,
} from '../harness/faults.js';

const spec: DataSpec = { ckpts: 2, files: 2, bytes: 100, seed: 4 };

function attempt(name: string, bytesOk: boolean, accepted: boolean): Attempt {
  return { name, bytesOk, accepted, files: [{ path: `/p/${name}/rank_0.dat`, size: 100, crc: bytesOk ? 1 : 2, expected: 1, ok: bytesOk }] };
}

function line(rank: number, over: Partial<RankResult> = {}): RankResult {
  return {
    scenario: 's', rank, size: 4, node: `n${rank}`, action: 'restart', restored: 'ckpt.2', bytesOk: true, crcs: {},
    attempts: [attempt('ckpt.2', true, true)], wrote: [], writeErrors: [], error: null, recoveryErrors: [], stuck: false, stderr: '', ms: 1, ...over,
  };
}

const good = () => [0, 1, 2, 3].map((r) => line(r));
const none = (stderr = '') => [0, 1, 2, 3].map((r) => line(r, { restored: null, bytesOk: null, attempts: [], stderr: r === 0 ? stderr : '' }));
const check = (lines: Array<RankResult | undefined>, exp: Expectation) => checkOutcome(lines, 4, exp);

describe('fault suite: checkOutcome', () => {
  it('every rank restored the expected checkpoint with every byte right: passes', () => {
    const o = check(good(), { restored: 'ckpt.2' });
    assert.deepEqual(o.problems, []);
    assert.equal(o.kind, 'restored');
    assert.deepEqual(check(good(), { restored: ['ckpt.1', 'ckpt.2'] }).problems, []);
    assert.deepEqual(check(good(), {}).problems, []);
  });

  it('another checkpoint, or nothing, when one was expected: fails', () => {
    assert.match(check(good(), { restored: 'ckpt.1' }).problems[0]!, /expected restored ckpt\.1; every rank restored ckpt\.2/);
    assert.match(check(none(), { restored: 'ckpt.2' }).problems[0]!, /nothing restored/);
  });

  it('a missing rank, ranks that disagree, a rank with wrong bytes: fail', () => {
    const lines: Array<RankResult | undefined> = good();
    lines[2] = undefined;
    assert.match(check(lines, { restored: 'ckpt.2' }).problems.join('\n'), /ranks 2 reported nothing/);
    const split = good();
    split[3] = line(3, { restored: 'ckpt.1', attempts: [attempt('ckpt.1', true, true)] });
    assert.match(check(split, { restored: ['ckpt.1', 'ckpt.2'] }).problems.join('\n'), /ranks restored different checkpoints/);
    const bad = good();
    bad[1] = line(1, { bytesOk: false, attempts: [attempt('ckpt.2', false, true)] });
    const o = check(bad, { restored: 'ckpt.2' });
    assert.equal(o.kind, 'mixed');
    assert.match(o.problems.join('\n'), /rank 1 accepted ckpt\.2 with wrong bytes/);
  });

  it('wrong bytes only the app caught fail, unless the case says the library need not catch them', () => {
    const lines = [0, 1, 2, 3].map((r) => line(r, { restored: 'ckpt.1', attempts: [attempt('ckpt.2', r !== 3, false), attempt('ckpt.1', true, true)] }));
    assert.match(check(lines, { restored: 'ckpt.1' }).problems.join('\n'), /rank 3 was offered ckpt\.2 with wrong bytes/);
    assert.deepEqual(check(lines, { restored: 'ckpt.1', appMayDetect: true }).problems, []);
  });

  it('refused: passes only with the expected message on stderr', () => {
    assert.deepEqual(check(none('scr: warning: cache: dropped dataset 2 (ckpt.2): gone'), { orRefused: /dropped dataset 2/ }).problems, []);
    assert.deepEqual(check(none('scr: warning: cache: dropped dataset 2 (ckpt.2): gone'), { restored: 'ckpt.2', orRefused: /dropped dataset 2/ }).problems, []);
    assert.match(check(none('something else'), { orRefused: /dropped dataset 2/ }).problems[0]!, /expected nothing restored and stderr matching/);
    assert.deepEqual(check(none(), { restored: null }).problems, []);
    assert.match(check(good(), { restored: null }).problems[0]!, /expected restored nothing; every rank restored ckpt\.2/);
  });

  it('message: required whatever the outcome', () => {
    assert.match(check(good(), { restored: 'ckpt.2', message: /rebuilt/ }).problems[0]!, /stderr does not match \/rebuilt\//);
    const g = good();
    g[0]!.stderr = 'scr: rebuilt dataset ckpt.2';
    assert.deepEqual(check(g, { restored: 'ckpt.2', message: /rebuilt/ }).problems, []);
  });

  it('an exception fails the case unless it is the expected one; a stuck library always fails', () => {
    const err = good();
    err[2] = line(2, { error: { name: 'ScrError', code: 'ERR_SCR_IO', message: 'boom', at: 'startRestart' } });
    assert.match(check(err, { restored: 'ckpt.2' }).problems[0]!, /rank 2 threw at startRestart: ERR_SCR_IO: boom/);
    assert.deepEqual(check(err, { restored: 'ckpt.2', error: /boom/ }).problems, []);
    assert.match(check(good(), { restored: 'ckpt.2', error: /boom/ }).problems[0]!, /expected an error matching \/boom\/, got none/);
    const stuck = good();
    stuck[0]!.stuck = true;
    assert.match(check(stuck, { restored: 'ckpt.2' }).problems[0]!, /could not be finalized/);
  });

  it('checkWritten: every checkpoint completed on every rank, else named', () => {
    const w = [0, 1].map((r) => line(r, { action: 'write', wrote: [{ name: 'ckpt.1', ok: true }, { name: 'ckpt.2', ok: true }] }));
    assert.deepEqual(checkWritten(w, 2, spec), []);
    w[1]!.wrote[1]!.ok = false;
    assert.match(checkWritten(w, 2, spec)[0]!, /rank 1 wrote .*"ok":false/);
    assert.deepEqual(checkWritten(w, 2, spec, [2]).filter((p) => p.startsWith('rank')).map((p) => p.slice(0, 6)), ['rank 0'], 'rank 0 completed ckpt.2 though it was to be invalid');
    assert.match(checkWritten([w[0]], 2, spec)[0]!, /rank 1 reported nothing/);
  });
});

describe('fault suite: seeded data', () => {
  it('contents depend on every coordinate and are reproducible; CRCs match', () => {
    const a = fileBytes(spec, 1, 0, 0);
    assert.equal(a.length, fileSize(spec, 1, 0, 0));
    assert.ok(a.equals(fileBytes(spec, 1, 0, 0)));
    for (const [c, r, f] of [[2, 0, 0], [1, 1, 0], [1, 0, 1]] as const) assert.ok(!a.subarray(0, 64).equals(fileBytes(spec, c, r, f).subarray(0, 64)), `${c},${r},${f}`);
    assert.ok(!a.equals(fileBytes({ ...spec, seed: 5 }, 1, 0, 0)));
    assert.equal(fileCrc(spec, 2, 3, 1), crc32(fileBytes(spec, 2, 3, 1)));
    assert.equal(fileSize({ ...spec, zeroFile: 1 }, 1, 2, 1), 0);
    assert.equal(fileSize(spec, 3, 2, 1), 100 + 74 + 13 + 15);
    // Sizes not a multiple of 4 get their tail filled too.
    const odd = fileBytes({ ...spec, bytes: 1 }, 1, 0, 0);
    assert.equal(odd.length, 6);
    assert.notDeepEqual([...odd.subarray(4)], [0, 0]);
  });

  it('file names: per-checkpoint directories or the same path every time, parsed back', () => {
    assert.equal(fileRel(spec, 3, 5, 0), 'ckpt.3/rank_5.dat');
    assert.equal(fileRel(spec, 3, 5, 2), 'ckpt.3/rank_5.2.dat');
    assert.equal(fileRel({ ...spec, layout: 'same' }, 3, 5, 2), 'ckpt/rank_5.2.dat');
    assert.deepEqual(parseFileName('rank_5.2.dat'), { rank: 5, file: 2 });
    assert.deepEqual(parseFileName('rank_5.dat'), { rank: 5, file: 0 });
    assert.equal(parseFileName('red.5.dat'), null);
    assert.equal(ckptIndex('ckpt.12'), 12);
    assert.equal(ckptIndex('scr.dataset.3'), null);
  });
});
