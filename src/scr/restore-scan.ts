// Step 1 of a restore (restore.ts), on each node leader: what this node's cache holds, checked.
// For each dataset directory of this job in this node's own stores: its cache-index record (a
// dataset of another prefix is left alone), the ranks whose files are intact (file map readable,
// every file of its recorded size and CRC32), and the ranks whose redundancy is intact (record
// readable, data of the expected size and CRC32: XOR/RS against the CRC recorded at encode,
// PARTNER against the left neighbour's file CRCs). Whatever fails a check counts as lost, with a
// line saying why, so it is rebuilt from redundancy or the dataset falls back.
import { lstat, open, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { DATASET_DIR_PREFIX, datasetMetaDir, nodeDir, redDataPath, redMetaPath } from '../cache/paths.js';
import { type DatasetRecord, type Filemap, readCacheIndexOrSetAside, readFilemap } from '../cache/records.js';
import { crcFile } from '../kernels/index.js';
import { readMetaFileIfExists } from '../meta/index.js';
import { redDataSize } from '../pfs/build.js';
import type { Context } from './context.js';
import type { RedRecord } from './dataset.js';
import { inPhase } from './init-stats.js';

export interface DatasetReport {
  /** This node's cache-index record of it (null: none, e.g. the index was damaged). */
  rec: DatasetRecord | null;
  /** Its directory on this node. */
  dir: string;
  /** Ranks whose file map and files are intact here. */
  data: number[];
  /** Ranks whose redundancy record and data are intact here. */
  red: number[];
  /** One redundancy record per set seen here (by the set's first member). */
  sets: RedRecord[];
  /** Why a rank's data or redundancy here did not pass, one line each. */
  damaged: string[];
}

export interface NodeReport {
  node: string;
  datasets: Record<string, DatasetReport>;
  /** Datasets of another prefix in this job's directories: left alone, but their ids are taken. */
  foreign: Array<{ id: number; name: string; prefix: string }>;
}

/** Why `path` is not a regular file of this user's (a planted symlink, another user's file),
 * 'is missing', or null when it is one. Nothing the scan reads is followed through a link. */
export async function notOwnFile(path: string, kind: 'file' | 'directory' = 'file'): Promise<string | null> {
  let st;
  try { st = await lstat(path); } catch { return 'is missing'; }
  if (st.isSymbolicLink()) return 'is a symbolic link';
  if (kind === 'file' ? !st.isFile() : !st.isDirectory()) return `is not a ${kind === 'file' ? 'regular file' : 'directory'}`;
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) return `belongs to uid ${st.uid}, not to this user`;
  return null;
}

/** A check in two steps: what the metadata already shows (a reason, or null), then a CRC check
 * of the bytes (a job resolving to the reason or null), run later with the others at once. */
type Check = { why: string | null } | { crc: () => Promise<string | null> };

/** Why the file map's files are not intact: from their metadata, else from their CRCs. */
async function checkFiles(dir: string, map: Filemap): Promise<Check> {
  for (const f of map.files) {
    const path = join(dir, f.name);
    const bad = await notOwnFile(path);
    if (bad) return { why: `${f.name} ${bad}` };
    const size = await stat(path).then((s) => s.size, () => null);
    if (size !== f.size) return { why: `${f.name} has ${size} bytes, ${f.size} were written` };
  }
  return {
    crc: async () => {
      for (const f of map.files) {
        if (f.crc === null) continue;
        const got = (await crcFile(join(dir, f.name))).crc;
        if (got !== f.crc) return `${f.name} has CRC32 ${hex(got)}, ${hex(f.crc)} when written (its contents changed)`;
      }
      return null;
    },
  };
}

const hex = (n: number) => n.toString(16).padStart(8, '0');

