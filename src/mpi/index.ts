// The MPI binding, exported by the package as `mpi`.
import { Mpi } from './runtime.js';

export { Comm, type GatherOptions } from './comm.js';
export { MpiError } from './errors.js';
export { Request, type Status } from './request.js';
export type { ReduceOp, Reducible, NumericArray } from './datatypes.js';
export type { InitOptions, ThreadLevel, UsableThreadLevel } from './runtime.js';
export { Mpi };

/** The process's MPI: `mpi.init()`, `mpi.world`, … */
export const mpi = new Mpi();
