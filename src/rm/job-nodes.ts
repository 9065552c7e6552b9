// The nodes a job ran on when no resource manager is at hand (scr postrun after the allocation,
// or for a simulated cluster): the ones given, else every node.<name> directory the job has under
// the control base (simulated nodes, or a control base on shared storage).
import { readdirSync } from 'node:fs';
import { jobDir } from '../cache/paths.js';
import { expandHostlist } from '../common/hostlist.js';

export function jobNodes(list: string | undefined, cntlBase: string, ident: { user: string; jobId: string }): string[] {
  if (list) return expandHostlist(list);
  try {
    return readdirSync(jobDir(cntlBase, { ...ident, node: '' })).filter((d) => d.startsWith('node.')).map((d) => d.slice(5)).sort();
  } catch {
    return [];
  }
}
