// Hostile environments (issue 10: "no one else's files are used or touched"):
// - a cache or control directory (the user's directory below the base, the job's, a node's) that is
//   a symlink or belongs to another uid: init refuses on every rank alike, naming the directory,
//   and writes nothing through the link or into the other user's directory;
// - a prefix whose .scr is a symlink or another user's: refused, nothing written there;
// - a symlink planted inside a cached dataset (a data file, a redundancy file, the dataset
//   directory) pointing at another user's file: never followed into it — the CRC catches a
//   different file, the library refuses a link, and nothing is written through it; the restart
//   gets its exact bytes (rebuilt, or an older checkpoint);
// - two jobs on one node: different prefixes without SCR_JOB_ID (the default job id differs per
//   prefix), and one explicit SCR_JOB_ID shared by two prefixes: neither restores nor deletes the
//   other's datasets, and each restarts from its own bytes.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, cpSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { crc32 } from 'node:zlib';
import { localJobId } from '../../src/config/schema.js';
import {
  agreedError, type CallCase, type CallResult, checkpoint, finalize, init, isSymlink, restart, runCallCases, sameError, setEnv, stepsOk, treeOf,
} from '../harness/calls.js';
import { assertCase, type CaseReport, type DataSpec, FaultSuite, fileCrc, fileRel } from '../harness/faults.js';
import { flavoursBuilt } from '../harness/launch.js';
import { privateNodesMissing } from '../harness/nodes.js';

const missing = privateNodesMissing();
const NODES = ['n0', 'n1', 'n2', 'n3'];
const N = NODES.length;
const OTHER = 65534; // nobody
const data = (seed: number, ckpts = 2): DataSpec => ({ ckpts, files: 2, bytes: 2500, seed });
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** What the cases need to know of the suite they run in (at load time a stand-in, for the case ids). */
interface Where { root: string; local: string; prefix: (id: string) => string }

/** Where the test process finds `path` as a rank on `node` sees it (below <root>/local). */
function onNode(w: Where, node: string, path: string): string {
  if (!path.startsWith(`${w.local}/`)) return path;
  return join(w.root, `local.${node}`, path.slice(w.local.length + 1));
}

/** Every entry below `dir` (not following links) as lstat sees it: size, owner, mode, times.
 * Nothing is read, so no atime changes. */
function stats(dir: string, atime: boolean): string {
  if (!existsSync(dir)) return '(missing)';
  return treeOf(dir).map((rel) => {
    const st = lstatSync(join(dir, rel));
    if (st.isDirectory()) return `${rel} uid=${st.uid} mode=${(st.mode & 0o7777).toString(8)}`;
    if (st.isSymbolicLink()) return `${rel} -> link`;
    return `${rel} ${st.size} uid=${st.uid} mode=${(st.mode & 0o7777).toString(8)} mtime=${st.mtimeMs}${atime ? ` atime=${st.atimeMs}` : ''}`;
  }).join('\n');
}

/** The CRC-32 of every file below `dir` (reads them). */
function contents(dir: string): string {
  if (!existsSync(dir)) return '(missing)';
  return treeOf(dir).filter((rel) => lstatSync(join(dir, rel)).isFile()).map((rel) => `${rel} ${crc32(readFileSync(join(dir, rel))).toString(16)}`).join('\n');
}

/** A directory that is not scr's: nothing in it may be written (bytes, size, owner, mode, mtime)
 * and, with `noReads`, not even read (its files' atimes are set far in the past, so any read
 * shows: tmpfs then updates them). The check compares after the launches. */
