// Checks nodes where they are: `scr prerun --this-node` run on each (through the resource manager),
// which prints that node's control and cache check as JSON (src/cache/check.ts). Used by
// `scr prerun` for the whole allocation, and by the run wrapper before a relaunch, so a node whose
// storage failed, or that no longer answers, is left out even before Slurm marks it down.
import { checkProblems, type NodeCheck } from '../cache/check.js';
import { lastJsonLine, tailOf } from './exec.js';
import type { ResourceManager } from './types.js';

export interface Probe {
  checks: NodeCheck[];
  /** Nodes that failed, with why. */
  bad: Map<string, string>;
}

export async function probeNodes(rm: ResourceManager, scrMain: string, prefix: string, nodes: string[], timeoutMs: number, extra: string[] = []): Promise<Probe> {
  const out: Probe = { checks: [], bad: new Map() };
  if (!nodes.length) return out;
  for (const r of await rm.exec(nodes, [process.execPath, scrMain, 'prerun', '--prefix', prefix, '--this-node', ...extra], timeoutMs)) {
    const check = lastJsonLine<NodeCheck>(r.stdout);
    if (!check) {
      out.bad.set(r.node, `the node check did not run: ${tailOf(r.stderr) || `exit ${r.code}`}`);
      continue;
    }
    out.checks.push(check);
    if (!check.ok) out.bad.set(r.node, checkProblems(check));
  }
  return out;
}
