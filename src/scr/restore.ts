// Restart inside the allocation (SPEC §2 init, §5): cached datasets come back to wherever each
// rank now runs (a spare node with an empty cache included), and lost or damaged ranks' files are
// rebuilt from redundancy, byte for byte, with their metadata. All or nothing per dataset.
//  1. Scan (restore-scan.ts): each node leader lists and checks the datasets in its own stores.
//  2. Decide (restore-plan.ts): every rank learns its part of the plan, by reductions and routed
//     facts; no rank gathers every node's report.
//  3. Move (restore-move.ts): a rank whose data sits on another live node gets it from there.
//  4. Rebuild (here): the members each set lost, over the set's ring.
//  5. Agree; a dataset that failed anywhere is deleted everywhere.
// Each node uses its own directories: a store's path may differ from node to node.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { datasetDir, datasetMetaDir, redDataPath, redMetaPath } from '../cache/paths.js';
import { applyFileMetadata, type DatasetRecord, writeFilemap } from '../cache/records.js';
import { writeMetaFile } from '../meta/index.js';
import type { Comm } from '../mpi/index.js';
import { rebuild } from '../redundancy/rebuild.js';
import { FileStream } from '../redundancy/stream.js';
import { agree, outcomeOf } from './agree.js';
import type { Context } from './context.js';
import { enterPhase } from './init-stats.js';
import { moveData } from './restore-move.js';
import { routeObjects } from '../mpi/route.js';
import { decide, type Plan, type PlanNet } from './restore-plan.js';
import { notOwnFile, type NodeReport, scanNode } from './restore-scan.js';

export interface RestoreTiming {
  id: number;
  name: string;
  /** Seconds to move and rebuild this dataset (all ranks agreed). */
  seconds: number;
  moved: number[];
  rebuilt: number[];
  /** The redundancy scheme that rebuilt them ('' when nothing was rebuilt). */
  scheme: string;
}

export interface RestoreResult {
  /** Datasets now in cache on every rank's node, ready for restart (each rank's own copy). */
  restored: DatasetRecord[];
  /** Complete datasets of another rank count, left in cache as they are. */
  kept: DatasetRecord[];
  timings: RestoreTiming[];
  /** The largest dataset id seen anywhere (the next one must be larger). */
  maxId: number;
  /** One line per dataset dropped, for the log. */
  dropped: string[];
}

/** The store this node uses for a dataset's descriptor (its own configuration's, which may
 * differ from the node that recorded it), else the recorded one. */
export function localStore(ctx: Context, rec: DatasetRecord): string {
  return ctx.cfg.ckpts.find((c) => c.index === rec.descriptor)?.store ?? rec.store;
}

/** Step 4: rebuild what each set lost. Collective over the job (one split). */
async function rebuildSets(ctx: Context, plan: Plan, here: string): Promise<void> {
  if (!plan.anyRebuild) return;
  enterPhase('agreement (collectives)');
  const mine = plan.set && plan.set.lost.length > 0 ? plan.set : null;
  const comm: Comm | null = await ctx.comm.split(mine ? mine.red.members[0]! : null, mine ? mine.red.members.indexOf(ctx.rank) : 0);
  if (!comm || !mine) return;
  try {
    enterPhase('rebuild: creating files');
    const { red, lost } = mine;
    const pos = red.members.indexOf(ctx.rank);
    const amLost = lost.includes(pos);
    const map = red.filemaps[pos]!;
    const stream = new FileStream(map.files.map((f) => ({ path: join(here, f.name), size: f.size })), { mode: amLost ? 'w' : 'r', crc: amLost });
    // A file that cannot be created (no room) is reported after the ring, which still runs. What
    // was there is removed first, so a planted symlink is replaced, never written through.
    let createErr: unknown = null;
    if (amLost) {
      await freshFiles([...map.files.map((f) => join(here, f.name)), redDataPath(here, ctx.rank)])
        .then(() => stream.createAll()).catch((e: unknown) => { createErr = e; });
    }
    enterPhase('data movement: rebuild ring');
    const res = await rebuild({ comm, scheme: red.scheme as 'PARTNER' | 'XOR' | 'RS', k: red.k, lost, chunk: red.chunk, lens: red.lens, stream, parityPath: redDataPath(here, ctx.rank), pieceSize: red.pieceSize });
    await stream.close();
    if (createErr) throw createErr;
    if (res.error) throw res.error;
    if (amLost) {
      map.files.forEach((f, i) => {
        const got = stream.crcs![i]!.value(f.size);
        if (f.crc !== null && got !== f.crc) throw new Error(`rebuilt ${f.name} of rank ${ctx.rank} has CRC32 ${got.toString(16)}, expected ${f.crc.toString(16)}`);
      });
      enterPhase('metadata writes');
      for (const f of map.files) await applyFileMetadata(join(here, f.name), f);
      await writeFilemap(here, map);
      await writeMetaFile(redMetaPath(here, ctx.rank), 'redset', { ...red, position: pos, nodes: red.members.map((m) => ctx.nodeOf[m]!) });
    }
  } finally {
    enterPhase('agreement (collectives)');
    await comm.free();
  }
}

/** Removes whatever is at these paths (a damaged file, a planted symlink: the link itself, not
 * what it points to), so they are created anew. */
export async function freshFiles(paths: string[]): Promise<void> {
  await Promise.all(paths.map((p) => rm(p, { force: true })));
}

/** `dir` as a directory of this user's, 0700: a symlink or non-directory in its place is removed
 * first (the link, not its target); another user's directory is refused. */