function watch(dir: string, noReads = false): () => string[] {
  const bytesBefore = contents(dir);
  const old = new Date('2021-01-01T00:00:00Z');
  for (const rel of treeOf(dir)) if (!lstatSync(join(dir, rel)).isDirectory()) utimesSync(join(dir, rel), old, old);
  const before = stats(dir, noReads);
  return () => {
    const now = stats(dir, noReads); // before reading anything
    const bytesNow = contents(dir);
    const show = (t: string) => t.split('\n').join('\n    ') || '(empty)';
    const out: string[] = [];
    if (now !== before) out.push(`${dir}, which is not scr's, was ${noReads ? 'read or changed (atime, mtime, size, owner)' : 'changed'}:\n  before:\n    ${show(before)}\n  after:\n    ${show(now)}`);
    if (bytesNow !== bytesBefore) out.push(`the bytes of files in ${dir}, which is not scr's, changed:\n  before:\n    ${show(bytesBefore)}\n  after:\n    ${show(bytesNow)}`);
    return out;
  };
}

/** Every rank's init failed: the ranks in `bad` with their own ERR_UNSAFE_DIR (matching own(r)),
 * every other rank with ERR_SCR_REMOTE naming the first bad rank and its message. */
function refused(lines: Array<CallResult | undefined>, bad: number[], own: (r: number) => RegExp): string[] {
  const out: string[] = [];
  const first = bad[0]!;
  const others = new RegExp(`^creating the control and cache directories failed on rank ${first}: ${own(first).source.replace(/^\^/, '')}`);
  for (let r = 0; r < N; r++) {
    const s = lines[r]?.steps[0];
    if (!s) { out.push(`rank ${r} reported no init`); continue; }
    const [code, want] = bad.includes(r) ? ['ERR_UNSAFE_DIR', own(r)] : ['ERR_SCR_REMOTE', others];
    if (s.ok) { out.push(`rank ${r}: init succeeded, expected ${code} matching ${want}`); continue; }
    if (s.error!.code !== code) out.push(`rank ${r}: init threw ${s.error!.code ?? s.error!.name}, expected ${code}: ${s.error!.message}`);
    if (!want.test(s.error!.message)) out.push(`rank ${r}: init's error does not match ${want}: ${s.error!.message}`);
  }
  return out;
}

/** A cached file of a job (by job id) on a node, as the test process reaches it. */
function cachedFile(w: Where, node: string, jobId: string, dataset: number, spec: DataSpec, ckpt: number, rank: number, f: number): string {
  return join(w.root, `local.${node}`, 'cache', 'u', `scr.${jobId}`, `node.${node}`, `scr.dataset.${dataset}`, fileRel(spec, ckpt, rank, f).split('/').pop()!);
}

/** The cache of job `jobId` still holds these (dataset id, checkpoint) pairs, every byte. */
function cacheHolds(w: Where, jobId: string, spec: DataSpec, ids: Array<[number, number]>): string[] {
  const out: string[] = [];
  for (const [dataset, ckpt] of ids) {
    for (let r = 0; r < N; r++) {
      for (let f = 0; f < spec.files; f++) {
        const p = cachedFile(w, NODES[r]!, jobId, dataset, spec, ckpt, r, f);
        if (!existsSync(p)) out.push(`${p} (ckpt.${ckpt}) is gone from the cache`);
        else if (crc32(readFileSync(p)) !== fileCrc(spec, ckpt, r, f)) out.push(`${p} no longer holds ckpt.${ckpt}'s bytes`);
      }
    }
  }
  return out;
}

