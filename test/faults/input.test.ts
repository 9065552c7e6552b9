// Bad input on one rank and on all (issue 10, item 12): a bad argument to a collective call on one
// rank is the same error on every rank — the bad rank its own message, the others one naming it —
// no rank waits forever, the library stays in the phase it was in, and the application can go on:
// the next correct call works and the checkpoint it then completes is restored, every byte checked,
// by a relaunch. Also: a configuration error on one node only, routeFile outside the prefix, and
// calls in the wrong state. Each case is a list of API calls (test/fixtures/fault-calls.ts) whose
// arguments differ by rank; all cases share two launches on 4 private nodes.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';
import {
  type Arg, type CallCase, type CallResult, agreedError, checkpoint, complete, finalize, init, named, othersOk, restart, runCallCases, sameError, setEnv,
  start, type Step, stepsOk, write,
} from '../harness/calls.js';
import { assertCase, type CaseReport, type DataSpec, FaultSuite, fileCrc, fileRel } from '../harness/faults.js';
import { flavoursBuilt } from '../harness/launch.js';
import { privateNodesMissing } from '../harness/nodes.js';

const missing = privateNodesMissing();
const NODES = ['n0', 'n1', 'n2', 'n3'];
const N = NODES.length;
const ARG = 'ERR_SCR_ARGUMENT';
const MISMATCH = 'ERR_SCR_MISMATCH';
const STATE = 'ERR_SCR_STATE';
const CONFIG = 'ERR_SCR_CONFIG';
const UNDEF = { $undefined: true };

const data = (seed: number, ckpts = 2): DataSpec => ({ ckpts, files: 2, bytes: 1500, seed });
/** The same argument list on each of these ranks ('all': every rank). */
const on = (ranks: number[] | 'all', args: Arg[]): Record<string, Arg[]> => Object.fromEntries((ranks === 'all' ? [0, 1, 2, 3] : ranks).map((r) => [String(r), args]));
const badRanks = (ranks: number[] | 'all') => (ranks === 'all' ? [0, 1, 2, 3] : ranks);
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Every rank completed these checkpoints with these results, in order. */
function wrote(lines: Array<CallResult | undefined>, want: Array<[string, boolean]>): string[] {
  const w = JSON.stringify(want.map(([name, ok]) => ({ name, ok })));
  return lines.flatMap((l, r) => (!l ? [] : JSON.stringify(l.wrote) === w ? [] : [`rank ${r} completed ${JSON.stringify(l.wrote)}, expected ${w}`]));
}

/** Steps k threw a local error (not collective) on the ranks in `only` (code, message), and
 * nothing on the others (which skipped the call). */
