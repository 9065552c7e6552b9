// Where things live (SPEC §4). Node-local paths carry a node.<name> component, so several
// simulated or fake-Slurm nodes can share one machine's /dev/shm and losing a node is losing
// its node.<name> directories.
//   control dir:  <SCR_CNTL_BASE>/<user>/scr.<jobid>/node.<name>/
//   cache dir:    <store>/<user>/scr.<jobid>/node.<name>/scr.dataset.<id>/   (files by basename)
//                 <cache dir>/.scr/                                           (file maps, redundancy)
//   prefix:       <SCR_PREFIX>/.scr/                                         (index, halt, log, …)
import { join } from 'node:path';

export interface Identity {
  user: string;
  jobId: string;
  node: string;
}

export function jobDir(base: string, id: Identity): string {
  return join(base, id.user, `scr.${id.jobId}`);
}

export function nodeDir(base: string, id: Identity, node: string = id.node): string {
  return join(jobDir(base, id), `node.${node}`);
}

export function controlDir(cntlBase: string, id: Identity): string {
  return nodeDir(cntlBase, id);
}

export const DATASET_DIR_PREFIX = 'scr.dataset.';

export function datasetDir(store: string, id: Identity, dataset: number, node: string = id.node): string {
  return join(nodeDir(store, id, node), `${DATASET_DIR_PREFIX}${dataset}`);
}

/** The hidden metadata directory of a cached dataset. */
export function datasetMetaDir(dsDir: string): string {
  return join(dsDir, '.scr');
}

export function filemapPath(dsDir: string, rank: number): string {
  return join(datasetMetaDir(dsDir), `filemap.${rank}.scr`);
}

export function redMetaPath(dsDir: string, rank: number): string {
  return join(datasetMetaDir(dsDir), `red.${rank}.scr`);
}

export function redDataPath(dsDir: string, rank: number): string {
  return join(datasetMetaDir(dsDir), `red.${rank}.dat`);
}

export function cacheIndexPath(cntlDir: string): string {
  return join(cntlDir, 'cindex.scr');
}

export function prefixScrDir(prefix: string): string {
  return join(prefix, '.scr');
}

export function appConfPath(prefix: string): string {
  return join(prefixScrDir(prefix), 'app.conf');
}