function makeCases(w: Where): CallCase[] {
  const cases: CallCase[] = [];
  const add = (c: CallCase) => cases.push(c);
  /** Per case: the checks of directories that are not scr's, made when the fault is planted. */
  const watched = new Map<string, Array<() => string[]>>();
  const watchFor = (id: string, check: () => string[]) => watched.set(id, [...(watched.get(id) ?? []), check]);
  const afterOf = (id: string) => () => (watched.get(id) ?? []).flatMap((f) => f());
  const ENV = { SCR_FLUSH: '0', SCR_COPY_TYPE: 'XOR' };

  // ---- refusals at init: a directory of the cache or control tree that is not the user's own ----
  type Place = 'cache-user' | 'cache-job' | 'cache-node' | 'cntl-user' | 'cntl-node';
  const cacheBase = (id: string) => `${w.local}/cb-${id}`;
  const cntlBase = (id: string) => `${w.local}/cn-${id}`;
  const dirAt = (place: Place, id: string, node: string): string => {
    const user = join(place.startsWith('cache') ? cacheBase(id) : cntlBase(id), 'u');
    if (place.endsWith('user')) return user;
    if (place === 'cache-job') return join(user, `scr.${id}`);
    return join(user, `scr.${id}`, `node.${node}`);
  };
  for (const [id, place, how, nodes] of [
    ['cache-user-symlink-n1', 'cache-user', 'symlink', ['n1']],
    ['cache-user-symlink-all', 'cache-user', 'symlink', NODES],
    ['cache-user-other-uid-n2', 'cache-user', 'other-uid', ['n2']],
    ['cache-job-other-uid-n3', 'cache-job', 'other-uid', ['n3']],
    ['cache-job-symlink-n0', 'cache-job', 'symlink', ['n0']],
    ['cache-node-symlink-n1', 'cache-node', 'symlink', ['n1']],
    ['cache-node-other-uid-n0', 'cache-node', 'other-uid', ['n0']],
    ['cntl-user-symlink-n2', 'cntl-user', 'symlink', ['n2']],
    ['cntl-node-other-uid-n1', 'cntl-node', 'other-uid', ['n1']],
    ['cntl-node-symlink-all', 'cntl-node', 'symlink', NODES],
  ] as Array<[string, Place, 'symlink' | 'other-uid', string[]]>) {
    const bad = nodes.map((n) => NODES.indexOf(n)).sort();
    // Two of the cases go on after the refusal with directories of their own.
    const recover = id === 'cache-user-symlink-n1' || id === 'cntl-node-other-uid-n1';
    const okBases = { SCR_CACHE_BASE: `${w.local}/ok-cb-${id}`, SCR_CNTL_BASE: `${w.local}/ok-cn-${id}` };
    const evil = `${w.local}/evil-${id}`;
    const own = (r: number) => {
      const why = how === 'symlink' ? `it is a symbolic link \\(to ${esc(evil)}\\); on shared storage another user could redirect scr's files through it`
        : `it belongs to uid ${OTHER}, not to this user \\(uid 0\\), who could read or replace scr's files there`;
      return new RegExp(`^refusing to use directory ${esc(dirAt(place, id, NODES[r]!))}(?: \\(on the way to [^)]*node\\.${NODES[r]}\\))?: ${why}\\. .*\\(SCR_CACHE_BASE, SCR_CNTL_BASE\\)$`);
    };
    add({
      id, env: { ...ENV, SCR_CACHE_BASE: cacheBase(id), SCR_CNTL_BASE: cntlBase(id) }, data: data(cases.length + 1, 1),
      before: () => {
        for (const node of nodes) {
          const d = onNode(w, node, dirAt(place, id, node));
          mkdirSync(dirname(d), { recursive: true, mode: 0o700 });
          if (how === 'symlink') {
            const target = onNode(w, node, evil);
            mkdirSync(target, { recursive: true, mode: 0o755 });
            symlinkSync(evil, d);
            watchFor(id, watch(target));
            watchFor(id, () => (isSymlink(d) ? [] : [`${d} is no longer the planted link`]));
          } else {
            mkdirSync(d, { mode: 0o755 });
            chownSync(d, OTHER, OTHER);
            watchFor(id, watch(d));
          }
        }
      },
      steps: recover ? [init(), setEnv(okBases), init(), checkpoint(1), finalize()] : [init(), finalize()],
      // Refused, the library stays uninitialised (finalize says so), or goes on with other directories.
      check: (l) => [...refused(l, bad, own), ...(recover ? stepsOk(l, N, [1, 2, 3, 4], (k) => (k === 3 ? true : undefined))
        : sameError(l, N, 1, { code: 'ERR_SCR_STATE', message: /^init\(\) must come before finalize\(\)$/ }))],
      ...(recover ? { restart: { env: okBases }, expect: { restored: 'ckpt.1' } } : {}),
      after: afterOf(id),
    });
  }

  // ---- the prefix's .scr: a symlink, or another user's (before the first run, or at a restart) ----
  for (const [id, how, when] of [
    ['prefix-scr-symlink', 'symlink', 'before'],
    ['prefix-scr-other-uid', 'other-uid', 'before'],
    ['prefix-scr-symlink-at-restart', 'symlink', 'between'],
    ['prefix-scr-other-uid-at-restart', 'other-uid', 'between'],
  ] as Array<[string, 'symlink' | 'other-uid', 'before' | 'between']>) {
    const prefix = w.prefix(id);
    const scr = join(prefix, '.scr');
    const target = `${prefix}-elsewhere`;
    const plant = () => {
      if (how === 'symlink') {
        // What was there (or an empty directory) now lives elsewhere on the shared file system.
        if (existsSync(scr)) { cpSync(scr, target, { recursive: true }); rmSync(scr, { recursive: true }); } else mkdirSync(target, { mode: 0o700 });
        symlinkSync(target, scr);
        watchFor(id, watch(target));
      } else {
        if (!existsSync(scr)) mkdirSync(scr, { mode: 0o700 });
        spawnSync('chown', ['-R', `${OTHER}:${OTHER}`, scr]);
        watchFor(id, watch(scr));
      }
    };
    const own = new RegExp(`^refusing to use ${esc(scr)} \\(the prefix's \\.scr directory, where scr keeps the index, the halt file and the log\\): ` +
      (how === 'symlink' ? `it is a symbolic link \\(to ${esc(target)}\\), through which another user could redirect or read what scr keeps there\\. Replace the link with a real directory, or use a prefix directory of your own`
        : `it belongs to uid ${OTHER}, not to this user \\(uid 0\\), who could change or replace what scr reads and writes there\\. Either use a prefix directory of your own`));
    // Every rank reads <prefix>/.scr/app.conf while it loads its configuration: each refuses.
    const check = (l: Array<CallResult | undefined>) => agreedError(l, N, 0, { code: 'ERR_SCR_CONFIG', bad: [0, 1, 2, 3], own });
    if (when === 'before') {
      add({ id, env: ENV, data: data(cases.length + 20, 1), before: plant, steps: [init(), finalize()], check, after: afterOf(id) });
    } else {
      add({
        id, env: { SCR_FLUSH: '1', SCR_COPY_TYPE: 'XOR' }, data: data(cases.length + 20), steps: [init(), checkpoint(1), checkpoint(2), finalize()],
        fault: plant, restart: { steps: [init(), restart(), finalize()], check }, expect: { restored: null }, after: afterOf(id),
      });
    }
  }

  // ---- a symlink planted inside a cached dataset, to a file (or directory) of another user ----
  const REBUILT_OR_DROPPED = /found damaged in cache and rebuilt: .*rank 1|rebuilt dataset ckpt\.2: files of rank\(s\) 1|dropped dataset 2 \(ckpt\.2\): .*rank 1/;
  for (const [id, type, what, same, expect] of [
    ['link-data-file-xor', 'XOR', 'data', false, { restored: ['ckpt.2', 'ckpt.1'], message: REBUILT_OR_DROPPED }],
    ['link-data-file-partner', 'PARTNER', 'data', false, { restored: ['ckpt.2', 'ckpt.1'], message: REBUILT_OR_DROPPED }],
    ['link-data-file-rs', 'RS', 'data', false, { restored: ['ckpt.2', 'ckpt.1'], message: REBUILT_OR_DROPPED }],
    ['link-data-file-single', 'SINGLE', 'data', false, { restored: 'ckpt.1', message: /dropped dataset 2 \(ckpt\.2\): .*rank 1/ }],
    ['link-data-file-same-bytes-xor', 'XOR', 'data', true, { restored: ['ckpt.2', 'ckpt.1'] }],
    ['link-redundancy-xor', 'XOR', 'redData', false, { restored: ['ckpt.2', 'ckpt.1'], message: REBUILT_OR_DROPPED }],
    ['link-dataset-dir-xor', 'XOR', 'dir', true, { restored: ['ckpt.2', 'ckpt.1'] }],
  ] as Array<[string, string, 'data' | 'redData' | 'dir', boolean, { restored: string | string[]; message?: RegExp }]>) {
    add({
      id, env: { SCR_FLUSH: '0', SCR_COPY_TYPE: type }, data: data(cases.length + 40),
      steps: [init(), checkpoint(1), checkpoint(2), finalize()],
      fault: (c) => {
        const victims = join(c.suite.root, 'victims', id);
        mkdirSync(victims, { recursive: true, mode: 0o755 });
        if (what === 'dir') {
          // n1's directory of dataset 2 becomes a link to another user's copy of it.
          const dir = dirname(c.file('data', { node: 'n1', dataset: 2, rank: 1, file: 0 }).path);
          const copy = join(victims, 'scr.dataset.2');
          cpSync(dir, copy, { recursive: true });
          spawnSync('chown', ['-R', `${OTHER}:${OTHER}`, victims]);
          rmSync(dir, { recursive: true });
          symlinkSync(copy, dir);
        } else {
          // A file of rank 1 becomes a link to another user's file: other bytes of the same size, or
          // (same) a copy of the very bytes, so only refusing the link keeps scr out of it.
          const f = c.file(what, what === 'data' ? { node: 'n1', dataset: 2, rank: 1, file: 0 } : { node: 'n1', dataset: 2, rank: 1 }).path;
          const victim = join(victims, f.split('/').pop()!);
          const bytes = readFileSync(f);
          writeFileSync(victim, same ? bytes : Buffer.alloc(bytes.length, 0x5a));
          chownSync(victim, OTHER, OTHER);
          rmSync(f);
          symlinkSync(victim, f);
        }
        // A file of other bytes may be read to find its CRC wrong; a link to the very bytes must not be
        // followed at all, since only refusing it keeps scr out of another user's file.
        watchFor(id, watch(victims, same));
      },
      restart: {}, expect, after: afterOf(id),
    });
  }

  // ---- two jobs on one node ----
  // (a) Different prefixes, no SCR_JOB_ID: the default job id (nojob-<hash of user and prefix>)
  // differs, so the caches are apart. b writes after a, and at its restart writes two more
  // checkpoints (SCR_CACHE_SIZE=2 evicts its own older ones); a's datasets stay, byte for byte.
  const NOJOB = { SCR_FLUSH: '0', SCR_COPY_TYPE: 'XOR', SCR_CACHE_SIZE: '2', SCR_JOB_ID: null };
  const specA = data(71);
  const specB = data(72);
  const jobA = localJobId('u', w.prefix('nojob-prefix-a'));
  const jobB = localJobId('u', w.prefix('nojob-prefix-b'));
  add({
    id: 'nojob-prefix-a', env: NOJOB, data: specA, steps: [init(), checkpoint(1), checkpoint(2), finalize()],
    restart: {}, expect: { restored: 'ckpt.2' },
    after: () => [
      ...(jobA === jobB ? [`both prefixes got the job id ${jobA}`] : []),
      ...NODES.filter((n) => !existsSync(join(w.root, `local.${n}`, 'cache', 'u', `scr.${jobA}`))).map((n) => `node ${n} has no cache directory scr.${jobA}`),
      ...cacheHolds(w, jobA, specA, [[1, 1], [2, 2]]),
    ],
  });
  add({
    id: 'nojob-prefix-b', env: NOJOB, data: specB, steps: [init(), checkpoint(1), checkpoint(2), finalize()],
    restart: { steps: [init(), restart(), checkpoint(3), checkpoint(4), finalize()], check: (l) => stepsOk(l, N, [0, 2, 3, 4], (k) => (k === 2 || k === 3 ? true : undefined)) },
    expect: { restored: 'ckpt.2' },
    after: () => cacheHolds(w, jobB, specB, [[3, 3], [4, 4]]),
  });
  // (b) One explicit SCR_JOB_ID, two prefixes. The second job finds the first's datasets under its
  // job id: it neither restores them ("of another prefix … left alone") nor deletes them, also
  // while it evicts its own (SCR_CACHE_SIZE=1); the first then restarts from its cache.
  const SHARED = 'shared-job';
  const specFirst = data(81);
  const specSecond = data(82);
  const leftAlone = (other: string) => new RegExp(`node n\\d's cache holds dataset \\d+ \\(ckpt\\.\\d\\) of another prefix, ${esc(other)}, under the same job id: it is left alone`);
  add({
    id: 'samejob-first', env: { SCR_FLUSH: '0', SCR_COPY_TYPE: 'XOR', SCR_JOB_ID: SHARED }, data: specFirst, steps: [init(), checkpoint(1), checkpoint(2), finalize()],
    restart: {}, expect: { restored: 'ckpt.2', message: leftAlone(w.prefix('samejob-second')) },
    // Still in the shared cache after the second job's restart wrote and evicted its own.
    after: () => cacheHolds(w, SHARED, specFirst, [[1, 1], [2, 2]]),
  });
  add({
    id: 'samejob-second', env: { SCR_FLUSH: '1', SCR_COPY_TYPE: 'XOR', SCR_JOB_ID: SHARED, SCR_CACHE_SIZE: '1' }, data: specSecond,
    // Its first run finds only the first job's datasets: nothing to restart from; then it writes.
    steps: [init(), restart(), checkpoint(1), checkpoint(2), finalize()],
    check: (l) => {
      const out = stepsOk(l, N, [0, 1, 2, 3, 4], (k) => (k === 1 ? null : k === 2 || k === 3 ? true : undefined));
      const err = l.map((x) => x?.stderr ?? '').join('');
      if (!leftAlone(w.prefix('samejob-first')).test(err)) out.push(`no rank said the first job's datasets are left alone:\n${err || '(empty)'}`);
      if (l.some((x) => x && x.attempts.length)) out.push(`the second job was offered a checkpoint: ${JSON.stringify(l.map((x) => x?.attempts.map((a) => a.name)))}`);
      return out;
    },
    restart: { steps: [init(), restart(), checkpoint(3), finalize()], check: (l) => stepsOk(l, N, [0, 2, 3], (k) => (k === 2 ? true : undefined)) },
    expect: { restored: 'ckpt.2', message: leftAlone(w.prefix('samejob-first')) },
  });
  return cases;
}

