// Scavenge's access to node-local caches on real nodes: `scr postrun --this-node` run on each node
// through the resource manager (srun --overlap -w NODE, or SCR_REMOTE_EXEC). It lists what the
// node's cache holds, or copies the ranks it is given to the file system, and prints the result
// as one JSON line. A node that does not answer is left out with a warning.
import type { NodeAccess, NodeCopy, NodeDataset } from '../scavenge/scavenge.js';
import { lastJsonLine, tailOf } from './exec.js';
import type { NodeResult, ResourceManager } from './types.js';

/** How long one node may take to list its cache, and to copy its share of a dataset. */
const LIST_MS = 120_000;
const COPY_MS = 6 * 3600_000;

export function remoteAccess(rm: ResourceManager, scrMain: string, prefix: string, jobId: string): NodeAccess {
  const base = [process.execPath, scrMain, 'postrun', '--this-node', '--prefix', prefix, '--job-id', jobId];
  const parse = <T>(r: NodeResult, warnings: string[]): T | undefined => {
    const got = r.code === 0 ? lastJsonLine<T>(r.stdout) : undefined;
    if (!got) warnings.push(`node ${r.node}: scr postrun --this-node failed (${r.code === null ? 'no answer' : `exit ${r.code}`}): ${tailOf(r.stderr) || tailOf(r.stdout, 1)}`);
    return got;
  };
  return {
    async list(nodes) {
      const warnings: string[] = [];
      const byNode = new Map<string, NodeDataset[]>();
      for (const r of await rm.exec(nodes, base, LIST_MS)) {
        const got = parse<{ datasets: NodeDataset[] }>(r, warnings);
        if (got) byNode.set(r.node, got.datasets);
      }
      return { byNode, warnings };
    },
    async copy(work, id, nodeDone) {
      const warnings: string[] = [];
      const byNode = new Map<string, NodeCopy>();
      // One exec per node, each with its own rank list, all at once.
      await Promise.all([...work].map(async ([node, ranks]) => {
        const [r] = await rm.exec([node], [...base, '--dataset', String(id), '--ranks', ranks.join(',')], COPY_MS);
        const got = parse<NodeCopy>(r!, warnings);
        if (got) byNode.set(node, got);
        nodeDone?.(node);
      }));
      return { byNode, warnings };
    },
  };
}
