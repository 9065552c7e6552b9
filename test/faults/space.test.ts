// Exhaustion (issue 10, item 11 and 13) and a relaunch with another number of ranks (item 10).
//
// Exhaustion: small tmpfs mounts as one node's cache store (each case its own SCR_CACHE_BASE, so
// one case's full store does not touch another's) or as a case's prefix:
// - the application's own write fails with ENOSPC: completeOutput is false on every rank, the
//   "cache store … is full" message, and the previous checkpoint is restored byte for byte;
// - the encode finds no room for the redundancy data: "no space left in the cache store …";
// - SCR_CACHE_SIZE=1 and room for one checkpoint and a bit: the newest checkpoint not on the file
//   system is not evicted before the next is complete (and is once it is flushed);
// - a rebuild onto a spare whose cache is too small: no SIGBUS, no hang, a clear drop;
// - a flush into a full prefix: the checkpoint stays in cache (warning), the one flushed before is
//   intact and fetchable, finalize does not throw and names `scr postrun`;
// - a fetch into a node cache that is too small or read-only: "could not copy … into the cache …;
//   it is not marked failed, and is read in place", with the exact bytes.
// No launch may end with a signal (SIGBUS) or a hang: the launches are checked for both.
//
// Rank-count change: written with 4 ranks, restarted with 2 (and 2 → 4, and 4 → 3 after a node
// was lost) while the newest checkpoint is only in cache: it is drained to the prefix by the job
// (rebuilt from redundancy files where a node is gone) and read in place, every rank reading every
// file of every writer through routeFile; or the message says why not and what to do.
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { readIndex } from '../../src/pfs/index.js';
import { type CallCase, type CallResult, type CallsLaunch, checkpoint, finalize, init, restart, runCallCases, stepsOk, treeOf } from '../harness/calls.js';
import { assertCase, type CaseReport, type DataSpec, FaultSuite, fileCrc, fileRel, stderrOf } from '../harness/faults.js';
import { flavoursBuilt } from '../harness/launch.js';
import { mountTmpfs, privateNodesMissing } from '../harness/nodes.js';
import { skipBecause } from '../harness/skip.js';

const missing = privateNodesMissing();
const NODES = ['n0', 'n1', 'n2', 'n3'];
const KiB = 1024;
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** What the cases need of their suite (at load time a stand-in, for the case ids). */
interface Where { root: string; local: string; prefix: (id: string) => string; suite?: FaultSuite }

/** A case's own cache base (the same path on every node; on one node it may be a small tmpfs). */
const cacheBase = (w: Where, id: string) => `${w.local}/cb-${id}`;
/** Where the test process reaches a case's cache base on a node. */
const cacheBaseOn = (w: Where, id: string, node: string) => join(w.root, `local.${node}`, `cb-${id}`);

/** The scenario's stderr (all ranks) matches each of these. */
function said(lines: Array<CallResult | undefined>, ...res: RegExp[]): string[] {
  const err = stderrOf(lines);
  return res.filter((re) => !re.test(err)).map((re) => `stderr does not match ${re}:\n${err || '(empty)'}`);
}

/** Every rank completed these checkpoints with these results, in order. */
function wrote(lines: Array<CallResult | undefined>, want: Array<[string, boolean]>): string[] {
  const w = JSON.stringify(want.map(([name, ok]) => ({ name, ok })));
  return lines.flatMap((l, r) => (!l ? [`rank ${r} reported nothing`] : JSON.stringify(l.wrote) === w ? [] : [`rank ${r} completed ${JSON.stringify(l.wrote)}, expected ${w}`]));
}

/** The flushed files of a checkpoint on the prefix hold its bytes; no staging leftovers (.part). */
function onPrefix(prefix: string, spec: DataSpec, ckpt: number, ranks: number): string[] {
  const out: string[] = [];
  for (let r = 0; r < ranks; r++) {
    for (let f = 0; f < spec.files; f++) {
      const p = join(prefix, fileRel(spec, ckpt, r, f));
      if (!existsSync(p)) out.push(`${p} is not on the prefix`);
      else if (crc32(readFileSync(p)) !== fileCrc(spec, ckpt, r, f)) out.push(`${p} does not hold ckpt.${ckpt}'s bytes`);
    }
  }
  const parts = treeOf(prefix).filter((p) => p.endsWith('.part'));
  if (parts.length) out.push(`staged leftovers on the prefix: ${parts.join(', ')}`);
  return out;
}

