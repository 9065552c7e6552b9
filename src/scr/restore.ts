// Restart inside the allocation (SPEC §2 init, §5): cached datasets come back to wherever each
// rank now runs (a spare node with an empty cache included), and lost ranks' files are rebuilt
// from redundancy, byte for byte, with their metadata. All or nothing per dataset.
//  1. Scan: each node leader lists the datasets in its node's stores: the cache-index record, the
//     ranks whose files are all there (file map + files of the recorded sizes), and the
//     redundancy records whose data file is there.
//  2. Decide (every rank, from the same gathered reports): for each complete dataset of this many
//     ranks, which ranks' data survives on a node of the job, which sets lost members, and whether
//     every set can restore them.
//  3. Move: a rank whose data sits on another live node gets it from a rank running there.
//  4. Rebuild: the members each set lost, over the set's ring.
//  5. Agree; a dataset that failed anywhere is deleted everywhere.
import { mkdir, open, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { readMetaFileIfExists, writeMetaFile } from '../meta/index.js';
import { DATASET_DIR_PREFIX, datasetDir, datasetMetaDir, filemapPath, nodeDir, redDataPath, redMetaPath } from '../cache/paths.js';
import { applyFileMetadata, type DatasetRecord, type Filemap, readCacheIndex, readFilemap, writeFilemap } from '../cache/records.js';
import type { Comm } from '../mpi/index.js';
import { rebuild, recoverable } from '../redundancy/rebuild.js';
import { FileStream } from '../redundancy/stream.js';
import { agree, outcomeOf } from './agree.js';
import type { Context } from './context.js';
import type { RedRecord } from './dataset.js';

interface DatasetReport {
  rec: DatasetRecord | null;
  dir: string;
  /** Ranks whose file map and files are all present. */
  data: number[];
  /** Ranks whose redundancy record and data file are present. */
  red: number[];
  /** One redundancy record per set seen here (by the set's first member). */
  sets: RedRecord[];
}

interface NodeReport {
  node: string;
  datasets: Record<string, DatasetReport>;
}

export interface RestoreTiming {
  id: number;
  name: string;
  /** Seconds to move and rebuild this dataset (all ranks agreed). */
  seconds: number;
  moved: number[];
  rebuilt: number[];
}

export interface RestoreResult {
  /** Datasets now in cache on every rank's node, ready for restart. */
  restored: DatasetRecord[];
  timings: RestoreTiming[];
  /** The largest dataset id seen anywhere (the next one must be larger). */
  maxId: number;
  /** One line per dataset dropped, for the log. */
  dropped: string[];
}

const TAG_MOVE = 5151;

async function sizeOf(path: string): Promise<number | null> {
  try { return (await stat(path)).size; } catch { return null; }
}

/** Step 1, on a node leader. */
async function scanNode(ctx: Context): Promise<NodeReport> {
  const index = await readCacheIndex(ctx.cntlDir);
  const datasets: Record<string, DatasetReport> = {};
  for (const store of ctx.cfg.stores) {
    if (!store.enabled) continue;
    let entries: string[] = [];
    try { entries = await readdir(nodeDir(store.path, ctx.ident)); } catch { continue; }
    for (const e of entries) {
      // Leftovers of a background deletion the previous run did not finish.
      if (e.startsWith('.deleting.')) { await rm(join(nodeDir(store.path, ctx.ident), e), { recursive: true, force: true }); continue; }
      if (!e.startsWith(DATASET_DIR_PREFIX)) continue;
      const id = Number(e.slice(DATASET_DIR_PREFIX.length));
      if (!Number.isSafeInteger(id)) continue;
      const dir = join(nodeDir(store.path, ctx.ident), e);
      const rec = index.datasets[String(id)] ?? null;
      const report: DatasetReport = { rec, dir, data: [], red: [], sets: [] };
      let metaFiles: string[] = [];
      try { metaFiles = await readdir(datasetMetaDir(dir)); } catch { /* empty */ }
      for (const f of metaFiles) {
        const fm = /^filemap\.(\d+)\.scr$/.exec(f);
        const rm_ = /^red\.(\d+)\.scr$/.exec(f);
        try {
          if (fm) {
            const map = await readFilemap(dir, Number(fm[1]));
            if (!map) continue;
            let whole = true;
            if (!rec?.bypass) for (const file of map.files) if ((await sizeOf(join(dir, file.name))) !== file.size) { whole = false; break; }
            if (whole) report.data.push(map.rank);
          } else if (rm_) {
            const r = Number(rm_[1]);
            const red = await readMetaFileIfExists<RedRecord>(redMetaPath(dir, r), { expectKind: 'redset' });
            if (!red) continue;
            const expect = red.scheme === 'PARTNER' ? red.lens[(red.position + red.members.length - 1) % red.members.length]! : red.k * red.chunk;
            if ((await sizeOf(redDataPath(dir, r))) !== expect) continue;
            report.red.push(r);
            if (!report.sets.some((s) => s.members[0] === red.members[0])) report.sets.push(red);
          }
        } catch (err) {
          ctx.debug(1, `ignoring unreadable ${join(datasetMetaDir(dir), f)}: ${(err as Error).message}`);
        }
      }
      datasets[String(id)] = report;
    }
  }
  return { node: ctx.node, datasets };
}

interface Plan {
  id: number;
  rec: DatasetRecord;
  /** rank → node holding its data (and, if any, its redundancy data) */
  holder: Map<number, string>;
  /** The sets with their record, and the positions to rebuild. */
  sets: Array<{ red: RedRecord; lost: number[] }>;
}

/** Step 2: the same answer on every rank. */
function decide(ctx: Context, reports: NodeReport[]): { plans: Plan[]; drops: Array<{ id: number; why: string; rec: DatasetRecord | null }>; maxId: number } {
  const live = new Set(ctx.nodeOf);
  const ids = new Set<number>();
  for (const r of reports) for (const id of Object.keys(r.datasets)) ids.add(Number(id));
  const plans: Plan[] = [];
  const drops: Array<{ id: number; why: string; rec: DatasetRecord | null }> = [];
  for (const id of [...ids].sort((a, b) => a - b)) {
    const seen = reports.filter((r) => live.has(r.node) && r.datasets[String(id)]).map((r) => ({ node: r.node, d: r.datasets[String(id)]! }));
    const rec = seen.map((s) => s.d.rec).find((x) => x?.complete) ?? seen.map((s) => s.d.rec).find((x) => x) ?? null;
    if (!rec || !rec.complete) { drops.push({ id, why: 'incomplete (the job stopped while writing it)', rec }); continue; }
    if (rec.failed) { drops.push({ id, why: 'marked failed by completeRestart', rec }); continue; }
    if (rec.ranks !== ctx.size) { drops.push({ id, why: `written by ${rec.ranks} ranks, the job now has ${ctx.size}`, rec }); continue; }
    const dataAt = new Map<number, string>();
    const redAt = new Map<number, string>();
    const sets = new Map<number, RedRecord>();
    for (const s of seen) {
      for (const r of s.d.data) if (!dataAt.has(r)) dataAt.set(r, s.node);
      for (const r of s.d.red) if (!redAt.has(r)) redAt.set(r, s.node);
      for (const red of s.d.sets) sets.set(red.members[0]!, red);
    }
    const inSet = new Set([...sets.values()].flatMap((s) => s.members));
    const plan: Plan = { id, rec, holder: new Map(), sets: [] };
    let why: string | null = null;
    for (let r = 0; r < ctx.size && !why; r++) {
      if (!inSet.has(r) && !dataAt.has(r)) why = `the files of rank ${r} are gone and no redundancy covers them`;
    }
    for (const red of [...sets.values()].sort((a, b) => a.members[0]! - b.members[0]!)) {
      if (why) break;
      const n = red.members.length;
      const lost = red.members.map((r, pos) => (dataAt.has(r) && redAt.has(r) && dataAt.get(r) === redAt.get(r) ? -1 : pos)).filter((p) => p >= 0);
      if (!recoverable(red.scheme, red.k, n, lost)) {
        why = `${red.scheme} set of ranks ${red.members.join(',')} lost ${lost.length} member(s) (ranks ${lost.map((p) => red.members[p]).join(',')}), more than it can restore`;
      }
      plan.sets.push({ red, lost });
    }
    if (why) { drops.push({ id, why, rec }); continue; }
    for (const [r, node] of dataAt) plan.holder.set(r, node);
    for (const s of plan.sets) for (const p of s.lost) plan.holder.delete(s.red.members[p]!);
    plans.push(plan);
  }
  return { plans, drops, maxId: Math.max(0, ...ids) };
}

/** Step 3: move one rank's files from the node holding them to the node it runs on now. */
async function moveData(ctx: Context, plan: Plan): Promise<void> {
  const comm = ctx.comm;
  const rec = plan.rec;
  const here = datasetDir(rec.store, ctx.ident, rec.id);
  const firstRankOn = (node: string) => ctx.nodeOf.indexOf(node);
  const red = (r: number) => plan.sets.find((s) => s.red.members.includes(r))?.red;
  const buf = Buffer.allocUnsafe(ctx.fileBufSize);

  // What moves: each rank whose data is on another live node.
  const moves = [...plan.holder].filter(([r, node]) => ctx.nodeOf[r] !== node).sort((a, b) => a[0] - b[0]);
  for (const [r, node] of moves) {
    const sender = firstRankOn(node);
    if (ctx.rank === sender) {
      const from = datasetDir(rec.store, ctx.ident, rec.id, node);
      const map = (await readFilemap(from, r))!;
      const json = Buffer.from(JSON.stringify(map));
      await comm.send(Float64Array.of(json.length), r, TAG_MOVE);
      await comm.send(json, r, TAG_MOVE);
      const paths = [...map.files.map((f) => ({ path: rec.bypass ? null : join(from, f.name), size: f.size })),
        ...(red(r) ? [{ path: redDataPath(from, r), size: (await sizeOf(redDataPath(from, r)))! }] : [])];
      for (const p of paths) {
        if (!p.path) continue;
        const fh = await open(p.path, 'r');
        try {
          for (let o = 0; o < p.size; o += buf.length) {
            const n = Math.min(buf.length, p.size - o);
            await fh.read(buf, 0, n, o);
            await comm.send(buf.subarray(0, n), r, TAG_MOVE);
          }
        } finally { await fh.close(); }
      }

      // The data now lives with its rank: remove it from the old node.
      await Promise.all([...map.files.map((f) => (rec.bypass ? null : unlink(join(from, f.name)).catch(() => undefined))),
        unlink(filemapPath(from, r)).catch(() => undefined), unlink(redMetaPath(from, r)).catch(() => undefined), unlink(redDataPath(from, r)).catch(() => undefined)]);
    }
    if (ctx.rank === r) {
      const size = new Float64Array(1);
      await comm.recv(size, sender, TAG_MOVE);
      const json = Buffer.alloc(size[0]!);
      await comm.recv(json, sender, TAG_MOVE);
      const map = JSON.parse(json.toString()) as Filemap;
      await writeFilemap(here, map);
      const rr = red(r);
      const targets = [...map.files.map((f) => ({ path: rec.bypass ? null : join(here, f.name), size: f.size, crc: f.crc, mode: f.mode, mtimeMs: f.mtimeMs }))];
      for (const t of targets) {
        if (!t.path) continue;
        const fh = await open(t.path, 'w', 0o600);
        let crc = 0;
        try {
          for (let o = 0; o < t.size; o += buf.length) {
            const n = Math.min(buf.length, t.size - o);
            await comm.recv(buf.subarray(0, n), sender, TAG_MOVE);
            if (t.crc !== null) crc = crc32(buf.subarray(0, n), crc);
            await fh.write(buf, 0, n, o);
          }
        } finally { await fh.close(); }
        if (t.crc !== null && crc !== t.crc) throw new Error(`${t.path}: CRC32 ${crc.toString(16)} after the move, ${t.crc.toString(16)} when written`);
        await applyFileMetadata(t.path, t);
      }
      if (rr) {
        // The redundancy data file follows the files; its size comes after it.
        const dat = redDataPath(here, r);
        const expect = rr.scheme === 'PARTNER' ? rr.lens[(rr.members.indexOf(r) + rr.members.length - 1) % rr.members.length]! : rr.k * rr.chunk;
        const fh = await open(dat, 'w', 0o600);
        try {
          for (let o = 0; o < expect; o += buf.length) {
            const n = Math.min(buf.length, expect - o);
            await comm.recv(buf.subarray(0, n), sender, TAG_MOVE);
            await fh.write(buf, 0, n, o);
          }
        } finally { await fh.close(); }
        await writeMetaFile(redMetaPath(here, r), 'redset', { ...rr, position: rr.members.indexOf(r) });
      }
    }
  }
}

/** Step 4: rebuild what each set lost. Collective over the job (one split). */
async function rebuildSets(ctx: Context, plan: Plan): Promise<void> {
  const rec = plan.rec;
  const here = datasetDir(rec.store, ctx.ident, rec.id);
  const mySet = plan.sets.findIndex((s) => s.red.members.includes(ctx.rank));
  const needed = plan.sets.some((s) => s.lost.length > 0);
  if (!needed) return;
  const comm: Comm | null = await ctx.comm.split(mySet >= 0 && plan.sets[mySet]!.lost.length > 0 ? mySet : null, mySet >= 0 ? plan.sets[mySet]!.red.members.indexOf(ctx.rank) : 0);
  if (!comm) return;
  try {
    const { red, lost } = plan.sets[mySet]!;
    const pos = red.members.indexOf(ctx.rank);
    const amLost = lost.includes(pos);
    const map = red.filemaps[pos]!;
    const stream = new FileStream(map.files.map((f) => ({ path: join(here, f.name), size: f.size })), { mode: amLost ? 'w' : 'r', crc: amLost, map: true });
    if (amLost) await stream.createAll();
    const res = await rebuild({ comm, scheme: red.scheme as 'PARTNER' | 'XOR' | 'RS', k: red.k, lost, chunk: red.chunk, lens: red.lens, stream, parityPath: redDataPath(here, ctx.rank), pieceSize: red.pieceSize });
    await stream.close();
    if (res.error) throw res.error;
    if (amLost) {
      map.files.forEach((f, i) => {
        const got = stream.crcs![i]!.value(f.size);
        if (f.crc !== null && got !== f.crc) throw new Error(`rebuilt ${f.name} of rank ${ctx.rank} has CRC32 ${got.toString(16)}, expected ${f.crc.toString(16)}`);
      });
      for (const f of map.files) {
        await applyFileMetadata(join(here, f.name), f);
      }
      await writeFilemap(here, map);
      await writeMetaFile(redMetaPath(here, ctx.rank), 'redset', { ...red, position: pos });
    }
  } finally {
    await comm.free();
  }
}

export async function restoreCache(ctx: Context): Promise<RestoreResult> {
  // A node whose cache cannot be read counts as empty (with a warning): a throw here would leave
  // the other ranks waiting in the gather.
  let mine: NodeReport | null = null;
  if (ctx.nodeLeader) {
    try {
      mine = await scanNode(ctx);
    } catch (e) {
      process.stderr.write(`scr: warning: node ${ctx.node}: cannot read its cache, treating it as empty: ${(e as Error).message}\n`);
      mine = { node: ctx.node, datasets: {} };
    }
  }
  const reports = ((await ctx.comm.allgatherObject(mine)) as Array<NodeReport | null>).filter((r): r is NodeReport => r !== null);
  const { plans, drops, maxId } = decide(ctx, reports);
  const dropped: string[] = [];
  const restored: DatasetRecord[] = [];
  const timings: RestoreTiming[] = [];
  const removeLocal = async (id: number) => {
    if (!ctx.nodeLeader) return;
    const report = reports.find((r) => r.node === ctx.node)?.datasets[String(id)];
    if (report) await rm(report.dir, { recursive: true, force: true });
    await ctx.updateCacheIndex((idx) => { delete idx.datasets[String(id)]; });
  };
  for (const d of drops) {
    dropped.push(`dataset ${d.id}${d.rec ? ` (${d.rec.name})` : ''}: ${d.why}`);
    await removeLocal(d.id);
  }
  for (const plan of plans) {
    const dir = datasetDir(plan.rec.store, ctx.ident, plan.rec.id);
    let err: unknown = null;
    const t0 = performance.now();
    try {
      await mkdir(datasetMetaDir(dir), { recursive: true, mode: 0o700 });
      await moveData(ctx, plan);
    } catch (e) { err = e; }
    // Moves are point to point: agree before the collective rebuild.
    try {
      await agree(ctx.comm, `moving dataset ${plan.rec.name}`, outcomeOf(err));
      await rebuildPhase(ctx, plan);
      await ctx.updateCacheIndex((idx) => { idx.datasets[String(plan.id)] = plan.rec; });
      restored.push(plan.rec);
      const lostRanks = plan.sets.flatMap((s) => s.lost.map((p) => s.red.members[p]!));
      const moved = [...plan.holder].filter(([r, node]) => ctx.nodeOf[r] !== node).map(([r]) => r);
      timings.push({ id: plan.id, name: plan.rec.name, seconds: (performance.now() - t0) / 1000, moved, rebuilt: lostRanks });
      if (lostRanks.length) ctx.note(`rebuilt dataset ${plan.rec.name}: files of rank(s) ${lostRanks.join(',')} restored from ${plan.sets.find((s) => s.lost.length)!.red.scheme} redundancy in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
    } catch (e) {
      dropped.push(`dataset ${plan.id} (${plan.rec.name}): ${(e as Error).message}`);
      await removeLocal(plan.id);
    }
  }
  return { restored, timings, maxId, dropped };
}

async function rebuildPhase(ctx: Context, plan: Plan): Promise<void> {
  let err: unknown = null;
  try { await rebuildSets(ctx, plan); } catch (e) { err = e; }
  await agree(ctx.comm, `rebuilding dataset ${plan.rec.name}`, outcomeOf(err));
}
