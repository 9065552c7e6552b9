// Every node the job must not run on, with why: what the resource manager says is down, what
// SCR_EXCLUDE_NODES names, and what scr prerun found unusable.
import { expandHostlist } from '../common/hostlist.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { readBadNodes } from './bad-nodes.js';
import type { ResourceManager } from './types.js';

export async function excludedNodes(cfg: ResolvedConfig, jobId: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const ex = cfg.optStr('SCR_EXCLUDE_NODES');
  for (const n of ex ? expandHostlist(ex) : []) out.set(n, 'excluded by SCR_EXCLUDE_NODES');
  for (const [n, why] of await readBadNodes(cfg.str('SCR_PREFIX'), jobId)) if (!out.has(n)) out.set(n, why);
  return out;
}

/** Down and excluded nodes of the allocation (nodes outside it are left out). */
export async function downNodes(rm: ResourceManager, cfg: ResolvedConfig): Promise<Map<string, string>> {
  const all = new Set(rm.nodes());
  const out = new Map([...await rm.downNodes()].filter(([n]) => all.has(n)));
  for (const [n, why] of await excludedNodes(cfg, rm.jobId())) if (all.has(n) && !out.has(n)) out.set(n, why);
  return out;
}