// MPICH: a representative subset.
const MPICH_SUBSET = new Set(['cache-user-symlink-n1', 'prefix-scr-symlink', 'link-data-file-xor', 'nojob-prefix-a', 'nojob-prefix-b', 'samejob-first', 'samejob-second']);
const IDS = makeCases({ root: '/r', local: '/r/local', prefix: (id) => `/r/prefix/${id}` }).map((c) => c.id);

for (const flavour of flavoursBuilt()) {
  const ids = flavour === 'openmpi' ? IDS : IDS.filter((id) => MPICH_SUBSET.has(id));
  describe(`fault suite: hostile environments, ${flavour}`, function () {
    this.timeout(600_000);
    let suite: FaultSuite;
    let reports: Map<string, CaseReport>;
    before(async function () {
      if (missing) { console.log(`      skipped: ${missing}`); this.skip(); }
      suite = new FaultSuite(flavour, { timeoutMs: 240_000 });
      const all = makeCases({ root: suite.root, local: suite.job.local, prefix: (id) => join(suite.job.prefix, id) });
      reports = await runCallCases(suite, all.filter((c) => ids.includes(c.id)), { nodes: NODES });
    });
    after(() => suite?.cleanup());

    it('the cases are distinct', () => assert.equal(new Set(ids).size, ids.length));
    for (const id of ids) it(id, () => assertCase(reports.get(id)));
  });
}