async function ownDir(dir: string): Promise<void> {
  const bad = await notOwnFile(dir, 'directory');
  if (bad && bad !== 'is missing') {
    if (bad.startsWith('belongs to')) throw new Error(`${dir} ${bad}: it is not used, and this node cannot restore into it`);
    await rm(dir, { force: true });
  }
  await mkdir(datasetMetaDir(dir), { recursive: true, mode: 0o700 });
}

export async function restoreCache(ctx: Context): Promise<RestoreResult> {
  // A node whose cache cannot be read counts as empty (with a warning): a throw here would leave
  // the other ranks waiting in the plan's collectives.
  let mine: NodeReport | null = null;
  enterPhase('cache scan: index and metadata reads');
  if (ctx.nodeLeader) {
    try {
      mine = await scanNode(ctx);
    } catch (e) {
      ctx.warnHere(`cannot read its cache, treating it as empty: ${(e as Error).message}`);
      mine = { node: ctx.node, datasets: {}, foreign: [] };
    }
  }
  enterPhase('agreement (collectives)');
  const { plans, drops, kept, maxId } = await decide(planNet(ctx.comm), mine, ctx.nodeOf, (rec) => ctx.cfg.ckpts.find((c) => c.index === rec.descriptor)?.type ?? 'its');
  enterPhase('plan');
  const out: RestoreResult = { restored: [], kept, timings: [], maxId, dropped: [] };
  for (const f of mine?.foreign ?? []) {
    ctx.noteHere(`node ${ctx.node}'s cache holds dataset ${f.id} (${f.name}) of another prefix, ${f.prefix}, under the same job id: it is left alone`);
  }
  const removeLocal = async (id: number, also?: string) => {
    if (!ctx.nodeLeader) return;
    const report = mine?.datasets[String(id)];
    // (A spare has no report of it, but a failed restore may have written into `also`.)
    for (const dir of new Set([report?.dir, also].filter((d): d is string => !!d))) await rm(dir, { recursive: true, force: true });
    await ctx.updateCacheIndex((idx) => { delete idx.datasets[String(id)]; });
  };
  enterPhase('removing dropped datasets');
  for (const d of drops) {
    out.dropped.push(`dataset ${d.id}${d.rec ? ` (${d.rec.name})` : ''}: ${d.why}`);
    await removeLocal(d.id).catch((e: Error) => ctx.warnHere(`removing dataset ${d.id}: ${e.message}`));
  }
  // Only node leaders delete: no rank may go on (a fetch may reuse a dropped id's directory)
  // before they are done.
  enterPhase('agreement (collectives)');
  if (drops.length) await ctx.comm.barrier();
  for (const plan of plans) {
    // Every rank works on its own copy of the record, with its own node's store.
    const rec: DatasetRecord = { ...plan.rec, store: localStore(ctx, plan.rec) };
    const here = datasetDir(rec.store, ctx.ident, rec.id);
    const t0 = performance.now();
    let moved: Awaited<ReturnType<typeof moveData>> | null = null;
    let err: unknown = null;
    enterPhase('directories and marks');
    try {
      await ownDir(here);
    } catch (e) { err = e; }
    // Every rank takes part in the moves, even after a local error, so no partner waits.
    enterPhase('data movement: moves');
    moved = await moveData(ctx, { ...plan, rec }, here, mine?.datasets[String(plan.id)]?.dir);
    err ??= moved.error;
    try {
      // Moves are point to point: agree before the collective rebuild.
      enterPhase('agreement (collectives)');
      await agree(ctx.comm, `moving dataset ${rec.name}`, outcomeOf(err));
      let rebuildErr: unknown = null;
      try { await rebuildSets(ctx, plan, here); } catch (e) { rebuildErr = e; }
      enterPhase('agreement (collectives)');
      await agree(ctx.comm, `rebuilding dataset ${rec.name}`, outcomeOf(rebuildErr));
      // Local from here on (a failure must not send this rank alone into the catch below).
      enterPhase('removing moved copies');
      await moved.cleanup().catch((e: Error) => ctx.warnHere(`removing moved copies of ${rec.name}: ${e.message}`));
      enterPhase('metadata writes');
      await ctx.updateCacheIndex((idx) => { idx.datasets[String(plan.id)] = rec; }).catch((e: Error) => ctx.warnHere(`recording ${rec.name} in the cache index: ${e.message}`));
      out.restored.push(rec);
      const [lostRanks, movedRanks] = [plan.rebuilt, plan.moved];
      const seconds = (performance.now() - t0) / 1000;
      out.timings.push({ id: plan.id, name: rec.name, seconds, moved: movedRanks, rebuilt: lostRanks, scheme: lostRanks.length ? plan.scheme : '' });
      if (plan.damaged.length) ctx.note(`dataset ${rec.name}: found damaged in cache and rebuilt: ${plan.damaged.join('; ')}`);
      if (lostRanks.length) ctx.note(`rebuilt dataset ${rec.name}: files of rank(s) ${lostRanks.join(',')} restored from ${plan.scheme} redundancy in ${seconds.toFixed(2)} s`);
    } catch (e) {
      out.dropped.push(`dataset ${plan.id} (${rec.name}): ${(e as Error).message}`);
      enterPhase('removing dropped datasets');
      await removeLocal(plan.id, here).catch((e2: Error) => ctx.warnHere(`removing dataset ${plan.id}: ${e2.message}`));
      enterPhase('agreement (collectives)');
      await ctx.comm.barrier();
    }
  }
  return out;
}

/** The plan's collectives over the job's communicator (restore-plan.ts). */
function planNet(comm: Comm): PlanNet {
  return {
    rank: comm.rank,
    size: comm.size,
    min: (v) => comm.allreduce(v, 'MIN'),
    bcastObject: (value, root) => comm.bcastObject(value, root),
    route: (items) => routeObjects(comm, items, TAG_PLAN),
  };
}

const TAG_PLAN = 5252;