/** At most `n` jobs at once (the CRC checks of a node's ranks: each holds a pool thread). */
class Slots {
  #free: number;
  readonly #waiting: Array<() => void> = [];
  constructor(n: number) { this.#free = n; }
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free--;
    else await new Promise<void>((go) => this.#waiting.push(go));
    try {
      return await job();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#free++;
    }
  }
}

/** The libuv pool has 4 threads by default; leave room for the file system calls around. */
const crcSlots = new Slots(3);

/** CRC32 of byte ranges of a file, read in 1 MiB pieces. */
async function crcRanges(path: string, ranges: Array<{ offset: number; len: number }>): Promise<number[]> {
  const fh = await open(path, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  try {
    const out: number[] = [];
    for (const r of ranges) {
      let crc = 0;
      for (let o = 0; o < r.len; o += buf.length) {
        const n = Math.min(buf.length, r.len - o);
        const { bytesRead } = await fh.read(buf, 0, n, r.offset + o);
        if (bytesRead !== n) throw new Error(`${path} is short`);
        crc = crc32(buf.subarray(0, n), crc);
      }
      out.push(crc);
    }
    return out;
  } finally {
    await fh.close();
  }
}

/** Why a member's redundancy data is not intact: from its metadata, else from its CRCs. */
async function checkRedundancy(dir: string, rank: number, red: RedRecord): Promise<Check> {
  const path = redDataPath(dir, rank);
  const expect = redDataSize(red, red.position);
  const bad = await notOwnFile(path);
  if (bad) return { why: `its redundancy data ${bad}` };
  const size = await stat(path).then((s) => s.size, () => null);
  if (size !== expect) return { why: `its redundancy data has ${size} bytes, ${expect} were written` };
  return { crc: () => redundancyCrc(path, red) };
}

/** Why a member's redundancy data does not match its recorded CRCs, or null. */
async function redundancyCrc(path: string, red: RedRecord): Promise<string | null> {
  if (red.scheme === 'PARTNER') {
    // The copy of the left neighbour's stream: its files one after another.
    const n = red.members.length;
    const files = red.filemaps[(red.position + n - 1) % n]?.files ?? [];
    let at = 0;
    const ranges = files.map((f) => { const r = { offset: at, len: f.size }; at += f.size; return r; });
    // Only the files with a recorded CRC32 are read (none with SCR_CRC_ON_COPY=0: sizes only).
    const crcs = await crcRanges(path, ranges.map((r, i) => (files[i]!.crc === null ? { ...r, len: 0 } : r)));
    const bad = files.findIndex((f, i) => f.crc !== null && f.crc !== crcs[i]);
    return bad < 0 ? null : `its copy of rank ${red.members[(red.position + n - 1) % n]}'s ${files[bad]!.name} does not match that file's CRC32`;
  }
  const want = red.redCrcs?.[red.position];
  if (want === null || want === undefined) return null;
  const got = (await crcFile(path)).crc;
  return got === want ? null : `its redundancy data has CRC32 ${hex(got)}, ${hex(want)} when encoded`;
}

/** Scans this node's cache (a node leader). Never throws for a damaged file: it counts as lost. */
export async function scanNode(ctx: Context): Promise<NodeReport> {
  const { index, damaged: indexDamaged } = await readCacheIndexOrSetAside(ctx.cntlDir, (m) => ctx.warnHere(m));
  ctx.adoptCacheIndex(index);
  const report: NodeReport = { node: ctx.node, datasets: {}, foreign: [] };
  for (const store of ctx.cfg.stores) {
    if (!store.enabled) continue;
    const base = nodeDir(store.path, ctx.ident);
    let entries: string[] = [];
    try { entries = await readdir(base); } catch { continue; }
    for (const e of entries) {
      // Leftovers of a background deletion the previous run did not finish.
      if (e.startsWith('.deleting.')) { await rm(join(base, e), { recursive: true, force: true }); continue; }
      if (!e.startsWith(DATASET_DIR_PREFIX)) continue;
      const id = Number(e.slice(DATASET_DIR_PREFIX.length));
      if (!Number.isSafeInteger(id)) continue;
      const rec = index.datasets[String(id)] ?? null;
      if (rec?.prefix !== undefined && rec.prefix !== ctx.prefix) {
        report.foreign.push({ id, name: rec.name, prefix: rec.prefix });
        continue;
      }
      const dir = join(base, e);
      const ds: DatasetReport = { rec, dir, data: [], red: [], sets: [], damaged: [] };
      report.datasets[String(id)] = ds;
      const notDir = await notOwnFile(dir, 'directory');
      if (notDir) {
        ds.damaged.push(`${dir} ${notDir}: nothing in it is used, so its data here counts as lost`);
        continue;
      }
      // Without its record (a damaged or missing index) a dataset's data on this node counts as lost.
      if (indexDamaged || !rec) {
        ds.damaged.push(`this node's cache index has no record of dataset ${id} (the index is ${indexDamaged ? 'damaged' : 'missing or incomplete'}), so its data here counts as lost`);
        continue;
      }
      await checkDataset(ctx, ds, rec);
    }
  }
  return report;
}

async function checkDataset(ctx: Context, ds: DatasetReport, rec: DatasetRecord): Promise<void> {
  let metaFiles: string[] = [];
  try { metaFiles = await readdir(datasetMetaDir(ds.dir)); } catch { /* empty */ }
  const listed = new Set<string>();
  // Metadata one file after another; each rank's CRC checks start as soon as its metadata passed
  // and run on pool threads (a few at once), not on this thread. Outcomes are applied in the
  // directory's order, so the report is the one checking one by one would give.
  const outcomes: Array<Promise<() => void>> = [];
  const unreadable = (rank: number, f: string, err: unknown) => () => { ds.damaged.push(`rank ${rank}: ${join(datasetMetaDir(ds.dir), f)} is unreadable (${(err as Error).message})`); };
  const later = (check: Check, rank: number, f: string, apply: (why: string | null) => void) => {
    if ('why' in check) outcomes.push(Promise.resolve(() => apply(check.why)));
    else outcomes.push(crcSlots.run(check.crc).then((why) => () => apply(why), (err: unknown) => unreadable(rank, f, err)));
  };
  for (const f of metaFiles) {
    const fm = /^filemap\.(\d+)\.scr$/.exec(f);
    const rd = /^red\.(\d+)\.scr$/.exec(f);
    const rank = Number((fm ?? rd)?.[1]);
    if (!fm && !rd) continue;
    const bad = await notOwnFile(join(datasetMetaDir(ds.dir), f));
    if (bad) { outcomes.push(Promise.resolve(() => { ds.damaged.push(`rank ${rank}: ${join(datasetMetaDir(ds.dir), f)} ${bad}, so it is not used`); })); continue; }
    try {
      if (fm) {
        const map = await readFilemap(ds.dir, rank);
        if (!map) continue;
        for (const f of map.files) listed.add(f.name);
        later(rec.bypass ? { why: null } : await checkFiles(ds.dir, map), rank, f, (why) => {
          if (why) ds.damaged.push(`rank ${rank}'s ${why}`);
          else ds.data.push(rank);
        });
      } else if (rd) {
        const red = await readMetaFileIfExists<RedRecord>(redMetaPath(ds.dir, rank), { expectKind: 'redset' });
        if (!red) continue;
        later(await checkRedundancy(ds.dir, rank, red), rank, f, (why) => {
          if (why) { ds.damaged.push(`rank ${rank}: ${why}`); return; }
          ds.red.push(rank);
          if (!ds.sets.some((s) => s.members[0] === red.members[0])) ds.sets.push(red);
        });
      }
    } catch (err) {
      outcomes.push(Promise.resolve(unreadable(rank, f, err)));
    }
  }
  for (const apply of await inPhase('CRC checks (scan)', () => Promise.all(outcomes))) apply();
  // Files no file map lists here: a rank's file map is missing (or unreadable, said above).
  if (!rec.bypass) {
    const orphans = (await readdir(ds.dir).catch(() => [] as string[])).filter((n) => n !== '.scr' && !listed.has(n));
    if (orphans.length) ds.damaged.push(`${orphans.slice(0, 4).join(', ')}${orphans.length > 4 ? `, and ${orphans.length - 4} more` : ''} ${orphans.length > 1 ? 'are' : 'is'} here without a file map listing ${orphans.length > 1 ? 'them' : 'it'} (a rank's file map is missing), so ${orphans.length > 1 ? 'they count' : 'it counts'} as lost`);
  }
  ctx.debug(2, `scan of ${rec.name} on ${ctx.node}: data ${ds.data.join(',')}, redundancy ${ds.red.join(',')}`);
}

