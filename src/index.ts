// Public API of the `scr` package.
export { mpi, Comm, MpiError, Request } from './mpi/index.js';
export type { Status, ReduceOp, Reducible, NumericArray, ThreadLevel, GatherOptions } from './mpi/index.js';
export {
  config, init, finalize, needCheckpoint, shouldExit, startOutput, routeFile, completeOutput, startCheckpoint,
  completeCheckpoint, haveRestart, startRestart, completeRestart, current, drop, deleteDataset, delete, lastOutputStats, restoreStats, initStats, FLAG_NONE, FLAG_CHECKPOINT, FLAG_OUTPUT, version,
} from './api.js';
export type { InitOptions, InitStats, OutputStats, RestoreTiming } from './api.js';
export { ScrError, ScrStateError, ScrConfigError } from './scr/errors.js';
