// Scavenge (SPEC §6, `scr postrun`): after the job, drain to the file system what it left only
// in cache, without MPI. First, flushes the job copied but did not record are completed from
// their markers. Then output datasets not yet flushed (oldest first) and the newest checkpoint
// not on the file system are copied from every live node's cache (nodes in parallel), with CRC
// checks; their redundancy files go to <prefix>/.scr/scr.dataset.<id>/ too, so the files of ranks
// whose node is gone are rebuilt offline (src/pfs/build.ts). The index then says flushed and the
// checkpoint becomes current.
// The nodes' caches are reached through a NodeAccess: here, in this process (the simulated cluster,
// or caches on shared storage), or on each node by the resource manager (src/rm/remote-scavenge.ts,
// which runs `scr postrun --this-node` there). Either way a rank is copied by one node only.
import { copyFile, mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheIndexPath, datasetDir, type Identity, nodeDir, redDataPath, redMetaPath } from '../cache/paths.js';
import { type DatasetRecord, type FileEntry, readCacheIndex, readFilemap } from '../cache/records.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { buildDataset, pfsRedDataPath, pfsRedMetaPath } from '../pfs/build.js';
import { pfsDatasetDir, readIndex, updateIndex } from '../pfs/index.js';
import { commitStaged, completeFlushes, indexEntryOf, stageFile } from '../pfs/commit.js';
import { existsSync } from 'node:fs';

export interface ScavengeReport {
  completedFromMarkers: string[];
  datasets: Array<{ name: string; id: number; copiedRanks: number[]; rebuiltRanks: number[]; bytes: number; seconds: number }>;
  skipped: string[];
}

/** One dataset as a node's cache holds it: its record and the ranks whose file maps are there. */
export interface NodeDataset {
  rec: DatasetRecord;
  ranks: number[];
}

/** What copying one node's share of a dataset did. */
export interface NodeCopy {
  ranks: Array<{ rank: number; files: FileEntry[] }>;
  warnings: string[];
}

/** How scavenge reaches the nodes' caches. A node that cannot be reached is left out with a
 * warning (its ranks are then rebuilt from redundancy, if the others hold enough). */
export interface NodeAccess {
  list(nodes: string[]): Promise<{ byNode: Map<string, NodeDataset[]>; warnings: string[] }>;
  /** Copies the given ranks of dataset `id` from each node to the file system; `nodeDone` is
   * called as each node finishes. */
  copy(work: Map<string, number[]>, id: number, nodeDone?: (node: string) => void): Promise<{ byNode: Map<string, NodeCopy>; warnings: string[] }>;
}

/** A progress display for the copies (a bar on a terminal): one step per node. */
export interface ScavengeProgress {
  start(dataset: string, nodes: number): void;
  step(): void;
  stop(): void;
}

/** The records of the complete datasets of this prefix node `id.node`'s cache index lists
 * (a dataset of another prefix under the same job id is not ours to drain; one whose background
 * encode never finished, SCR_ENCODE_ASYNC=1, is not protected and has no CRC32s: not drained). */
async function completeRecords(cfg: ResolvedConfig, id: Identity): Promise<DatasetRecord[]> {
  const cntl = nodeDir(cfg.str('SCR_CNTL_BASE'), id);
  if (!existsSync(cacheIndexPath(cntl))) return [];
  const prefix = cfg.str('SCR_PREFIX');
  return Object.values((await readCacheIndex(cntl)).datasets).filter((rec) => rec.complete && rec.protected !== false && (rec.prefix === undefined || rec.prefix === prefix));
}

/** The complete datasets node `id.node`'s cache index lists, with the ranks it holds of each. */
export async function listNode(cfg: ResolvedConfig, id: Identity): Promise<NodeDataset[]> {
  const out: NodeDataset[] = [];
  for (const rec of await completeRecords(cfg, id)) out.push({ rec, ranks: await ranksOn(datasetDir(rec.store, id, rec.id)) });
  return out;
}

/** Copies `ranks` of dataset `datasetId` from node `id.node`'s cache to the file system: their
 * files (CRC-checked) and their redundancy files (to <prefix>/.scr/scr.dataset.<id>/). */
