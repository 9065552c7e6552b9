// Scavenge (SPEC §6, `scr postrun`): after the job, drain to the file system what it left only
// in cache, without MPI. First, flushes the job copied but did not record are completed from
// their markers. Then output datasets not yet flushed (oldest first) and the newest checkpoint
// not on the file system are copied from every live node's cache (nodes in parallel), with CRC
// checks; their redundancy files go to <prefix>/.scr/scr.dataset.<id>/ too, so the files of ranks
// whose node is gone are rebuilt offline (src/pfs/build.ts). The index then says flushed and the
// checkpoint becomes current.
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheIndexPath, datasetDir, type Identity, nodeDir, redDataPath, redMetaPath } from '../cache/paths.js';
import { type DatasetRecord, type FileEntry, readCacheIndex, readFilemap } from '../cache/records.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { buildDataset, pfsRedDataPath, pfsRedMetaPath } from '../pfs/build.js';
import { pfsDatasetDir, readIndex, updateIndex } from '../pfs/index.js';
import { completeFlushesFromMarkers, copyToPfs, finishFlushRecord, indexEntryOf } from '../scr/flush.js';
import { existsSync } from 'node:fs';

export interface ScavengeReport {
  completedFromMarkers: string[];
  datasets: Array<{ name: string; id: number; copiedRanks: number[]; rebuiltRanks: number[]; bytes: number; seconds: number }>;
  skipped: string[];
}

/** What one node holds of one dataset: the ranks whose file maps and files are there. */
async function ranksOn(dir: string): Promise<number[]> {
  let names: string[] = [];
  try { names = await readdir(join(dir, '.scr')); } catch { return []; }
  return names.map((n) => /^filemap\.(\d+)\.scr$/.exec(n)).filter((m): m is RegExpExecArray => !!m).map((m) => Number(m[1])).sort((a, b) => a - b);
}

async function copyRank(dir: string, rank: number, rec: DatasetRecord, bufSize: number): Promise<FileEntry[]> {
  const map = await readFilemap(dir, rank);
  if (!map) throw new Error(`no file map for rank ${rank} in ${dir}`);
  for (const f of map.files) {
    if (rec.bypass) continue; // already on the file system
    const crc = await copyToPfs(dir, f, bufSize);
    if (f.crc !== null && crc !== f.crc) throw new Error(`${join(dir, f.name)}: CRC32 ${crc.toString(16)}, expected ${f.crc.toString(16)} (damaged in cache)`);
  }
  return map.files;
}

export async function scavenge(cfg: ResolvedConfig, ident: Omit<Identity, 'node'>, nodes: string[], say: (s: string) => void): Promise<ScavengeReport> {
  const prefix = cfg.str('SCR_PREFIX');
  const bufSize = cfg.int('SCR_FILE_BUF_SIZE');
  const report: ScavengeReport = { completedFromMarkers: [], datasets: [], skipped: [] };
  report.completedFromMarkers = await completeFlushesFromMarkers(prefix, cfg.int('SCR_PREFIX_SIZE'));
  for (const n of report.completedFromMarkers) say(`completed the flush of ${n} from its markers`);

  // What every live node's cache index says.
  const cntlBase = cfg.str('SCR_CNTL_BASE');
  const known = new Map<number, DatasetRecord>();
  for (const node of nodes) {
    const id: Identity = { ...ident, node };
    if (!existsSync(cacheIndexPath(nodeDir(cntlBase, id)))) continue;
    try {
      for (const rec of Object.values((await readCacheIndex(nodeDir(cntlBase, id))).datasets)) if (rec.complete && !known.has(rec.id)) known.set(rec.id, rec);
    } catch (e) { say(`warning: node ${node}: cannot read its cache index: ${(e as Error).message}`); }
  }
  const onPfs = (await readIndex(prefix)).datasets;
  const flushed = (r: DatasetRecord) => r.flushed || onPfs[String(r.id)]?.flushed === true;
  const outputs = [...known.values()].filter((r) => r.flags.output && !flushed(r)).sort((a, b) => a.id - b.id);
  const newestCkpt = [...known.values()].filter((r) => r.flags.checkpoint && !r.failed).sort((a, b) => b.id - a.id)[0];
  const toDrain = [...outputs, ...(newestCkpt && !flushed(newestCkpt) && !outputs.includes(newestCkpt) ? [newestCkpt] : [])];
  if (newestCkpt && flushed(newestCkpt)) say(`the newest checkpoint, ${newestCkpt.name}, is already on the file system`);

  for (const rec of toDrain) {
    const t0 = performance.now();
    await updateIndex(prefix, (idx) => { idx.datasets[String(rec.id)] = indexEntryOf(rec); });
    await mkdir(pfsDatasetDir(prefix, rec.id), { recursive: true, mode: 0o700 });
    const files: FileEntry[][] = new Array(rec.ranks);
    const copied: number[] = [];
    // Nodes in parallel; within a node, its ranks one after another.
    await Promise.all(nodes.map(async (node) => {
      const dir = datasetDir(rec.store, { ...ident, node }, rec.id);
      for (const rank of await ranksOn(dir)) {
        if (files[rank]) continue;
        try {
          files[rank] = await copyRank(dir, rank, rec, bufSize);
          copied.push(rank);
          for (const [from, to] of [[redMetaPath(dir, rank), pfsRedMetaPath(prefix, rec.id, rank)], [redDataPath(dir, rank), pfsRedDataPath(prefix, rec.id, rank)]] as const) {
            if (existsSync(from)) await copyFile(from, to);
          }
        } catch (e) {
          say(`warning: node ${node}: rank ${rank} of ${rec.name}: ${(e as Error).message}`);
        }
      }
    }));
    const missing = Array.from({ length: rec.ranks }, (_, r) => r).filter((r) => !files[r]);
    let rebuilt: number[] = [];
    try {
      if (missing.length) {
        say(`${rec.name}: the files of rank(s) ${missing.join(',')} are on no live node; rebuilding them from redundancy`);
        const b = await buildDataset(prefix, rec.id);
        rebuilt = b.rebuilt.map((x) => x.rank);
        if (rec.flags.checkpoint) {
          await updateIndex(prefix, (idx) => {
            const cur = idx.current ? Object.values(idx.datasets).find((x) => x.name === idx.current) : undefined;
            if (!cur || cur.id <= rec.id) idx.current = rec.name;
          });
        }
      } else {
        await finishFlushRecord(prefix, rec, indexEntryOf(rec, { complete: true, flushed: true, flushedAt: Date.now() }), files, cfg.int('SCR_PREFIX_SIZE'));
      }
    } catch (e) {
      report.skipped.push(`${rec.name}: ${(e as Error).message}`);
      say(`could not scavenge ${rec.name}: ${(e as Error).message}`);
      continue;
    }
    const bytes = (await Promise.all(files.flat().filter(Boolean).map((f) => stat(f.path).then((s) => s.size, () => 0)))).reduce((a, b) => a + b, 0);
    report.datasets.push({ name: rec.name, id: rec.id, copiedRanks: copied.sort((a, b) => a - b), rebuiltRanks: rebuilt, bytes, seconds: (performance.now() - t0) / 1000 });
    say(`scavenged ${rec.name}: copied rank(s) ${copied.sort((a, b) => a - b).join(',') || 'none'}${rebuilt.length ? `, rebuilt rank(s) ${rebuilt.join(',')}` : ''}; on the file system and in the index`);
  }
  return report;
}
