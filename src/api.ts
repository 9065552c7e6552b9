// The checkpoint API (SPEC §2), as functions over the process's one library instance.
import { beginInit, endInit, type InitStats, lastInitStats } from './scr/init-stats.js';
import type { RestoreTiming } from './scr/restore.js';
import { ScrLibrary, FLAG_CHECKPOINT, FLAG_NONE, FLAG_OUTPUT, type InitOptions, type OutputStats } from './scr/library.js';
import { version } from './version.js';

const lib = new ScrLibrary();

export { FLAG_CHECKPOINT, FLAG_NONE, FLAG_OUTPUT, version };
export type { InitOptions, InitStats, OutputStats, RestoreTiming };

/** SCR_Config: before init, `KEY=VALUE` sets, `KEY=` unsets; `KEY` queries (any time). Sync. */
export function config(text: string): string | null { return lib.config(text); }
/** SCR_Init: collective; initialises MPI if needed, reads the configuration, rebuilds the cache. */
export function init(opts?: InitOptions): Promise<void> {
  return lib.track(async () => {
    beginInit('MPI start, arguments and configuration');
    try { await lib.init(opts); } finally { endInit(); }
  }, 'init');
}
/** SCR_Finalize: collective. */
export function finalize(): Promise<void> { return lib.track(() => lib.finalize(), 'finalize'); }
/** SCR_Need_checkpoint: collective. */
export function needCheckpoint(): Promise<boolean> { return lib.track(() => lib.needCheckpoint(), 'needCheckpoint'); }
/** SCR_Should_exit: collective; never exits the process. */
export function shouldExit(): Promise<boolean> { return lib.track(() => lib.shouldExit(), 'shouldExit'); }
/** SCR_Start_output: collective; name (null for scr.dataset.<id>) and flags must agree on all ranks. */
export function startOutput(name: string | null | undefined, flags: number): Promise<void> { return lib.track(() => lib.startOutput(name, flags), 'startOutput'); }
/** SCR_Route_file: local, sync. */
export function routeFile(path: string): string { return lib.routeFile(path); }
/** SCR_Complete_output: collective; resolves to whether every rank's part was valid. */
export function completeOutput(valid: boolean): Promise<boolean> { return lib.track(() => lib.completeOutput(valid), 'completeOutput'); }
/** Legacy SCR_Start_checkpoint: startOutput(null, FLAG_CHECKPOINT). */
export function startCheckpoint(): Promise<void> { return lib.track(() => lib.startCheckpoint(), 'startCheckpoint'); }
/** Legacy SCR_Complete_checkpoint. */
export function completeCheckpoint(valid: boolean): Promise<boolean> { return lib.track(() => lib.completeCheckpoint(valid), 'completeCheckpoint'); }
/** SCR_Have_restart: collective; the name of the checkpoint to restart from, or null. */
export function haveRestart(): Promise<string | null> { return lib.track(() => lib.haveRestart(), 'haveRestart'); }
/** SCR_Start_restart: collective; after haveRestart found one. */
export function startRestart(): Promise<string> { return lib.track(() => lib.startRestart(), 'startRestart'); }
/** SCR_Complete_restart: collective; false on any rank marks the checkpoint failed. */
export function completeRestart(valid: boolean): Promise<boolean> { return lib.track(() => lib.completeRestart(valid), 'completeRestart'); }
/** SCR_Current: collective; the checkpoint to restart from. */
export function current(name: string): Promise<void> { return lib.track(() => lib.current(name), 'current'); }
/** SCR_Drop: collective; forgets a dataset (index and cache), its files on the file system stay. */
export function drop(name: string): Promise<void> { return lib.track(() => lib.drop(name), 'drop'); }
/** SCR_Delete: collective; deletes a dataset from cache, file system and index. `delete` is a
 * reserved word: also reachable as `scr.delete`. */
export function deleteDataset(name: string): Promise<void> { return lib.track(() => lib.deleteDataset(name), 'deleteDataset'); }
export { deleteDataset as delete };
/** What the last init() moved and rebuilt, per dataset, with the seconds it took. */
export function restoreStats(): RestoreTiming[] { return lib.restoreStats; }
/** Where the time of this rank's last init() went, by phase (null before the first init ended). */
export function initStats(): InitStats | null { return lastInitStats(); }
/** Timings of this rank's last completed output phase (for benchmarks). */
export function lastOutputStats(): OutputStats | null { return lib.lastOutputStats; }
