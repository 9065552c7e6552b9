// Offline rebuild of a dataset on the parallel file system (SPEC §5, §6; `scr index --build`, and
// the scavenge in `scr postrun`). No MPI: nodes may be dead, and commands never load it.
//
// Where a scavenge leaves the redundancy of dataset <id> (defined here; the scavenge follows it):
//   <prefix>/.scr/scr.dataset.<id>/red.<rank>.scr   the 'redset' record (RedRecord), copied unchanged
//                                                  from the cache's .scr/red.<rank>.scr
//   <prefix>/.scr/scr.dataset.<id>/red.<rank>.dat   the redundancy data, copied unchanged
// next to the files it copied to their paths under the prefix (FileEntry.path).
//
// buildDataset() finds the sets from the records present (a set is its members list), checks
// every member's files (present, recorded size, recorded CRC) and red.<rank>.dat (present, the
// expected size), and decides per set what can be restored: XOR/RS stripe by stripe (a data
// chunk is usable when its member's files are intact, a parity chunk when its member's
// red.<rank>.dat is; at most k unusable chunks per stripe), PARTNER member by member (a lost
// member needs its right neighbour's copy). So a member lost with its node (files and
// redundancy gone) counts against the scheme's limit exactly as in the MPI rebuild
// (redundancy/rebuild.ts), and a member whose files alone are damaged costs less. If any set is
// beyond repair nothing is written. Otherwise each lost member's files are decoded into
// temporary files beside their paths, in pieces with the native kernels, fsynced and checked
// against their recorded CRCs; only when every set succeeded are they given their mode and
// mtime and renamed into place, and the index records the dataset complete and flushed (under
// its lock), with a rank map and summary if it had none.
import { type FileHandle, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { applyFileMetadata, type FileEntry } from '../cache/records.js';
import { crcFile, gfMulAddMultiAsync, xorAsync } from '../kernels/index.js';
import { readMetaFile, readMetaFileIfExists, syncDir } from '../meta/index.js';
import { type ChunkRef, decodePlan, stripeChunks } from '../redundancy/code.js';
import { FileStream } from '../redundancy/stream.js';
import type { RedRecord } from '../scr/dataset.js';
import { commitStaged, readablePath, stagePath } from './commit.js';
import { type IndexEntry, pfsDatasetDir, readIndex, readRankMap, type Summary, summaryPath } from './index.js';

/** The redundancy record of `rank` for dataset `id`, as a scavenge copies it to the prefix. */
export const pfsRedMetaPath = (prefix: string, id: number, rank: number): string => join(pfsDatasetDir(prefix, id), `red.${rank}.scr`);
/** The redundancy data of `rank` for dataset `id`, as a scavenge copies it to the prefix. */
export const pfsRedDataPath = (prefix: string, id: number, rank: number): string => join(pfsDatasetDir(prefix, id), `red.${rank}.dat`);

/** Expected size of the red.<rank>.dat of the member at `pos`: k·chunk (XOR, RS), or its left
 * neighbour's stream length (PARTNER). */
export function redDataSize(red: Pick<RedRecord, 'scheme' | 'k' | 'chunk' | 'lens' | 'members'>, pos: number): number {
  const n = red.members.length;
  return red.scheme === 'PARTNER' ? red.lens[(pos + n - 1) % n]! : red.k * red.chunk;
}

/** A dataset that cannot be rebuilt, or a rebuild that failed: the message names the set and
 * ranks. A user-facing error (its code starts with ERR_SCR_): commands print it as one line. */
export class BuildError extends Error {
  readonly code = 'ERR_SCR_BUILD';
  constructor(message: string, readonly hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BuildError';
  }
}

export interface BuildProgress {
  /** 'check': reading every file's CRC; 'rebuild': writing the lost members' bytes. */
  phase: 'check' | 'rebuild';
  done: number;
  total: number;
}

export interface BuildOptions {
  /** Bytes decoded at a time (default: the record's pieceSize, SCR_MPI_BUF_SIZE, within 4 KiB–16 MiB).
   * Memory stays about width × (lost members of the set + 1) pieces. */
  pieceSize?: number;
  /** Files checked, or pieces decoded, at once (default 4). */
  width?: number;
  onProgress?: (p: BuildProgress) => void;
  /** SCR_PREFIX_SIZE to apply once the dataset is recorded (default 0: keep every dataset). */
  prefixSize?: number;
}

export interface BuildSetReport {
  scheme: RedRecord['scheme'];
  k: number;
  /** The set's ranks in ring order. */
  members: number[];
  /** Ranks whose files were rebuilt. */
  rebuilt: number[];
  /** Ranks whose redundancy data was missing or the wrong size (never rebuilt: see below). */
  noRedundancy: number[];
}

export interface BuildReport {
  id: number;
  /** Each rebuilt rank and its files (absolute paths), ascending by rank. */
  rebuilt: Array<{ rank: number; files: string[]; bytes: number }>;
  sets: BuildSetReport[];
  /** Ranks of the dataset, and files checked by size only (no CRC recorded). */
  ranks: number;
  unchecked: number;
  /** The index entry as recorded. */
  entry: IndexEntry;
  seconds: number;
}

const MIN_PIECE = 4096;
const MAX_PIECE = 16 << 20;
const DEFAULT_PIECE = 1 << 20;

/** A member's file: its record, where to read it now (its staged copy while one exists), and its
 * path (where it is put in place). */
interface MemberFile { entry: FileEntry; at: string; dest: string }
interface Member {
  rank: number;
  pos: number;
  files: MemberFile[];
  /** Problems with its files, one per bad file (empty: intact). */
  bad: string[];
  /** Why its red.<rank>.dat cannot be used, or null. */
  noRed: string | null;
}
interface SetState { red: RedRecord; members: Member[]; lost: number[] }

const hex = (c: number) => `0x${(c >>> 0).toString(16).padStart(8, '0')}`;
const setName = (red: RedRecord) => `${red.scheme} set of ranks ${red.members.join(',')}`;

/** Runs `fn` over items, `width` at a time; stops taking items after the first error, waits
 * for the ones under way, then rethrows it. `make` gives each worker its own state. */
async function pool<T>(items: T[], width: number, make: () => (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  let stop = false;
  const results = await Promise.allSettled(Array.from({ length: Math.max(0, Math.min(width, items.length)) }, async () => {
    const fn = make();
    try {
      while (!stop && next < items.length) await fn(items[next++]!);
    } catch (e) { stop = true; throw e; }
  }));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}

/** What is wrong with one file on the file system, or null when it matches its record. */
async function fileProblem(at: string, f: FileEntry): Promise<string | null> {
  let st;
  try {
    st = await stat(at);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : `cannot stat: ${(e as Error).message}`;
  }
  if (!st.isFile()) return 'not a regular file';
  if (st.size !== f.size) return `${st.size} bytes, ${f.size} recorded`;
  if (f.crc === null) return null;
  try {
    const got = await crcFile(at);
    if (got.bytes !== f.size) return `read ${got.bytes} bytes, ${f.size} recorded`;
    if (got.crc !== f.crc) return `CRC32 ${hex(got.crc)}, ${hex(f.crc)} recorded`;
  } catch (e) {
    return `cannot read: ${(e as Error).message}`;
  }
  return null;
}

/** Why a record cannot describe its set, or null. */
function recordProblem(red: RedRecord, id: number, rank: number): string | null {
  if (red.dataset !== id) return `it belongs to dataset ${red.dataset}`;
  if (red.scheme !== 'PARTNER' && red.scheme !== 'XOR' && red.scheme !== 'RS') return `scheme ${String(red.scheme)} has no redundancy data`;
  const n = Array.isArray(red.members) ? red.members.length : 0;
  if (n < 2 || red.members[red.position] !== rank) return `it does not list rank ${rank} at its position`;
  if (red.lens?.length !== n || red.filemaps?.length !== n) return 'its stream lengths or file maps do not cover every member';
  if (red.scheme !== 'PARTNER' && !(red.k >= 1 && red.k < n)) return `k = ${red.k} does not fit a set of ${n}`;
  if (red.filemaps.some((m, p) => m.rank !== red.members[p])) return 'its file maps are not in ring order';
  return null;
}

/** The stripe plan of an XOR/RS set: per stripe holding a lost member's data, which chunks to
 * restore and, per usable source chunk, its coefficients for them. Null if a stripe lost more
 * than k chunks. */
function stripePlans(s: SetState): Array<{ chunks: ChunkRef[]; targets: ChunkRef[]; sources: Array<{ ref: ChunkRef; coefs: Uint8Array }> }> | { stripe: number; gone: number } {
  const { red, members } = s;
  const n = red.members.length;
  const kind = red.scheme === 'XOR' ? 'XOR' : 'RS';
  const lost = new Set(s.lost);
  const usable = (c: ChunkRef) => (c.role === 'data' ? members[c.member]!.bad.length === 0 : members[c.member]!.noRed === null);
  const out = [];
  for (let j = 0; j < n; j++) {
    const chunks = stripeChunks(n, red.k, j);
    const targetPos = chunks.map((c, t) => (c.role === 'data' && lost.has(c.member) ? t : -1)).filter((t) => t >= 0);
    if (!targetPos.length) continue;
    const gonePos = chunks.map((c, t) => (usable(c) ? -1 : t)).filter((t) => t >= 0);
    if (gonePos.length > red.k) return { stripe: j, gone: gonePos.length };
    const plan = decodePlan(kind, n, red.k, gonePos).filter((p) => targetPos.includes(p.lost));
    const from = [...new Set(plan.flatMap((p) => p.terms.map((t) => t.from)))].sort((a, b) => a - b);
    const sources = from.map((f) => ({ ref: chunks[f]!, coefs: Uint8Array.from(plan, (p) => p.terms.find((t) => t.from === f)?.coeff ?? 0) }))
      .filter((x) => x.coefs.some((c) => c !== 0));
    out.push({ chunks, targets: plan.map((p) => chunks[p.lost]!), sources });
  }
  return out;
}

/** Why a set cannot be rebuilt, or null. */
function setFailure(s: SetState): string | null {
  if (!s.lost.length) return null;
  const { red, members } = s;
  const n = red.members.length;
  const lostRanks = s.lost.map((p) => red.members[p]!);
  const files = s.lost.map((p) => `rank ${members[p]!.rank} (${members[p]!.bad[0]}${members[p]!.bad.length > 1 ? `, and ${members[p]!.bad.length - 1} more` : ''})`);
  const noRed = members.filter((m) => m.noRed !== null).map((m) => `rank ${m.rank} (${m.noRed})`);
  const what = `files missing or damaged on ${files.join(', ')}${noRed.length ? `; redundancy data unusable on ${noRed.join(', ')}` : ''}`;
  if (red.scheme === 'PARTNER') {
    const stuck = s.lost.filter((p) => members[(p + 1) % n]!.noRed !== null);
    if (!stuck.length) return null;
    return `the ${setName(red)} cannot restore rank${stuck.length > 1 ? 's' : ''} ${stuck.map((p) => red.members[p]).join(',')}: ${what}. ` +
      'PARTNER restores a member from its right-hand neighbour\'s copy, so no two ring neighbours may be lost';
  }
  const plans = stripePlans(s);
  if (Array.isArray(plans)) return null;
  return `the ${setName(red)} lost rank${lostRanks.length > 1 ? 's' : ''} ${lostRanks.join(',')}: ${what}. ` +
    `${red.scheme === 'XOR' ? 'XOR restores one lost member' : `RS restores ${red.k} lost members`} per set (stripe ${plans.stripe} lost ${plans.gone} of its chunks)`;
}

/** Reads exactly `len` bytes at `pos`. */
async function readAt(fh: FileHandle, path: string, buf: Buffer, len: number, pos: number): Promise<Buffer> {
  for (let got = 0; got < len;) {
    const { bytesRead } = await fh.read(buf, got, len - got, pos + got);
    if (bytesRead === 0) throw new BuildError(`${path} is shorter than expected (it changed during the rebuild)`);
    got += bytesRead;
  }
  return buf.subarray(0, len);
}

/** The files of a member as MemberFiles (paths resolved against the prefix). */
async function memberFiles(prefix: string, id: number, files: FileEntry[]): Promise<MemberFile[]> {
  return Promise.all(files.map(async (f) => {
    const dest = resolve(prefix, f.path);
    return { entry: f, dest, at: await readablePath({ path: dest }, id) };
  }));
}

const tempOf = (at: string) => join(dirname(at), `.${basename(at)}.build.${process.pid}.tmp`);

/** Decodes the lost members of one set into temporary files (returned, fsynced, CRC-checked). */
async function rebuildSet(prefix: string, id: number, s: SetState, P: number, width: number, tick: (n: number) => void, temps: string[]): Promise<Map<number, number[]>> {
  const { red, members } = s;
  const n = red.members.length;
  const C = red.chunk;
  const outs = new Map<number, FileStream>();
  const ins = new Map<number, FileStream>();
  const dats = new Map<number, Promise<FileHandle>>();
  const input = (pos: number) => {
    let st = ins.get(pos);
    if (!st) { st = new FileStream(members[pos]!.files.map((f) => ({ path: f.at, size: f.entry.size })), { mode: 'r' }); ins.set(pos, st); }
    return st;
  };
  const dat = (pos: number) => {
    let h = dats.get(pos);
    if (!h) { h = open(pfsRedDataPath(prefix, id, red.members[pos]!), 'r'); dats.set(pos, h); }
    return h;
  };
  const crcs = new Map<number, number[]>();
  try {
    for (const p of s.lost) {
      const files = members[p]!.files;
      for (const f of files) {
        await mkdir(dirname(f.at), { recursive: true });
        temps.push(tempOf(f.at));
      }
      const out = new FileStream(files.map((f) => ({ path: tempOf(f.at), size: f.entry.size })), { mode: 'w' });
      outs.set(p, out);
      await out.createAll();
    }
    // Bytes of a target's stream a piece at stream offset `at` of length `len` really holds.
    const real = (pos: number, at: number, len: number) => Math.max(0, Math.min(len, red.lens[pos]! - at));

    if (red.scheme === 'PARTNER') {
      // Member p's data is its right neighbour's copy, byte for byte.
      const tasks = s.lost.flatMap((p) => Array.from({ length: Math.ceil(red.lens[p]! / P) }, (_, x) => ({ p, o: x * P })));
      await pool(tasks, width, () => {
        const buf = Buffer.allocUnsafe(P);
        return async ({ p, o }) => {
          const right = (p + 1) % n;
          const len = Math.min(P, red.lens[p]! - o);
          const src = await readAt(await dat(right), pfsRedDataPath(prefix, id, red.members[right]!), buf, len, o);
          await outs.get(p)!.write(o, src, len);
          tick(len);
        };
      });
    } else {
      const plans = stripePlans(s);
      if (!Array.isArray(plans)) throw new Error('bug: rebuilding a set beyond repair');
      // Pieces of each stripe, up to the longest target's real bytes (the rest is padding).
      const tasks = plans.flatMap((plan) => {
        const extent = Math.max(...plan.targets.map((t) => real(t.member, t.index * C, C)));
        return Array.from({ length: Math.ceil(extent / P) }, (_, x) => ({ plan, o: x * P, extent }));
      });
      const T = Math.max(1, ...plans.map((pl) => pl.targets.length));
      await pool(tasks, width, () => {
        const acc = Buffer.alloc(T * P);
        const buf = Buffer.allocUnsafe(P);
        return async ({ plan, o, extent }) => {
          const len = Math.min(P, extent - o);
          const m = plan.targets.length;
          const sum = acc.subarray(0, m * len);
          sum.fill(0);
          for (const { ref, coefs } of plan.sources) {
            const src = ref.role === 'data'
              ? (await input(ref.member).read(ref.index * C + o, buf, len), buf.subarray(0, len))
              : await readAt(await dat(ref.member), pfsRedDataPath(prefix, id, red.members[ref.member]!), buf, len, ref.index * C + o);
            if (m === 1 && coefs[0] === 1) await xorAsync(sum, src);
            else await gfMulAddMultiAsync(sum, coefs, src);
          }
          for (const [x, t] of plan.targets.entries()) {
            const at = t.index * C + o;
            await outs.get(t.member)!.write(at, sum.subarray(x * len, (x + 1) * len), len); // clipped at the stream's end
            tick(real(t.member, at, len));
          }
        };
      });
    }
    for (const out of outs.values()) await out.close();
    // Durable, then checked end to end: every rebuilt file against the CRC recorded at write.
    for (const p of s.lost) {
      const got: number[] = [];
      for (const f of members[p]!.files) {
        const tmp = tempOf(f.at);
        const fh = await open(tmp, 'r+');
        try { await fh.sync(); } finally { await fh.close(); }
        const { crc, bytes } = await crcFile(tmp);
        if (bytes !== f.entry.size || (f.entry.crc !== null && crc !== f.entry.crc)) {
          throw new BuildError(`rebuilt ${f.at} (rank ${members[p]!.rank}) has ${bytes} bytes and CRC32 ${hex(crc)}, but ${f.entry.size} bytes` +
            `${f.entry.crc !== null ? ` and ${hex(f.entry.crc)}` : ''} were recorded: the redundancy data of the ${setName(red)} is damaged`,
          'nothing was changed; restart from an older checkpoint (scr index --current NAME)');
        }
        got.push(crc);
      }
      crcs.set(p, got);
    }
    return crcs;
  } finally {
    await Promise.all([...outs.values(), ...ins.values()].map((x) => x.close().catch(() => undefined)));
    await Promise.all([...dats.values()].map((h) => h.then((x) => x.close(), () => undefined)));
  }
}

/** Rebuilds dataset `id`'s missing files under `prefix` from the redundancy files a scavenge
 * copied to <prefix>/.scr/scr.dataset.<id>/, then records it complete and flushed. Throws a
 * BuildError naming the set and ranks when something cannot be rebuilt; then nothing is written. */
export async function buildDataset(prefixIn: string, id: number, opts: BuildOptions = {}): Promise<BuildReport> {
  const t0 = performance.now();
  const prefix = resolve(prefixIn);
  const dir = pfsDatasetDir(prefix, id);
  const width = Math.max(1, opts.width ?? 4);
  const hintScavenge = `a scavenge copies each member's .scr/red.<rank>.scr and red.<rank>.dat from its cache into ${dir}`;

  // 1. The records, grouped into sets by their members list.
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    throw new BuildError(`dataset ${id} has no directory ${dir}: there is nothing to rebuild it from`, hintScavenge);
  }
  const recordRanks = names.map((f) => /^red\.(\d+)\.scr$/.exec(f)).filter((m) => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
  const sets = new Map<string, { red: RedRecord; from: number }>();
  const unusable: string[] = [];
  let firstRecordTime = Infinity;
  for (const r of recordRanks) {
    let red: RedRecord;
    try {
      red = await readMetaFile<RedRecord>(pfsRedMetaPath(prefix, id, r), { expectKind: 'redset' });
      firstRecordTime = Math.min(firstRecordTime, (await stat(pfsRedMetaPath(prefix, id, r))).mtimeMs);
    } catch (e) {
      unusable.push(`red.${r}.scr: ${(e as Error).message}`);
      continue;
    }
    const problem = recordProblem(red, id, r);
    if (problem) { unusable.push(`red.${r}.scr: ${problem}`); continue; }
    const key = red.members.join(',');
    const seen = sets.get(key);
    if (!seen) { sets.set(key, { red, from: r }); continue; }
    // (A PARTNER record's chunk is its own copy's length, so it differs between members.)
    const same = (x: RedRecord) => JSON.stringify([x.scheme, x.k, x.scheme === 'PARTNER' ? 0 : x.chunk, x.lens, x.filemaps]);
    if (same(seen.red) !== same(red)) {
      throw new BuildError(`the redundancy records of the ${setName(red)} disagree (red.${seen.from}.scr and red.${r}.scr in ${dir}): they come from different checkpoints`,
        'remove the stray records, or rescavenge the dataset');
    }
  }
  if (!sets.size) {
    throw new BuildError(`dataset ${id} has no usable redundancy records (red.<rank>.scr) in ${dir}` +
      `${unusable.length ? `: ${unusable.join('; ')}` : ''}; its files cannot be rebuilt (SINGLE keeps none, and a scavenge copies them only from live nodes)`, hintScavenge);
  }
  const owner = new Map<number, string>();
  for (const [key, { red }] of sets) {
    for (const r of red.members) {
      if (owner.has(r)) throw new BuildError(`rank ${r} is in two redundancy sets of dataset ${id} (ranks ${owner.get(r)} and ${key}) in ${dir}: the records come from different checkpoints`);
      owner.set(r, key);
    }
  }

  // 2. How many ranks, and the files of ranks no set covers (a SINGLE set keeps no records).
  const idx = await readIndex(prefix);
  const entry = Object.values(idx.datasets).find((e) => e.id === id);
  const rankmap = await readRankMap(prefix, id).catch(() => undefined);
  const summary = await readMetaFileIfExists<Summary>(summaryPath(prefix, id), { expectKind: 'summary' }).catch(() => undefined);
  const ranks = Math.max(entry?.ranks ?? 0, summary?.entry.ranks ?? 0, rankmap?.ranks.length ?? 0, ...[...owner.keys()].map((r) => r + 1));
  const loose: Array<{ rank: number; files: MemberFile[] }> = [];
  for (let r = 0; r < ranks; r++) {
    if (owner.has(r)) continue;
    const files = rankmap?.ranks[r];
    if (!files) {
      throw new BuildError(`rank ${r} of dataset ${id} is in no redundancy set found in ${dir}, and no rank map lists its files: its files cannot be checked or rebuilt` +
        `${unusable.length ? ` (unusable: ${unusable.join('; ')})` : ''}`, hintScavenge);
    }
    loose.push({ rank: r, files: await memberFiles(prefix, id, files) });
  }

  // 3. Check every file, and every member's redundancy data.
  const states: SetState[] = [];
  for (const { red } of [...sets.values()].sort((a, b) => a.red.members[0]! - b.red.members[0]!)) {
    const members: Member[] = [];
    for (const [pos, rank] of red.members.entries()) members.push({ rank, pos, bad: [], noRed: null, files: await memberFiles(prefix, id, red.filemaps[pos]!.files) });
    states.push({ red, lost: [], members });
  }
  const checks = [...states.flatMap((s) => s.members.flatMap((m) => m.files)), ...loose.flatMap((l) => l.files)];
  const problems = new Map<MemberFile, string>();
  const checkTotal = checks.reduce((a, f) => a + f.entry.size, 0);
  let checked = 0;
  opts.onProgress?.({ phase: 'check', done: 0, total: checkTotal });
  await pool(checks, width, () => async (f) => {
    const problem = await fileProblem(f.at, f.entry);
    if (problem) problems.set(f, `${f.at}: ${problem}`);
    checked += f.entry.size;
    opts.onProgress?.({ phase: 'check', done: checked, total: checkTotal });
  });
  // In file-map order, whatever order the checks finished in.
  const badOf = (files: MemberFile[]) => files.flatMap((f) => (problems.has(f) ? [problems.get(f)!] : []));
  for (const s of states) for (const m of s.members) m.bad = badOf(m.files);
  const looseBad = loose.map((l) => badOf(l.files));
  for (const s of states) {
    for (const m of s.members) {
      const want = redDataSize(s.red, m.pos);
      try {
        const st = await stat(pfsRedDataPath(prefix, id, m.rank));
        if (!st.isFile() || st.size !== want) m.noRed = `red.${m.rank}.dat has ${st.size} bytes, ${want} expected`;
      } catch (e) {
        m.noRed = (e as NodeJS.ErrnoException).code === 'ENOENT' ? `red.${m.rank}.dat is missing` : `red.${m.rank}.dat: ${(e as Error).message}`;
      }
    }
    s.lost = s.members.filter((m) => m.bad.length > 0).map((m) => m.pos);
  }

  // 4. Everything must be restorable before anything is written.
  const failures = [
    ...loose.flatMap((l, x) => {
      const bad = looseBad[x]!;
      return bad.length ? [`rank ${l.rank} lost files (${bad[0]}${bad.length > 1 ? `, and ${bad.length - 1} more` : ''}) and no redundancy record covers it (none of its set's red.<rank>.scr is in ${dir}, or its set was SINGLE)`] : [];
    }),
    ...states.map(setFailure).filter((f): f is string => f !== null),
  ];
  if (failures.length) {
    throw new BuildError(`cannot rebuild dataset ${id}: ${failures.join('; ')}`,
      `nothing was changed; if more members survive elsewhere, ${hintScavenge}; else restart from an older checkpoint`);
  }

  // 5. Decode each set's lost members into temporary files; then stage them all (step 6 puts
  // them in place with the rest, src/pfs/commit.ts).
  // A lost member's own red.<rank>.dat is not rebuilt: on the file system nothing reads it (a
  // restart fetches the files themselves), and the next checkpoint brings new redundancy.
  const rebuildTotal = states.reduce((a, s) => a + s.lost.reduce((b, p) => b + s.red.lens[p]!, 0), 0);
  let written = 0;
  const tick = (bytes: number) => { written += bytes; opts.onProgress?.({ phase: 'rebuild', done: written, total: rebuildTotal }); };
  const temps: string[] = [];
  const crcs = new Map<SetState, Map<number, number[]>>();
  if (states.some((s) => s.lost.length)) {
    opts.onProgress?.({ phase: 'rebuild', done: 0, total: rebuildTotal });
    try {
      for (const s of states) {
        if (!s.lost.length) continue;
        const P = Math.min(MAX_PIECE, Math.max(MIN_PIECE, Math.floor(opts.pieceSize ?? s.red.pieceSize ?? DEFAULT_PIECE)));
        try {
          crcs.set(s, await rebuildSet(prefix, id, s, P, width, tick, temps));
        } catch (e) {
          if (e instanceof BuildError) throw e;
          throw new BuildError(`rebuilding rank${s.lost.length > 1 ? 's' : ''} ${s.lost.map((p) => s.red.members[p]).join(',')} of the ${setName(s.red)} (dataset ${id}) failed: ${(e as Error).message}`,
            'nothing was changed', { cause: e });
        }
      }
      for (const s of states) {
        for (const p of s.lost) {
          for (const f of s.members[p]!.files) {
            const tmp = tempOf(f.at);
            await applyFileMetadata(tmp, f.entry);
            await rename(tmp, stagePath(f.dest, id));
          }
        }
      }
    } finally {
      await Promise.all(temps.map((t) => rm(t, { force: true })));
    }
  }

  // 6. The rank map (if missing), then the index: complete and flushed.
  const allFiles = (s: SetState, m: Member): FileEntry[] => m.files.map((f, x) => ({ ...f.entry, path: f.dest, crc: f.entry.crc ?? crcs.get(s)?.get(m.pos)?.[x] ?? null }));
  const byRank: FileEntry[][] = Array.from({ length: ranks }, () => []);
  for (const s of states) for (const m of s.members) byRank[m.rank] = allFiles(s, m);
  for (const l of loose) byRank[l.rank] = l.files.map((f) => ({ ...f.entry, path: f.dest }));
  const bytes = byRank.flat().reduce((a, f) => a + f.size, 0);
  const fromRecords: IndexEntry = {
    id, name: `scr.dataset.${id}`, flags: { checkpoint: true, output: false }, created: Number.isFinite(firstRecordTime) ? firstRecordTime : Date.now(),
    ranks, complete: false, flushed: false, failed: false, bytes, files: byRank.flat().length,
  };
  const base = entry ?? (summary ? { ...summary.entry } : fromRecords);
  if (!(await commitStaged(prefix, { ...base, complete: true, superseded: undefined }, byRank, opts.prefixSize ?? 0))) {
    throw new BuildError(`dataset ${id} was rebuilt, but a newer dataset has been flushed to the same paths since, so its files were not put in place`,
      'restart from the newer dataset');
  }
  const recorded = (await readIndex(prefix)).datasets[String(id)] ?? base;
  await syncDir(dir);

  const rebuilt = states.flatMap((s) => s.lost.map((p) => ({ rank: s.red.members[p]!, files: s.members[p]!.files.map((f) => f.dest), bytes: s.red.lens[p]! })))
    .sort((a, b) => a.rank - b.rank);
  return {
    id, rebuilt, ranks, entry: recorded,
    unchecked: [...states.flatMap((s) => s.members.flatMap((m) => m.files)), ...loose.flatMap((l) => l.files)].filter((f) => f.entry.crc === null).length,
    sets: states.map((s) => ({ scheme: s.red.scheme, k: s.red.k, members: s.red.members, rebuilt: s.lost.map((p) => s.red.members[p]!), noRedundancy: s.members.filter((m) => m.noRed !== null).map((m) => m.rank) })),
    seconds: (performance.now() - t0) / 1000,
  };
}