/** The index of the prefix does not mark `name` failed (and has it flushed, if `flushed`). */
async function notFailed(prefix: string, name: string, flushed: boolean): Promise<string[]> {
  const idx = await readIndex(prefix, () => undefined);
  const e = Object.values(idx.datasets).find((x) => x.name === name);
  if (!e) return [`${name} is not in the index of ${prefix}`];
  const out: string[] = [];
  if (e.failed) out.push(`${name} is marked failed in the index: ${JSON.stringify(e.failure)}`);
  if (flushed && !e.flushed) out.push(`${name} is not flushed in the index`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Exhaustion, 4 ranks on n0..n3 (per case: its own cache base; a tmpfs on one node, or as its prefix).

function exhaustion(w: Where): CallCase[] {
  const cases: CallCase[] = [];
  const add = (c: CallCase) => cases.push(c);
  // 2 files of about 6000 bytes per rank and checkpoint: each file takes 2 pages; with XOR the
  // redundancy data 1 page, the file map and the record 1 page each (7 pages, 28 KiB, per rank and
  // checkpoint); PARTNER keeps a copy of the neighbour's files (3 pages): 9 pages, 36 KiB.
  const big: DataSpec = { ckpts: 2, files: 2, bytes: 6000, seed: 0 };
  const two = [init(), checkpoint(1), checkpoint(2), finalize()];
  const full = (id: string, node: string) => new RegExp(`ckpt\\.2 is not complete, and the cache store ${esc(cacheBase(w, id))} is full on node ${node} \\([^)]* free of [^)]*\\): the application probably could not write its files \\(ENOSPC\\)\\. The previous checkpoint, ckpt\\.1, is kept .*Give the cache more room`);
  const noSpace = (id: string, node: string, rank: number, scheme: string) => new RegExp(`no space left in the cache store ${esc(cacheBase(w, id))} on node ${node} for the redundancy data and records of ckpt\\.2 \\(rank ${rank}, ${scheme}\\): it needs [\\d.]+ \\w?i?B, [\\d.]+ \\w?i?B free of [\\d.]+ KiB\\. Give the cache more room`);
  const tmpfsOn = (id: string, node: string, bytes: number) => () => { mountTmpfs(w.suite!.job, cacheBaseOn(w, id, node), bytes); };

  // The application's own write fails (ENOSPC): it completes with false on that rank.
  for (const [id, type, node, kb] of [
    ['app-write-enospc-xor-n1', 'XOR', 'n1', 40],
    ['app-write-enospc-partner-n2', 'PARTNER', 'n2', 48],
    ['app-write-enospc-single-n3', 'SINGLE', 'n3', 24],
  ] as Array<[string, string, string, number]>) {
    const rank = NODES.indexOf(node);
    add({
      id, env: { SCR_FLUSH: '0', SCR_COPY_TYPE: type, SCR_CACHE_BASE: cacheBase(w, id) }, data: { ...big, seed: cases.length + 1 },
      before: tmpfsOn(id, node, kb * KiB), steps: two,
      check: (l) => [
        ...stepsOk(l, 4, [0, 1, 2, 3], (k) => (k === 1 ? true : k === 2 ? false : undefined)), ...wrote(l, [['ckpt.1', true], ['ckpt.2', false]]), ...said(l, full(id, node)),
        ...(l[rank]?.writeErrors.some((e) => /ENOSPC/.test(e)) ? [] : [`rank ${rank}'s write did not fail with ENOSPC: ${JSON.stringify(l[rank]?.writeErrors)}`]),
      ],
      restart: {}, expect: { restored: 'ckpt.1' },
    });
  }
  // The files fit, their redundancy does not: the encode fails on every rank alike.
  for (const [id, type, node, kb] of [
    ['encode-enospc-partner-n1', 'PARTNER', 'n1', 64],
    ['encode-enospc-xor-n2', 'XOR', 'n2', 48],
  ] as Array<[string, string, string, number]>) {
    const rank = NODES.indexOf(node);
    add({
      id, env: { SCR_FLUSH: '0', SCR_COPY_TYPE: type, SCR_CACHE_BASE: cacheBase(w, id) }, data: { ...big, seed: cases.length + 1 },
      before: tmpfsOn(id, node, kb * KiB), steps: two,
      check: (l) => [...stepsOk(l, 4, [0, 1, 2, 3], (k) => (k === 1 ? true : k === 2 ? false : undefined)), ...wrote(l, [['ckpt.1', true], ['ckpt.2', false]]),
        ...said(l, new RegExp(`completeOutput\\(\\): applying redundancy to ckpt\\.2 failed on rank ${rank}: ${noSpace(id, node, rank, type).source}`))],
      restart: {}, expect: { restored: 'ckpt.1' },
    });
  }
  // SCR_CACHE_SIZE=1 with room for one checkpoint and a bit. Not flushed: ckpt.1 is the last good
  // copy, so it is kept while ckpt.2 is written, which then has no room — and ckpt.1 is restored.
  // Flushed (SCR_FLUSH=1): ckpt.1 is on the prefix, so it makes room and ckpt.2 completes.
  add({
    id: 'cache-size-1-unflushed-encode', env: { SCR_FLUSH: '0', SCR_COPY_TYPE: 'XOR', SCR_CACHE_SIZE: '1', SCR_CACHE_BASE: cacheBase(w, 'cache-size-1-unflushed-encode') },
    data: { ...big, seed: 20 }, before: tmpfsOn('cache-size-1-unflushed-encode', 'n2', 48 * KiB), steps: two,
    check: (l) => [...wrote(l, [['ckpt.1', true], ['ckpt.2', false]]), ...said(l, noSpace('cache-size-1-unflushed-encode', 'n2', 2, 'XOR'))],
    restart: {}, expect: { restored: 'ckpt.1' },
  });
  add({
    id: 'cache-size-1-unflushed-write', env: { SCR_FLUSH: '0', SCR_COPY_TYPE: 'XOR', SCR_CACHE_SIZE: '1', SCR_CACHE_BASE: cacheBase(w, 'cache-size-1-unflushed-write') },
    data: { ...big, seed: 21 }, before: tmpfsOn('cache-size-1-unflushed-write', 'n0', 40 * KiB), steps: two,
    check: (l) => [...wrote(l, [['ckpt.1', true], ['ckpt.2', false]]), ...said(l, full('cache-size-1-unflushed-write', 'n0'))],
    restart: {}, expect: { restored: 'ckpt.1' },
  });
  add({
    id: 'cache-size-1-flushed', env: { SCR_FLUSH: '1', SCR_COPY_TYPE: 'XOR', SCR_CACHE_SIZE: '1', SCR_CACHE_BASE: cacheBase(w, 'cache-size-1-flushed') },
    data: { ...big, seed: 22 }, before: tmpfsOn('cache-size-1-flushed', 'n2', 48 * KiB), steps: two,
    check: (l) => [...stepsOk(l, 4, [0, 1, 2, 3], (k) => (k === 1 || k === 2 ? true : undefined)), ...wrote(l, [['ckpt.1', true], ['ckpt.2', true]])],
    restart: {}, expect: { restored: 'ckpt.2' },
  });

  // A flush into a full prefix (a tmpfs as the case's prefix): ckpt.1 is flushed, ckpt.2 is not.
  const small: DataSpec = { ckpts: 2, files: 1, bytes: 3000, seed: 0 };
  for (const [id, lose] of [['flush-enospc-prefix', false], ['flush-enospc-prefix-fetch-older', true]] as Array<[string, boolean]>) {
    const prefix = w.prefix(id);
    const data = { ...small, seed: cases.length + 30 };
    add({
      id, env: { SCR_FLUSH: '1', SCR_COPY_TYPE: 'XOR' }, data,
      before: () => { mountTmpfs(w.suite!.job, prefix, 48 * KiB); },
      steps: two,
      // Both checkpoints complete; ckpt.2's flush fails for want of room; finalize warns and returns.
      check: (l) => [...stepsOk(l, 4, [0, 1, 2, 3], (k) => (k === 1 || k === 2 ? true : undefined)),
        ...said(l, /flushing ckpt\.2[^\n]*(ENOSPC|no space left)[^\n]*ckpt\.2 stays in cache only/i,
          new RegExp(`finalize\\(\\): the newest checkpoint, ckpt\\.2, could not be flushed to ${esc(prefix)} \\(see above\\); it stays in the node caches: run \`scr postrun\``))],
      // The relaunch restores ckpt.2 from cache; or, with the caches gone, fetches ckpt.1.
      fault: lose ? (c) => { for (const n of NODES) c.loseNode(n); } : undefined,
      restart: {}, expect: { restored: lose ? 'ckpt.1' : 'ckpt.2' },
      after: async () => [...onPrefix(prefix, data, 1, 4), ...(await notFailed(prefix, 'ckpt.1', true))],
    });
  }

  // A fetch (the caches are gone, the prefix holds both checkpoints) into a node cache that is too
  // small, or read-only: the checkpoint is not marked failed and is read in place.
  for (const [id, nodes, how] of [
    ['fetch-tiny-cache-n1', ['n1'], 'tiny'],
    ['fetch-tiny-cache-all', NODES, 'tiny'],
    ['fetch-readonly-cache-n2', ['n2'], 'ro'],
    ['fetch-readonly-cache-n0', ['n0'], 'ro'],
  ] as Array<[string, string[], 'tiny' | 'ro']>) {
    const first = NODES.indexOf(nodes[0]!);
    const why = how === 'tiny' ? `no space left in the cache store ${esc(cacheBase(w, id))} on node ${nodes[0]} for fetching ckpt\\.2: it needs` : '(EROFS|read-only|ENOENT)';
    add({
      id, env: { SCR_FLUSH: '1', SCR_COPY_TYPE: 'XOR', SCR_CACHE_BASE: cacheBase(w, id) }, data: { ...small, files: 2, seed: cases.length + 40 },
      steps: two,
      fault: (c) => {
        for (const n of NODES) c.loseNode(n);
        for (const n of nodes) {
          const d = cacheBaseOn(w, id, n);
          rmSync(d, { recursive: true, force: true });
          if (how === 'tiny') { mountTmpfs(c.suite.job, d, 4 * KiB); continue; }
          // A read-only store whose node directory already exists (so init can use it as it is).
          mountTmpfs(c.suite.job, d, 64 * KiB);
          const nd = join(d, 'u', `scr.${id}`, `node.${n}`);
          mkdirSync(nd, { recursive: true, mode: 0o700 });
          for (const p of [join(d, 'u'), join(d, 'u', `scr.${id}`), nd]) chmodSync(p, 0o700);
          const r = spawnSync('mount', ['-o', 'remount,ro', d], { encoding: 'utf8' });
          if (r.status !== 0) throw new Error(`remount ro ${d}: ${r.stderr}`);
        }
      },
      restart: {},
      expect: { restored: 'ckpt.2', message: new RegExp(`could not copy ckpt\\.2 into the cache \\(rank ${first}: [^\\n]*${why}[^\\n]*\\); it is not marked failed, and is read in place from the file system instead`) },
      after: async (c) => notFailed(c.suite.prefixOf(id), 'ckpt.2', true),
    });
  }
  return cases;
}

/** A spare (n4) in place of the lost n1, whose cache is too small for what it must rebuild. */
function spare(w: Where, which: 'room' | 'xor-full'): CallCase[] {
  const big: DataSpec = { ckpts: 2, files: 2, bytes: 6000, seed: 0 };
  const cases: CallCase[] = [];
  const dropped = /dropped dataset 2 \(ckpt\.2\): [^\n]*(no space left|ENOSPC)/i;
  const mk = (id: string, type: string, kb: number, expect: CallCase['expect']): CallCase => ({
    id, env: { SCR_FLUSH: '0', SCR_COPY_TYPE: type, SCR_CACHE_BASE: cacheBase(w, id) }, data: { ...big, seed: id.length * 7 + kb },
    steps: [init(), checkpoint(1), checkpoint(2), finalize()],
    fault: (c) => { c.loseNode('n1'); mountTmpfs(c.suite.job, cacheBaseOn(w, id, 'n4'), kb * KiB); },
    restart: {}, expect,
  });
  if (which === 'room') {
    // PARTNER: n4 can hold neither checkpoint's rebuilt files: both dropped, nothing to restart from.
    cases.push(mk('rebuild-spare-full-partner', 'PARTNER', 4, { restored: null, orRefused: dropped, message: dropped }));
    // PARTNER: room for one rebuilt checkpoint (9 pages): one is restored, the other dropped.
    cases.push(mk('rebuild-spare-room-for-one-partner', 'PARTNER', 40, { restored: ['ckpt.2', 'ckpt.1'], message: /dropped dataset [12] \(ckpt\.[12]\): [^\n]*(no space left|ENOSPC)/i }));
    // XOR: room for the rebuilt files and parity (written through memory maps, the space reserved
    // first) but not for the file map: an error, never a SIGBUS; both checkpoints dropped. (Last in
    // its launch: should it hang, the cases before it have reported.)
    cases.push(mk('rebuild-spare-no-metadata-room-xor', 'XOR', 20, { restored: null, orRefused: dropped, message: dropped }));
  } else {
    // XOR: no room at all on the spare (the files cannot even be created).
    cases.push(mk('rebuild-spare-full-xor', 'XOR', 4, { restored: null, orRefused: dropped, message: dropped }));
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------
// Rank-count change.

function rankCount(w: Where, batch: '4to2' | '2to4' | '4to3'): CallCase[] {
  const spec = (seed: number): DataSpec => ({ ckpts: 2, files: 2, bytes: 1500, seed });
  const cases: CallCase[] = [];
  const writers = batch === '2to4' ? 2 : 4;
  const now = batch === '4to2' ? 2 : batch === '2to4' ? 4 : 3;
  const draining = new RegExp(`ckpt\\.2, the newest checkpoint, is only in cache and was written by ${writers} ranks; this run has ${now}, so it cannot be restored from cache\\. Draining it to the file system first \\(as \`scr postrun\` would\\), so this run can read it from there`);
  const older = new RegExp(`ckpt\\.1 \\(written by ${writers} ranks\\) stays in cache unused: this run has ${now} ranks`);
  const drained = (copied: string, rebuilt?: string) => new RegExp(`scavenged ckpt\\.2: copied rank\\(s\\) ${copied}${rebuilt ? `, rebuilt rank\\(s\\) ${rebuilt}` : ''}; on the file system and in the index`);
  const notDrained = new RegExp(`ckpt\\.2 could not be drained \\(see above\\); it stays in the node caches, untouched\\. This run restarts from the newest checkpoint it can use instead\\. To use ckpt\\.2, relaunch with ${writers} ranks, or drain it with \`scr postrun\` while its nodes still hold it`);
  const inPlace = (id: string, type: string, flush: string, expect: CallCase['expect'], lose?: string, more: Partial<CallCase> = {}): CallCase => {
    const data = spec(id.length * 13 + cases.length);
    return {
      id, env: { SCR_FLUSH: flush, SCR_COPY_TYPE: type }, data,
      steps: [init(), checkpoint(1), checkpoint(2), finalize()],
      ...(lose ? { fault: (c) => c.loseNode(lose) } : {}),
      restart: { writers }, expect,
      // Drained (or flushed): ckpt.2 is on the prefix, every file with its bytes, not marked failed.
      after: async (c) => (expect?.restored === 'ckpt.2' ? [...onPrefix(c.suite.prefixOf(id), data, 2, writers), ...(await notFailed(c.suite.prefixOf(id), 'ckpt.2', true))] : []),
      ...more,
    };
  };
  if (batch === '4to2') {
    // 4 ranks on n0, n0, n1, n1, relaunched as 2 ranks on n0, n1.
    cases.push(inPlace('rc-4to2-xor-cache-only', 'XOR', '0', { restored: 'ckpt.2', message: new RegExp(`${draining.source}[\\s\\S]*${drained('0,1,2,3').source}`) }));
    cases.push(inPlace('rc-4to2-single-cache-only', 'SINGLE', '0', { restored: 'ckpt.2', message: draining }));
    cases.push(inPlace('rc-4to2-partner-cache-only', 'PARTNER', '0', { restored: 'ckpt.2', message: older }));
    cases.push(inPlace('rc-4to2-flushed', 'XOR', '1', { restored: 'ckpt.2', message: /ckpt\.2, the newest checkpoint, was written by 4 ranks and this run has 2: it cannot be restored from cache, so it is read from the file system, where it already is/ }));
    cases.push(inPlace('rc-4to2-partner-node-lost', 'PARTNER', '0', { restored: 'ckpt.2', message: new RegExp(`${draining.source}[\\s\\S]*the files of rank\\(s\\) 2,3 are on no live node; rebuilding them from redundancy[\\s\\S]*${drained('0,1', '2,3').source}`) }, 'n1'));
    cases.push(inPlace('rc-4to2-xor-node-lost', 'XOR', '0', { restored: 'ckpt.2', message: drained('0,1', '2,3') }, 'n1'));
    cases.push(inPlace('rc-4to2-single-node-lost', 'SINGLE', '0', { restored: null, orRefused: notDrained, message: notDrained }, 'n1'));
    // The application goes on with 2 ranks: a new checkpoint after the restored one.
    cases.push(inPlace('rc-4to2-then-write', 'XOR', '0', { restored: 'ckpt.2' }, undefined, {
      restart: { steps: [init(), restart({ writers: 4 }), checkpoint(3), finalize()], check: (l) => stepsOk(l, 2, [0, 1, 2, 3], (k) => (k === 1 ? 'ckpt.2' : k === 2 ? true : undefined)) },
    }));
  } else if (batch === '2to4') {
    // 2 ranks on n0, n1, relaunched as 4 ranks on n0..n3.
    cases.push(inPlace('rc-2to4-xor-cache-only', 'XOR', '0', { restored: 'ckpt.2', message: new RegExp(`${draining.source}[\\s\\S]*${drained('0,1').source}`) }));
    cases.push(inPlace('rc-2to4-partner-cache-only', 'PARTNER', '0', { restored: 'ckpt.2', message: draining }));
    cases.push(inPlace('rc-2to4-flushed', 'PARTNER', '1', { restored: 'ckpt.2', message: /ckpt\.2, the newest checkpoint, was written by 2 ranks and this run has 4: it cannot be restored from cache, so it is read from the file system, where it already is/ }));
    cases.push(inPlace('rc-2to4-partner-node-lost', 'PARTNER', '0', { restored: 'ckpt.2', message: drained('0', '1') }, 'n1'));
  } else {
    // 4 ranks on n0..n3; n3 is lost; relaunched as 3 ranks on n0, n1, n2.
    cases.push(inPlace('rc-4to3-xor-node-lost', 'XOR', '0', { restored: 'ckpt.2', message: new RegExp(`${draining.source}[\\s\\S]*the files of rank\\(s\\) 3 are on no live node; rebuilding them from redundancy[\\s\\S]*${drained('0,1,2', '3').source}`) }, 'n3'));
    cases.push(inPlace('rc-4to3-partner-node-lost', 'PARTNER', '0', { restored: 'ckpt.2', message: drained('0,1,2', '3') }, 'n3'));
    cases.push(inPlace('rc-4to3-rs-node-lost', 'RS', '0', { restored: 'ckpt.2', message: drained('0,1,2', '3') }, 'n3'));
    cases.push(inPlace('rc-4to3-single-node-lost', 'SINGLE', '0', { restored: null, orRefused: notDrained, message: new RegExp(`could not scavenge ckpt\\.2: [^\\n]*cannot be rebuilt[\\s\\S]*${notDrained.source}`) }, 'n3'));
    // n3 is not lost, only left out of the relaunch: its ranks' files are out of reach all the same.
    cases.push(inPlace('rc-4to3-xor-node-left-out', 'XOR', '0', { restored: 'ckpt.2', message: drained('0,1,2', '3') }));
  }
  return cases;
}

// ---------------------------------------------------------------------------------------------

const MPICH = new Set(['app-write-enospc-xor-n1', 'encode-enospc-partner-n1', 'flush-enospc-prefix', 'fetch-tiny-cache-n1', 'rc-4to2-xor-cache-only', 'rc-4to2-partner-node-lost']);
const STANDIN: Where = { root: '/r', local: '/r/local', prefix: (id) => `/r/prefix/${id}` };
const real = (suite: FaultSuite): Where => ({ root: suite.root, local: suite.job.local, prefix: (id) => join(suite.job.prefix, id), suite });

interface Batch {
  title: string;
  make: (w: Where) => CallCase[];
  nodes: string[];
  restartOn?: string[];
  timeoutMs?: number;
}
const BATCHES: Batch[] = [
  { title: 'a small cache store or prefix (tmpfs)', make: exhaustion, nodes: NODES },
  // A hang would take the later cases of its launch with it: the cases that might hang come last,
  // each in a launch with a short limit (a restart of a few scenarios takes seconds here).
  { title: 'a spare (n4) too small for the rebuild', make: (w) => spare(w, 'room'), nodes: NODES, restartOn: ['n0', 'n4', 'n2', 'n3'], timeoutMs: 40_000 },
  { title: 'a spare (n4) with no room at all, XOR', make: (w) => spare(w, 'xor-full'), nodes: NODES, restartOn: ['n0', 'n4', 'n2', 'n3'], timeoutMs: 30_000 },
  { title: 'rank count 4 -> 2, newest checkpoint only in cache', make: (w) => rankCount(w, '4to2'), nodes: ['n0', 'n0', 'n1', 'n1'], restartOn: ['n0', 'n1'] },
  { title: 'rank count 2 -> 4, newest checkpoint only in cache', make: (w) => rankCount(w, '2to4'), nodes: ['n0', 'n1'], restartOn: NODES },
  { title: 'rank count 4 -> 3, a node of the old job lost', make: (w) => rankCount(w, '4to3'), nodes: NODES, restartOn: ['n0', 'n1', 'n2'] },
];

for (const flavour of flavoursBuilt()) {
  describe(`fault suite: exhaustion and rank-count change, ${flavour}`, function () {
    this.timeout(900_000);
    before(function () { if (missing) { console.log(`      skipped: ${missing}`); this.skip(); } });
    for (const b of BATCHES) {
      const ids = b.make(STANDIN).map((c) => c.id).filter((id) => flavour === 'openmpi' || MPICH.has(id));
      if (!ids.length) continue;
      describe(b.title, () => {
        let suite: FaultSuite;
        let reports: Map<string, CaseReport>;
        const launches: CallsLaunch[] = [];
        before(async function () {
          if (missing) skipBecause(this, missing);
          // Its own suite: tmpfs mounts and lost nodes of one batch never reach another's.
          suite = new FaultSuite(flavour, { timeoutMs: b.timeoutMs ?? 240_000 });
          const w = real(suite);
          reports = await runCallCases(suite, b.make(w).filter((c) => ids.includes(c.id)), { nodes: b.nodes, restartOn: b.restartOn, launches });
        });
        after(() => suite?.cleanup());
        for (const id of ids) it(id, () => assertCase(reports.get(id)));
      });
    }
  });
}