function localError(lines: Array<CallResult | undefined>, k: number, only: number[], code: string, message: RegExp): string[] {
  const out: string[] = [];
  lines.forEach((l, r) => {
    const s = l?.steps[k];
    if (!s) { out.push(`rank ${r}: no step ${k}`); return; }
    if (!only.includes(r)) { if (!s.skipped || !s.ok) out.push(`rank ${r} step ${k}: expected no call, got ${JSON.stringify(s)}`); return; }
    if (s.ok) out.push(`rank ${r} step ${k} (${s.op}): no error, returned ${JSON.stringify(s.value)}; expected ${code} matching ${message}`);
    else {
      if (s.error!.code !== code) out.push(`rank ${r} step ${k} (${s.op}): ${s.error!.code ?? s.error!.name}, expected ${code}: ${s.error!.message}`);
      if (!message.test(s.error!.message)) out.push(`rank ${r} step ${k} (${s.op}): error does not match ${message}: ${s.error!.message}`);
    }
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// The cases. Step numbers in `check` index the case's steps.

const cases: CallCase[] = [];
const add = (c: CallCase) => cases.push(c);
const XOR = { SCR_FLUSH: '0', SCR_COPY_TYPE: 'XOR' };

// completeOutput with a bad `valid`, on one rank or on all: every rank throws, the library stays in
// the output phase, completeOutput(true) then completes ckpt.2, which the relaunch restores.
for (const [id, arg, ranks, shown, env] of [
  ['complete-1-rank1', 1, [1], '1', XOR],
  ['complete-1-all', 1, 'all', '1', { SCR_FLUSH: '0', SCR_COPY_TYPE: 'PARTNER' }],
  ['complete-yes-rank1', 'yes', [1], '"yes"', { SCR_FLUSH: '0', SCR_COPY_TYPE: 'RS' }],
  ['complete-yes-all', 'yes', 'all', '"yes"', XOR],
  ['complete-undefined-rank1', UNDEF, [1], 'undefined', { SCR_FLUSH: '0', SCR_COPY_TYPE: 'SINGLE' }],
  ['complete-undefined-all', UNDEF, 'all', 'undefined', XOR],
  ['complete-null-rank0', null, [0], 'null', { SCR_FLUSH: '1', SCR_COPY_TYPE: 'XOR' }],
  ['complete-0-rank3', 0, [3], '0', XOR],
  ['complete-object-rank2', { ok: true }, [2], 'an object', XOR],
] as Array<[string, Arg, number[] | 'all', string, Record<string, string>]>) {
  add({
    id, env, data: data(cases.length + 1),
    steps: [init(), checkpoint(1), start(2), write(2), complete(2, on(ranks, [arg])), complete(2), finalize()],
    check: (l) => [
      ...agreedError(l, N, 4, { code: ARG, bad: badRanks(ranks), own: new RegExp(`^completeOutput\\(\\): valid must be true or false, got ${esc(shown)}$`) }),
      ...othersOk(l, N, [4]), ...wrote(l, [['ckpt.1', true], ['ckpt.2', true]]),
    ],
    restart: {}, expect: { restored: 'ckpt.2' },
  });
}
// After the error the application gives up on ckpt.2 instead: completeOutput(false) is accepted,
// ckpt.2 is not complete anywhere, ckpt.1 is what the relaunch restores.
add({
  id: 'complete-yes-rank2-then-false', env: XOR, data: data(20),
  steps: [init(), checkpoint(1), start(2), write(2), complete(2, on([2], ['yes'])), { op: 'completeOutput', args: [false], ckpt: 2 }, finalize()],
  check: (l) => [...agreedError(l, N, 4, { code: ARG, bad: [2], own: /valid must be true or false, got "yes"/ }), ...othersOk(l, N, [4]), ...wrote(l, [['ckpt.1', true], ['ckpt.2', false]])],
  restart: {}, expect: { restored: 'ckpt.1' },
});

// completeRestart with a bad `valid`: in a restart phase of the first launch. The library stays in
// the restart phase; completeRestart(true) then accepts ckpt.2 (read with every byte right).
for (const [id, arg, ranks, shown] of [
  ['restart-yes-rank1', 'yes', [1], '"yes"'],
  ['restart-yes-all', 'yes', 'all', '"yes"'],
  ['restart-1-rank0', 1, [0], '1'],
  ['restart-undefined-rank3', UNDEF, [3], 'undefined'],
] as Array<[string, Arg, number[] | 'all', string]>) {
  add({
    id, env: XOR, data: data(cases.length + 1),
    steps: [init(), checkpoint(1), checkpoint(2), finalize(), init(), { op: 'haveRestart' }, { op: 'startRestart' }, { op: 'read' },
      { op: 'completeRestart', ranks: on(ranks, [arg]), args: [true] }, { op: 'completeRestart', args: [{ $read: true }] }, finalize()],
    check: (l) => [
      ...agreedError(l, N, 8, { code: ARG, bad: badRanks(ranks), own: new RegExp(`^completeRestart\\(\\): valid must be true or false, got ${esc(shown)}$`) }),
      ...othersOk(l, N, [8]), ...stepsOk(l, N, [5, 6, 7, 9], (k) => (k === 5 || k === 6 ? 'ckpt.2' : true)),
    ],
    expectFirst: { restored: 'ckpt.2' },
    restart: {}, expect: { restored: 'ckpt.2' },
  });
}
// After a bad completeRestart the application rejects the checkpoint: completeRestart(false) marks
// it failed (cache only: deleted, with the message) and the loop then restores ckpt.1.
add({
  id: 'restart-yes-rank2-then-reject', env: XOR, data: data(30),
  steps: [init(), checkpoint(1), checkpoint(2), finalize(), init(), { op: 'haveRestart' }, { op: 'startRestart' }, { op: 'read' },
    { op: 'completeRestart', ranks: on([2], ['yes']), args: [true] }, { op: 'completeRestart', args: [false] }, restart(), finalize()],
  check: (l) => [...agreedError(l, N, 8, { code: ARG, bad: [2], own: /valid must be true or false, got "yes"/ }), ...othersOk(l, N, [8]), ...stepsOk(l, N, [9], () => false)],
  expectFirst: { restored: 'ckpt.1', message: /checkpoint ckpt\.2 was rejected by the application \(completeRestart\(false\)\): it was only in cache \(SCR_FLUSH=0\), so it is deleted/ },
  restart: {}, expect: { restored: 'ckpt.1' },
});

// startOutput: names or flags that differ across ranks (every rank: the same MISMATCH message,
// naming the rank), and bad names or flags on one rank or all (ARGUMENT). The library stays idle:
// a correct startOutput then opens ckpt.2.
for (const [id, args, ranks, code, own] of [
  ['start-other-name-rank1', ['other', 1], [1], MISMATCH, /^startOutput\(\): every rank must pass the same name and flags; rank 0 passed \("ckpt\.2", 1\) but rank 1 passed \("other", 1\)$/],
  ['start-other-flags-rank2', ['ckpt.2', 3], [2], MISMATCH, /^startOutput\(\): every rank must pass the same name and flags; rank 0 passed \("ckpt\.2", 1\) but rank 2 passed \("ckpt\.2", 3\)$/],
  ['start-null-name-rank3', [null, 1], [3], MISMATCH, /rank 0 passed \("ckpt\.2", 1\) but rank 3 passed \(null, 1\)$/],
  ['start-other-name-rank0', ['zero', 1], [0], MISMATCH, /rank 0 passed \("zero", 1\) but rank 1 passed \("ckpt\.2", 1\)$/],
  ['start-slash-rank1', ['a/b', 1], [1], ARG, /^startOutput\(\): name must be a non-empty string without '\/', or null for the default, got "a\/b"$/],
  ['start-slash-all', ['a/b', 1], 'all', ARG, /^startOutput\(\): name must be a non-empty string without '\/', or null for the default, got "a\/b"$/],
  ['start-empty-rank2', ['', 1], [2], ARG, /name must be a non-empty string without '\/', or null for the default, got ""$/],
  ['start-number-name-rank0', [42, 1], [0], ARG, /name must be a non-empty string without '\/', or null for the default, got 42$/],
  ['start-flags-7-rank3', ['ckpt.2', 7], [3], ARG, /^startOutput\(\): flags must combine FLAG_CHECKPOINT and FLAG_OUTPUT \(or be FLAG_NONE\), got 7$/],
  ['start-flags-fraction-rank1', ['ckpt.2', 1.5], [1], ARG, /flags must combine FLAG_CHECKPOINT and FLAG_OUTPUT \(or be FLAG_NONE\), got 1\.5$/],
  ['start-flags-negative-all', ['ckpt.2', -1], 'all', ARG, /flags must combine FLAG_CHECKPOINT and FLAG_OUTPUT \(or be FLAG_NONE\), got -1$/],
] as Array<[string, Arg[], number[] | 'all', string, RegExp]>) {
  add({
    id, env: cases.length % 2 ? XOR : { SCR_FLUSH: '1', SCR_COPY_TYPE: 'PARTNER' }, data: data(cases.length + 1),
    steps: [init(), checkpoint(1), start(2, 1, on(ranks, args)), start(2), write(2), complete(2), finalize()],
    check: (l) => [
      ...(code === MISMATCH ? sameError(l, N, 2, { code, message: own }) : agreedError(l, N, 2, { code, bad: badRanks(ranks), own })),
      ...othersOk(l, N, [2]), ...wrote(l, [['ckpt.1', true], ['ckpt.2', true]]),
    ],
    restart: {}, expect: { restored: 'ckpt.2' },
  });
}

// current / drop / deleteDataset with a bad name on one rank, names that differ, an unknown name.
// Both checkpoints are flushed (SCR_FLUSH=1), so drop and delete reach the index and the files.
const FLUSHED = { SCR_FLUSH: '1', SCR_COPY_TYPE: 'XOR' };
const two = [init(), checkpoint(1), checkpoint(2)];
add({
  id: 'current-5-rank1', env: FLUSHED, data: data(50),
  steps: [...two, named('current', 'ckpt.1', on([1], [5])), named('current', 'ckpt.1'), restart(), finalize()],
  check: (l) => [...agreedError(l, N, 3, { code: ARG, bad: [1], own: /^current\(\): name must be a non-empty string, got 5$/ }), ...othersOk(l, N, [3])],
  expect: { restored: 'ckpt.1' },
});
add({
  id: 'current-empty-all', env: FLUSHED, data: data(51),
  steps: [...two, named('current', ''), named('current', 'ckpt.1'), restart(), finalize()],
  check: (l) => [...agreedError(l, N, 3, { code: ARG, bad: [0, 1, 2, 3], own: /^current\(\): name must be a non-empty string, got ""$/ }), ...othersOk(l, N, [3])],
  expect: { restored: 'ckpt.1' },
});
add({
  id: 'current-differs-rank2', env: FLUSHED, data: data(52),
  steps: [...two, named('current', 'ckpt.1', on([2], ['ckpt.2'])), named('current', 'ckpt.1'), restart(), finalize()],
  check: (l) => [...sameError(l, N, 3, { code: MISMATCH, message: /^current\(\): every rank must pass the same name; rank 0 passed "ckpt\.1" but rank 2 passed "ckpt\.2"$/ }), ...othersOk(l, N, [3])],
  expect: { restored: 'ckpt.1' },
});
add({
  id: 'current-unknown-all', env: FLUSHED, data: data(53),
  steps: [...two, named('current', 'nope'), named('current', 'ckpt.1'), restart(), finalize()],
  check: (l) => [...agreedError(l, N, 3, { code: ARG, bad: [0], own: /^current\(nope\): no checkpoint of that name in cache or in .*\/\.scr\/index\.scr$/ }), ...othersOk(l, N, [3])],
  expect: { restored: 'ckpt.1' },
});
/** The flushed files of a checkpoint, checked on the prefix: present with their bytes, or gone. */
function flushedFiles(suite: () => FaultSuite, id: string, spec: DataSpec, ckpt: number, present: boolean): string[] {
  const out: string[] = [];
  const prefix = suite().prefixOf(id);
  for (let r = 0; r < N; r++) {
    for (let f = 0; f < spec.files; f++) {
      const p = join(prefix, fileRel(spec, ckpt, r, f));
      if (!present) { if (existsSync(p)) out.push(`${p} is still on the prefix`); continue; }
      if (!existsSync(p)) { out.push(`${p} is gone from the prefix`); continue; }
      if (crc32(readFileSync(p)) !== fileCrc(spec, ckpt, r, f)) out.push(`${p} does not hold what ckpt.${ckpt} wrote`);
    }
  }
  return out;
}
let suiteNow: FaultSuite;
const theSuite = () => suiteNow;
for (const [id, op, good, bad, ranks, code, own] of [
  ['drop-null-rank1', 'drop', 'ckpt.2', null, [1], ARG, /^drop\(\): name must be a non-empty string, got null$/],
  ['drop-differs-rank3', 'drop', 'ckpt.2', 'ckpt.1', [3], MISMATCH, /^drop\(\): every rank must pass the same name; rank 0 passed "ckpt\.2" but rank 3 passed "ckpt\.1"$/],
  ['drop-unknown-all', 'drop', 'ckpt.2', 'nope', 'all', ARG, /^drop\(nope\): no dataset of that name in cache or in .*index\.scr$/],
  ['delete-empty-rank1', 'deleteDataset', 'ckpt.2', '', [1], ARG, /^deleteDataset\(\): name must be a non-empty string, got ""$/],
  ['delete-differs-rank0', 'deleteDataset', 'ckpt.2', 'ckpt.1', [0], MISMATCH, /^deleteDataset\(\): every rank must pass the same name; rank 0 passed "ckpt\.1" but rank 1 passed "ckpt\.2"$/],
  ['delete-object-rank2', 'deleteDataset', 'ckpt.2', { name: 'ckpt.2' }, [2], ARG, /^deleteDataset\(\): name must be a non-empty string, got an object$/],
  ['delete-unknown-all', 'deleteDataset', 'ckpt.2', 'ckpt.9', 'all', ARG, /^deleteDataset\(ckpt\.9\): no dataset of that name in cache or in .*index\.scr$/],
] as Array<[string, 'drop' | 'deleteDataset', string, Arg, number[] | 'all', string, RegExp]>) {
  const spec = data(cases.length + 60);
  const isMismatch = code === MISMATCH;
  const unknown = !isMismatch && typeof bad === 'string' && bad !== '';
  add({
    id, env: FLUSHED, data: spec,
    // The bad call, then the good one: ckpt.2 is dropped or deleted, the relaunch restores ckpt.1.
    steps: [...two, named(op, good, ranks === 'all' ? on('all', [bad]) : on(ranks, [bad])), named(op, good), finalize()],
    check: (l) => [
      ...(isMismatch ? sameError(l, N, 3, { code, message: own }) : agreedError(l, N, 3, { code, bad: unknown ? [0] : badRanks(ranks), own })),
      ...othersOk(l, N, [3]),
    ],
    restart: {}, expect: { restored: 'ckpt.1' },
    // drop keeps the files on the file system, deleteDataset removes them; ckpt.1's stay intact.
    after: () => [...flushedFiles(theSuite, id, spec, 2, op === 'drop'), ...flushedFiles(theSuite, id, spec, 1, true)],
  });
}

// routeFile is local: a path outside the prefix throws on the rank that asked, and only there;
// the others go on, and so does that rank (it writes its files properly and the checkpoint
// completes). Or the application declares its part invalid: ckpt.2 fails everywhere, ckpt.1 stays.
const ROUTE = /^routeFile\(.*\): the file must lie under SCR_PREFIX \(.*\), where it is flushed to; set SCR_PREFIX or write it below the prefix$/;
for (const [id, path, only, code, msg] of [
  ['route-outside-rank1', '/tmp/scr-outside/rank_1.dat', [1], 'ERR_SCR_ROUTE', ROUTE],
  ['route-outside-all', '/tmp/scr-outside/rank.dat', [0, 1, 2, 3], 'ERR_SCR_ROUTE', ROUTE],
  ['route-dotdot-rank2', { $prefix: '../elsewhere/rank_2.dat' }, [2], 'ERR_SCR_ROUTE', ROUTE],
  ['route-empty-rank3', '', [3], ARG, /^routeFile\(\): path must be a non-empty string, got ""$/],
  ['route-number-rank0', 7, [0], ARG, /^routeFile\(\): path must be a non-empty string, got 7$/],
] as Array<[string, Arg, number[], string, RegExp]>) {
  add({
    id, env: XOR, data: data(cases.length + 80),
    steps: [init(), checkpoint(1), start(2), { op: 'routeFile', args: [path], only }, write(2), complete(2), finalize()],
    check: (l) => [...localError(l, 3, only, code, msg), ...othersOk(l, N, [3]), ...wrote(l, [['ckpt.1', true], ['ckpt.2', true]])],
    restart: {}, expect: { restored: 'ckpt.2' },
  });
}
add({
  id: 'route-outside-rank1-invalid', env: XOR, data: data(90),
  steps: [init(), checkpoint(1), start(2), { op: 'routeFile', args: ['/tmp/scr-outside/x.dat'], only: [1] }, write(2), complete(2, on([1], [false])), finalize()],
  check: (l) => [...localError(l, 3, [1], 'ERR_SCR_ROUTE', ROUTE), ...othersOk(l, N, [3]), ...stepsOk(l, N, [5], () => false), ...wrote(l, [['ckpt.1', true], ['ckpt.2', false]])],
  restart: {}, expect: { restored: 'ckpt.1' },
});

// init with bad options on one rank or all: the same error everywhere, the library stays
// uninitialised, init() then works.
for (const [id, opts, ranks, own] of [
  ['init-comm-5-rank1', { comm: 5 }, [1], /^init\(\): options\.comm must be a communicator \(mpi\.world, or one from split\/dup\), got 5$/],
  ['init-comm-object-rank3', { comm: { rank: 0 } }, [3], /^init\(\): options\.comm must be a communicator \(mpi\.world, or one from split\/dup\), got an object$/],
  ['init-null-rank2', null, [2], /^init\(\): options must be an object such as \{ comm \}, got null$/],
  ['init-string-all', 'x', 'all', /^init\(\): options must be an object such as \{ comm \}, got "x"$/],
  ['init-comm-5-rank0', { comm: 5 }, [0], /options\.comm must be a communicator .*got 5$/],
] as Array<[string, Arg, number[] | 'all', RegExp]>) {
  add({
    id, env: XOR, data: data(cases.length + 100),
    steps: [init(on(ranks, [opts])), init(), checkpoint(1), finalize()],
    check: (l) => [...agreedError(l, N, 0, { code: ARG, bad: badRanks(ranks), own }), ...othersOk(l, N, [0]), ...wrote(l, [['ckpt.1', true]])],
    restart: {}, expect: { restored: 'ckpt.1' },
  });
}

// A configuration error on one node only: every rank's init fails (the node's ranks with the
// problem, the others naming the rank), and once the setting is fixed init works.
for (const [id, node, key, value, own] of [
  ['config-node-name-slash-n1', 'n1', 'SCR_NODE_NAME', 'a/b', /^the environment: SCR_NODE_NAME must be a single directory name .*got "a\/b"/],
  ['config-copy-type-bogus-n2', 'n2', 'SCR_COPY_TYPE', 'bogus', /^the environment: SCR_COPY_TYPE must be one of SINGLE, PARTNER, XOR, RS, FILE, got "bogus"$/],
  ['config-cache-size-huge-n3', 'n3', 'SCR_CACHE_SIZE', '99999999999999999999999', /^the environment: SCR_CACHE_SIZE is out of range: "99999999999999999999999" lies outside ±9007199254740991/],
  ['config-cache-size-0-n1', 'n1', 'SCR_CACHE_SIZE', '0', /^the environment: SCR_CACHE_SIZE must be at least 1, got 0$/],
  ['config-job-id-dotdot-n0', 'n0', 'SCR_JOB_ID', '..', /^the environment: SCR_JOB_ID must be a single directory name/],
  ['config-user-slash-n2', 'n2', 'SCR_USER_NAME', 'x/y', /^the environment: SCR_USER_NAME must be a single directory name .*got "x\/y"/],
  ['config-flush-abc-n3', 'n3', 'SCR_FLUSH', 'abc', /^the environment: SCR_FLUSH .*"abc"/],
] as Array<[string, string, string, string, RegExp]>) {
  const rank = NODES.indexOf(node);
  const fix = { [node]: { [key]: key === 'SCR_NODE_NAME' ? node : key === 'SCR_JOB_ID' ? id : key === 'SCR_USER_NAME' ? 'u' : (XOR as Record<string, string>)[key] ?? null } };
  add({
    id, env: XOR, nodeEnv: { [node]: { [key]: value } }, data: data(cases.length + 120),
    // The fix: the node's own name back, or the case's setting (the job id: the case's id).
    steps: [init(), setEnv({}, fix), init(), checkpoint(1), finalize()],
    check: (l) => [...agreedError(l, N, 0, { code: CONFIG, bad: [rank], own, others: new RegExp(`^reading the configuration failed on rank ${rank}: ${own.source.replace(/^\^/, '')}`) }), ...othersOk(l, N, [0]), ...wrote(l, [['ckpt.1', true]])],
    restart: { nodeEnv: fix }, expect: { restored: 'ckpt.1' },
  });
}

// Calls in the wrong state, on every rank: the same state error everywhere, the library where it
// was; the application then makes the right call and goes on.
for (const [id, steps, k, msg, expectWrote] of [
  ['state-complete-while-idle', [init(), { op: 'completeOutput', args: [true] }, checkpoint(1), finalize()], 1, /^startOutput\(\) must come before completeOutput\(\)$/, [['ckpt.1', true]]],
  ['state-start-twice', [init(), start(1), start(1), write(1), complete(1), finalize()], 2, /^completeOutput\(\) must come before startOutput\(\)$/, [['ckpt.1', true]]],
  ['state-finalize-in-output', [init(), start(1), write(1), finalize(), complete(1), finalize()], 3, /^completeOutput\(\) must come before finalize\(\)$/, [['ckpt.1', true]]],
  ['state-init-twice', [init(), init(), checkpoint(1), finalize()], 1, /^init\(\) was already called; call finalize\(\) before init\(\) again$/, [['ckpt.1', true]]],
  ['state-have-restart-in-output', [init(), start(1), write(1), { op: 'haveRestart' }, complete(1), finalize()], 3, /^completeOutput\(\) must come before haveRestart\(\)$/, [['ckpt.1', true]]],
  ['state-start-restart-unoffered', [init(), { op: 'startRestart' }, checkpoint(1), finalize()], 1, /^haveRestart\(\) must find a checkpoint before startRestart\(\)$/, [['ckpt.1', true]]],
  ['state-complete-restart-idle', [init(), { op: 'completeRestart', args: [true] }, checkpoint(1), finalize()], 1, /^startRestart\(\) must come before completeRestart\(\)$/, [['ckpt.1', true]]],
  ['state-need-checkpoint-uninit', [{ op: 'needCheckpoint' }, init(), checkpoint(1), finalize()], 0, /^init\(\) must come before needCheckpoint\(\)$/, [['ckpt.1', true]]],
  ['state-config-set-after-init', [init(), { op: 'config', args: ['SCR_FLUSH=1'] }, checkpoint(1), finalize()], 1, /^config\("SCR_FLUSH=1"\) sets a value, which must come before init\(\)$/, [['ckpt.1', true]]],
  ['state-drop-in-output', [init(), checkpoint(1), start(2), write(2), named('drop', 'ckpt.1'), complete(2), finalize()], 4, /^completeOutput\(\) must come before drop\(\)$/, [['ckpt.1', true], ['ckpt.2', true]]],
] as Array<[string, Step[], number, RegExp, Array<[string, boolean]>]>) {
  const last = expectWrote[expectWrote.length - 1]![0];
  add({
    id, env: XOR, data: data(cases.length + 140, expectWrote.length),
    steps,
    check: (l) => [...sameError(l, N, k, { code: STATE, message: msg }), ...othersOk(l, N, [k]), ...wrote(l, expectWrote)],
    restart: {}, expect: { restored: last },
  });
}
// A state error on one rank only (a call the others do not make): thrown there before any
// collective, so no rank waits; the checkpoint still completes everywhere.
add({
  id: 'state-need-checkpoint-in-output-rank1', env: XOR, data: data(160),
  steps: [init(), start(1), write(1), { op: 'needCheckpoint', only: [1] }, complete(1), finalize()],
  check: (l) => [...localError(l, 3, [1], STATE, /^completeOutput\(\) must come before needCheckpoint\(\)$/), ...othersOk(l, N, [3]), ...wrote(l, [['ckpt.1', true]])],
  restart: {}, expect: { restored: 'ckpt.1' },
});
add({
  id: 'state-complete-restart-idle-rank2', env: XOR, data: data(161),
  steps: [init(), checkpoint(1), { op: 'completeRestart', args: [true], only: [2] }, checkpoint(2), finalize()],
  check: (l) => [...localError(l, 2, [2], STATE, /^startRestart\(\) must come before completeRestart\(\)$/), ...othersOk(l, N, [2]), ...wrote(l, [['ckpt.1', true], ['ckpt.2', true]])],
  restart: {}, expect: { restored: 'ckpt.2' },
});

// MPICH: a representative subset (each family once).
const MPICH_SUBSET = new Set(['complete-1-rank1', 'restart-yes-rank1', 'start-other-name-rank1', 'current-5-rank1', 'route-outside-rank1', 'init-comm-5-rank1',
  'config-node-name-slash-n1', 'state-need-checkpoint-in-output-rank1']);

for (const flavour of flavoursBuilt()) {
  const mine = flavour === 'openmpi' ? cases : cases.filter((c) => MPICH_SUBSET.has(c.id));
  describe(`fault suite: bad input on one rank and on all, ${flavour}`, function () {
    this.timeout(600_000);
    let suite: FaultSuite;
    let reports: Map<string, CaseReport>;
    before(async function () {
      if (missing) { console.log(`      skipped: ${missing}`); this.skip(); }
      suite = new FaultSuite(flavour, { timeoutMs: 240_000 });
      suiteNow = suite;
      reports = await runCallCases(suite, mine, { nodes: NODES });
    });
    after(() => suite?.cleanup());

    it('the cases are distinct and many', () => {
      assert.equal(new Set(mine.map((c) => c.id)).size, mine.length);
      if (flavour === 'openmpi') assert.ok(mine.length >= 50, `${mine.length} cases`);
    });
    for (const c of mine) it(c.id, () => assertCase(reports.get(c.id)));
  });
}
