// Checkpoints in cache that this run cannot restore from there, because another number of ranks
// wrote them (restore.ts keeps them untouched). If the newest checkpoint is one of them and is not
// on the file system yet, the job drains it there first — the scavenge of `scr postrun`, with the
// job's node leaders doing each node's part over MPI — so haveRestart can read it in place with
// this run's ranks (fetch.ts). Either way the user is told which checkpoint, why, and what then.
import type { DatasetRecord } from '../cache/records.js';
import { type NodeAccess, type NodeCopy, type NodeDataset, copyNode, listNode, scavenge } from '../scavenge/scavenge.js';
import type { Context } from './context.js';
import { removeDataset } from './dataset.js';
import { localStore } from './restore.js';

type Command = { op: 'list' } | { op: 'copy'; id: number; work: Array<[string, number[]]> } | { op: 'done' };

/** Each node leader does its own node's part of a command; rank 0 gets every node's answer. */
async function serveOne<T>(ctx: Context, cmd: Command): Promise<Array<[string, T]>> {
  const ident = { ...ctx.ident };
  let mine: [string, T] | null = null;
  if (ctx.nodeLeader && cmd.op === 'list') mine = [ctx.node, (await listNode(ctx.cfg, ident).catch(() => [])) as T];
  if (ctx.nodeLeader && cmd.op === 'copy') {
    const ranks = new Map(cmd.work).get(ctx.node);
    if (ranks) mine = [ctx.node, (await copyNode(ctx.cfg, ident, cmd.id, ranks).catch((e: Error) => ({ ranks: [], warnings: [e.message] }))) as T];
  }
  const all = await ctx.comm.gatherObject(mine, 0);
  return (all ?? []).filter((x): x is [string, T] => x !== null);
}

/** Rank 0's view of the nodes' caches, through the node leaders. */
function mpiAccess(ctx: Context): NodeAccess {
  return {
    async list() {
      await ctx.comm.bcastObject<Command>({ op: 'list' }, 0);
      return { byNode: new Map(await serveOne<NodeDataset[]>(ctx, { op: 'list' })), warnings: [] };
    },
    async copy(work, id, nodeDone) {
      const cmd: Command = { op: 'copy', id, work: [...work] };
      await ctx.comm.bcastObject(cmd, 0);
      const byNode = new Map(await serveOne<NodeCopy>(ctx, cmd));
      for (const n of byNode.keys()) nodeDone?.(n);
      return { byNode, warnings: [] };
    },
  };
}

/** Collective. `kept`: the complete datasets of another rank count restore.ts left in cache;
 * `newestHere`: the newest checkpoint this run can restore from cache, if any. */
export async function drainKept(ctx: Context, kept: DatasetRecord[], newestHere: DatasetRecord | undefined): Promise<void> {
  const newest = kept.filter((r) => r.flags.checkpoint && !r.failed).sort((a, b) => b.id - a.id)[0];
  const wanted = newest && !(newestHere && newestHere.id > newest.id) ? newest : undefined;
  for (const r of kept.filter((x) => x !== wanted)) {
    ctx.note(`${r.name} (written by ${r.ranks} ranks) stays in cache unused: this run has ${ctx.size} ranks${r.flushed ? ', and it is on the file system' : ''}`);
  }
  if (!wanted) return;
  if (wanted.flushed) {
    ctx.note(`${wanted.name}, the newest checkpoint, was written by ${wanted.ranks} ranks and this run has ${ctx.size}: it cannot be restored from cache, so it is read from the file system, where it already is`);
    return;
  }
  ctx.note(`${wanted.name}, the newest checkpoint, is only in cache and was written by ${wanted.ranks} ranks; this run has ${ctx.size}, so it cannot be restored from cache. ` +
    'Draining it to the file system first (as `scr postrun` would), so this run can read it from there');
  const lines: string[] = [];
  let drained = false;
  if (ctx.rank === 0) {
    try {
      const nodes = [...new Set(ctx.nodeOf)];
      const report = await scavenge(ctx.cfg, { user: ctx.ident.user, jobId: ctx.ident.jobId }, nodes, (l) => lines.push(l), mpiAccess(ctx));
      drained = report.datasets.some((d) => d.id === wanted.id);
    } catch (e) {
      lines.push(`draining ${wanted.name} failed: ${(e as Error).message}`);
    }
    await ctx.comm.bcastObject<Command>({ op: 'done' }, 0);
  } else {
    for (;;) {
      const cmd = await ctx.comm.bcastObject<Command>({ op: 'done' }, 0);
      if (cmd.op === 'done') break;
      await serveOne(ctx, cmd);
    }
  }
  for (const l of lines) ctx.note(l);
  if (await ctx.comm.bcastObject(drained, 0)) {
    // On the file system now; this run can never use the cache copy.
    await removeDataset(ctx, { ...wanted, store: localStore(ctx, wanted) }).catch(() => undefined);
    return;
  }
  ctx.warn(`${wanted.name} could not be drained (see above); it stays in the node caches, untouched. This run restarts from the newest checkpoint it can use instead. ` +
    `To use ${wanted.name}, relaunch with ${wanted.ranks} ranks, or drain it with \`scr postrun\` while its nodes still hold it`);
}
