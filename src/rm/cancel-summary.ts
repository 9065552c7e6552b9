// What a cancelled job kept, for the run wrapper's last lines: the checkpoints the application
// completed during this run (the event log, <prefix>/.scr/log) weighed against what the prefix
// index says is on the file system (flushed by the library, e.g. on SIGTERM with
// SCR_HALT_ON_TERM=1, or scavenged). A checkpoint only in cache when the allocation ends is lost
// with it; an older one is not counted as lost when a newer one is on the file system (a restart
// only ever needs the newest).
import { readFile } from 'node:fs/promises';
import { readIndex } from '../pfs/index.js';
import { logPath } from '../scr/log.js';

export interface CancelSummary {
  /** The newest checkpoint on the file system (a restart starts from it), if any. */
  saved: { name: string; id: number } | null;
  /** Checkpoints completed during this run, newer than `saved`, that are not on the file system. */
  lost: Array<{ name: string; id: number }>;
  /** The lines to print, e.g. "saved: checkpoint heat.21 (id 5) is on the file system; lost: nothing". */
  lines: string[];
}

/** Checkpoints the event log records as completed at or after `since` (epoch ms), oldest first. */
async function completedSince(prefix: string, since: number): Promise<Array<{ name: string; id: number }>> {
  let text = '';
  try { text = await readFile(logPath(prefix), 'utf8'); } catch { return []; }
  const out: Array<{ name: string; id: number }> = [];
  for (const line of text.split('\n')) {
    const m = /^(\S+) CHECKPOINT name=(\S+) id=(\d+)/.exec(line);
    if (m && Date.parse(m[1]!) >= since) out.push({ name: m[2]!, id: Number(m[3]) });
  }
  return out;
}

const list = (xs: Array<{ name: string; id: number }>): string =>
  `${xs.length > 1 ? 'checkpoints' : 'checkpoint'} ${xs.map((x) => x.name).join(', ')} (${xs.length > 1 ? 'ids' : 'id'} ${xs.map((x) => x.id).join(', ')})`;

/** What was kept and lost of the checkpoints of a run that started at `since` (epoch ms). */
export async function cancelSummary(prefix: string, since: number): Promise<CancelSummary> {
  let saved: CancelSummary['saved'] = null;
  let unreadable = '';
  const flushedIds = new Set<number>();
  try {
    const all = Object.values((await readIndex(prefix, () => undefined)).datasets);
    for (const d of all) if (d.flushed) flushedIds.add(d.id);
    const newest = all.filter((d) => d.flags.checkpoint && d.flushed && !d.failed).sort((a, b) => b.id - a.id)[0];
    if (newest) saved = { name: newest.name, id: newest.id };
  } catch (e) {
    unreadable = (e as Error).message;
  }
  const lost = (await completedSince(prefix, since)).filter((c) => c.id > (saved?.id ?? 0) && !flushedIds.has(c.id));
  const lines: string[] = [];
  if (unreadable) lines.push(`could not read the index of ${prefix} (${unreadable}): what is on the file system is unknown`);
  else if (saved) lines.push(`saved: ${list([saved])} is on the file system; the next run restarts from it`);
  else lines.push('saved: no checkpoint is on the file system; the next run starts from the beginning');
  lines.push(lost.length ? `not saved: ${list(lost)} ${lost.length > 1 ? 'were' : 'was'} only in cache and ${lost.length > 1 ? 'are' : 'is'} lost with the allocation`
    : 'lost: nothing (no newer checkpoint was completed in this run)');
  return { saved, lost, lines };
}
