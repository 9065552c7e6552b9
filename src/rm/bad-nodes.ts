// Nodes `scr prerun` found unusable, kept for the run wrapper and `scr list-down-nodes` of the same
// job: `<prefix>/.scr/badnodes.<jobid>.json`, {"jobId", "checked" (epoch s), "bad": {node: reason}}.
// Written whole through a rename, so a reader never sees half a file.
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface BadNodes {
  jobId: string;
  checked: number;
  bad: Record<string, string>;
}

export function badNodesPath(prefix: string, jobId: string): string {
  return join(prefix, '.scr', `badnodes.${jobId.replace(/[^\w.-]/g, '_')}.json`);
}

export async function writeBadNodes(prefix: string, jobId: string, bad: Map<string, string>): Promise<string> {
  const path = badNodesPath(prefix, jobId);
  const rec: BadNodes = { jobId, checked: Math.floor(Date.now() / 1000), bad: Object.fromEntries(bad) };
  await writeFile(`${path}.tmp`, JSON.stringify(rec, null, 1) + '\n', { mode: 0o600 });
  await rename(`${path}.tmp`, path);
  return path;
}

/** The bad nodes prerun recorded for this job; empty when it recorded none. */
export async function readBadNodes(prefix: string, jobId: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(badNodesPath(prefix, jobId), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
    throw e;
  }
  const rec = JSON.parse(text) as BadNodes;
  return new Map(Object.entries(rec.bad ?? {}).map(([n, why]) => [n, `scr prerun: ${why}`]));
}
