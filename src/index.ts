// Public API of the `scr` package.
export { mpi, Comm, MpiError, Request } from './mpi/index.js';
export type { Status, ReduceOp, Reducible, NumericArray, ThreadLevel, GatherOptions } from './mpi/index.js';
export { version } from './version.js';
