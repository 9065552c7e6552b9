// Rebuilding a lost or damaged index (index.ts) from what each flushed dataset left beside it:
// its summary (the index entry as it was recorded, failure marks included) and its rank map.
// An entry whose rank map is gone cannot be fetched and is left out; of two flushed datasets that
// list the same path, the older was replaced by the newer (superseded). The current marker goes
// to the newest fetchable checkpoint.
import { readdir } from 'node:fs/promises';
import { prefixScrDir } from '../cache/paths.js';
import type { IndexEntry, PfsIndex, RankMap, Summary } from './index.js';
import { fetchable, readRankMap, readSummary } from './index.js';

export interface Recovered {
  index: PfsIndex;
  /** Summaries read. */
  summaries: number;
  /** Datasets found but not recovered, with why. */
  skipped: string[];
}

export async function indexFromSummaries(prefix: string): Promise<Recovered> {
  const out: Recovered = { index: { current: null, datasets: {} }, summaries: 0, skipped: [] };
  let names: string[] = [];
  try { names = await readdir(prefixScrDir(prefix)); } catch { return out; }
  const maps = new Map<number, RankMap>();
  for (const n of names) {
    const m = /^scr\.dataset\.(\d+)$/.exec(n);
    if (!m) continue;
    const id = Number(m[1]);
    let summary: Summary | undefined;
    try { summary = await readSummary(prefix, id); } catch (e) { out.skipped.push(`dataset ${id}: its summary is damaged (${(e as Error).message})`); continue; }
    if (!summary) continue; // a flush that never finished
    out.summaries++;
    const entry: IndexEntry = { ...summary.entry };
    if (entry.flushed) {
      const map = await readRankMap(prefix, id).catch(() => undefined);
      if (!map || map.ranks.length !== entry.ranks) { out.skipped.push(`${entry.name} (id ${id}): its rank map is missing or damaged`); continue; }
      maps.set(id, map);
    }
    out.index.datasets[String(id)] = entry;
  }
  // Paths flushed by a newer dataset belong to it: an older one listing any of them was replaced.
  const owner = new Map<string, number>();
  for (const id of [...maps.keys()].sort((a, b) => b - a)) {
    const entry = out.index.datasets[String(id)]!;
    for (const f of maps.get(id)!.ranks.flat()) {
      const newer = owner.get(f.path);
      if (newer !== undefined && entry.superseded === undefined) { entry.superseded = newer; entry.flushed = false; }
      if (newer === undefined) owner.set(f.path, id);
    }
  }
  const newest = Object.values(out.index.datasets).filter(fetchable).sort((a, b) => b.id - a.id)[0];
  out.index.current = newest?.name ?? null;
  return out;
}