export async function copyNode(cfg: ResolvedConfig, id: Identity, datasetId: number, ranks: number[]): Promise<NodeCopy> {
  const out: NodeCopy = { ranks: [], warnings: [] };
  const rec = (await completeRecords(cfg, id)).find((r) => r.id === datasetId);
  if (!rec) { out.warnings.push(`node ${id.node}: dataset ${datasetId} is not in its cache index`); return out; }
  const prefix = cfg.str('SCR_PREFIX');
  const dir = datasetDir(rec.store, id, rec.id);
  await mkdir(pfsDatasetDir(prefix, rec.id), { recursive: true, mode: 0o700 });
  for (const rank of ranks) {
    try {
      const files = await copyRank(dir, rank, rec, cfg.int('SCR_FILE_BUF_SIZE'));
      for (const [from, to] of [[redMetaPath(dir, rank), pfsRedMetaPath(prefix, rec.id, rank)], [redDataPath(dir, rank), pfsRedDataPath(prefix, rec.id, rank)]] as const) {
        if (existsSync(from)) await copyFile(from, to);
      }
      out.ranks.push({ rank, files });
    } catch (e) {
      out.warnings.push(`node ${id.node}: rank ${rank} of ${rec.name}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** Access to every node's cache from this process. */
export function localAccess(cfg: ResolvedConfig, ident: Omit<Identity, 'node'>): NodeAccess {
  return {
    async list(nodes) {
      const byNode = new Map<string, NodeDataset[]>();
      const warnings: string[] = [];
      await Promise.all(nodes.map(async (node) => {
        try { byNode.set(node, await listNode(cfg, { ...ident, node })); } catch (e) { warnings.push(`node ${node}: cannot read its cache index: ${(e as Error).message}`); }
      }));
      return { byNode, warnings };
    },
    async copy(work, id, nodeDone) {
      const byNode = new Map<string, NodeCopy>();
      await Promise.all([...work].map(async ([node, ranks]) => { byNode.set(node, await copyNode(cfg, { ...ident, node }, id, ranks)); nodeDone?.(node); }));
      return { byNode, warnings: [] };
    },
  };
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
    const crc = await stageFile(dir, f, rec.id, bufSize);
    if (f.crc !== null && crc !== f.crc) throw new Error(`${join(dir, f.name)}: CRC32 ${crc.toString(16)}, expected ${f.crc.toString(16)} (damaged in cache)`);
  }
  return map.files;
}

export async function scavenge(cfg: ResolvedConfig, ident: Omit<Identity, 'node'>, nodes: string[], say: (s: string) => void,
  access: NodeAccess = localAccess(cfg, ident), progress?: ScavengeProgress): Promise<ScavengeReport> {
  const prefix = cfg.str('SCR_PREFIX');
  const report: ScavengeReport = { completedFromMarkers: [], datasets: [], skipped: [] };
  const done = await completeFlushes(prefix, cfg.int('SCR_PREFIX_SIZE'), (m) => say(`warning: ${m}`));
  report.completedFromMarkers = done.completed;
  for (const line of done.abandoned) say(`warning: ${line}`);
  for (const n of report.completedFromMarkers) say(`completed the flush of ${n} from its markers`);

  // What every live node's cache holds.
  const listed = await access.list(nodes);
  for (const w of listed.warnings) say(`warning: ${w}`);
  const known = new Map<number, DatasetRecord>();
  for (const node of nodes) for (const d of listed.byNode.get(node) ?? []) if (!known.has(d.rec.id)) known.set(d.rec.id, d.rec);
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
    // Each rank from the first node (in node order) that holds it: no file is copied twice.
    const work = new Map<string, number[]>();
    const taken = new Set<number>();
    for (const node of nodes) {
      const ranks = (listed.byNode.get(node) ?? []).find((d) => d.rec.id === rec.id)?.ranks.filter((r) => !taken.has(r)) ?? [];
      for (const r of ranks) taken.add(r);
      if (ranks.length) work.set(node, ranks);
    }
    progress?.start(rec.name, work.size);
    const done = await access.copy(work, rec.id, () => progress?.step()).finally(() => progress?.stop());
    for (const w of done.warnings) say(`warning: ${w}`);
    const files: FileEntry[][] = new Array(rec.ranks);
    const copied: number[] = [];
    for (const c of done.byNode.values()) {
      for (const w of c.warnings) say(`warning: ${w}`);
      for (const { rank, files: f } of c.ranks) { files[rank] = f; copied.push(rank); }
    }
    const missing = Array.from({ length: rec.ranks }, (_, r) => r).filter((r) => !files[r]);
    let rebuilt: number[] = [];
    try {
      if (missing.length) {
        say(`${rec.name}: the files of rank(s) ${missing.join(',')} are on no live node; rebuilding them from redundancy`);
        const b = await buildDataset(prefix, rec.id, { prefixSize: cfg.int('SCR_PREFIX_SIZE') });
        rebuilt = b.rebuilt.map((x) => x.rank);
        if (rec.flags.checkpoint) {
          await updateIndex(prefix, (idx) => {
            const cur = idx.current ? Object.values(idx.datasets).find((x) => x.name === idx.current) : undefined;
            if (!cur || cur.id <= rec.id) idx.current = rec.name;
          });
        }
      } else {
        if (!(await commitStaged(prefix, indexEntryOf(rec, { flushedAt: Date.now() }), files, cfg.int('SCR_PREFIX_SIZE'), (m) => say(`warning: ${m}`)))) {
          throw new Error('a newer dataset was flushed to the same paths since; this one was not put in place');
        }
      }
    } catch (e) {
      report.skipped.push(`${rec.name}: ${(e as Error).message}`);
      say(`could not scavenge ${rec.name}: ${(e as Error).message}`);
      continue;
    }
    const bytes = (await Promise.all(files.flat().filter(Boolean).map((f) => stat(f.path).then((st) => st.size, () => 0)))).reduce((a, b) => a + b, 0);
    report.datasets.push({ name: rec.name, id: rec.id, copiedRanks: copied.sort((a, b) => a - b), rebuiltRanks: rebuilt, bytes, seconds: (performance.now() - t0) / 1000 });
    say(`scavenged ${rec.name}: copied rank(s) ${copied.join(',') || 'none'}${rebuilt.length ? `, rebuilt rank(s) ${rebuilt.join(',')}` : ''}; on the file system and in the index`);
  }
  return report;
}
