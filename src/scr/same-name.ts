// completeOutput's check that no two ranks of one node routed the same file name (they share the
// dataset's cache directory per node, so they would have written one file). Each node compares
// its own ranks' names (a gather over the node's communicator: bounded by the ranks per node);
// the job then agrees with one reduction of a rank number, and only when some node found a clash
// does the first such node's description travel, from one rank by a broadcast. Nothing here
// grows with the number of nodes (docs/scaling.md).
import type { Routed } from './dataset.js';
import type { Context } from './context.js';

/** The first clash this node's ranks made, described, or null. Collective over the node. */
async function clashOnNode(ctx: Context, routed: Routed[]): Promise<string | null> {
  const all = (await ctx.nodeComm.allgatherObject(routed.map((r) => r.name))) as string[][];
  const owner = new Map<string, number>();
  let found: string | null = null;
  all.forEach((names, local) => {
    for (const n of names) {
      const prev = owner.get(n);
      if (prev !== undefined && prev !== local && !found) found = `ranks ${ctx.nodeRanks[prev]} and ${ctx.nodeRanks[local]} on node ${ctx.node} both routed a file named "${n}"`;
      owner.set(n, local);
    }
  });
  return found;
}

/** The first basename two ranks of one node routed (the clash of the lowest rank that saw one,
 * the same on every rank), described, or null. Collective over the job. */
export async function sameNameOnNode(ctx: Context, routed: Routed[]): Promise<string | null> {
  const found = await clashOnNode(ctx, routed);
  const first = await ctx.comm.allreduce(found === null ? ctx.size : ctx.rank, 'MIN');
  if (first === ctx.size) return null;
  return ctx.comm.bcastObject(found, first);
}
