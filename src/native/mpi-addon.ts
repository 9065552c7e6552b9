// Loads scr_mpi.node for one MPI flavour. Only src/mpi/ may import this: commands never load MPI.
import { createRequire } from 'node:module';
import { type MpiFlavour, mpiModulePath } from './paths.js';

const require = createRequire(import.meta.url);

type Buf = ArrayBufferView;
type MaybeBuf = ArrayBufferView | null;
export interface NativeStatus { source: number; tag: number; count: number }

/** What scr_mpi.node exports (native/mpi/addon.cc); arguments are validated by src/mpi first. */
export interface MpiAddon {
  /** Initialises MPI asking for `threadLevel` (default MULTIPLE; below SERIALIZED throws) and returns
   * the level provided; below SERIALIZED it starts nothing (no communicators, no threads). */
  init(threadLevel?: string): string;
  finalize(): void;
  abort(code: number): never;
  /** `pending`: operations whose Promise has not settled; `blocking`: split/dup/free handed to the
   * helper thread that it has not finished. */
  state(): { initialized: boolean; finalized: boolean; pending: number; blocking: number };
  wtime(): number;
  processorName(): string;
  libraryVersion(): string;
  setErrorClass(ctor: new (message: string, errorClass: string, errorCode: number) => Error): void;
  worldRank(): number;
  commRank(comm: number): number;
  commSize(comm: number): number;
  constants(): { ANY_SOURCE: number; ANY_TAG: number; UNDEFINED: number; TAG_UB: number };
  barrier(comm: number): Promise<void>;
  bcast(comm: number, buf: Buf, root: number): Promise<void>;
  reduce(comm: number, send: Buf, recv: MaybeBuf, dtype: string, op: string, root: number): Promise<void>;
  allreduce(comm: number, send: Buf, recv: Buf, dtype: string, op: string): Promise<void>;
  allreduceSync(comm: number, send: Buf, recv: Buf, dtype: string, op: string): void;
  gather(comm: number, send: Buf, recv: MaybeBuf, root: number): Promise<void>;
  gatherv(comm: number, send: Buf, recv: MaybeBuf, counts: Int32Array | null, displs: Int32Array | null, root: number): Promise<void>;
  allgather(comm: number, send: Buf, recv: Buf): Promise<void>;
  allgatherv(comm: number, send: Buf, recv: Buf, counts: Int32Array, displs: Int32Array): Promise<void>;
  scatter(comm: number, send: MaybeBuf, recv: Buf, root: number): Promise<void>;
  scatterv(comm: number, send: MaybeBuf, counts: Int32Array | null, displs: Int32Array | null, recv: Buf, root: number): Promise<void>;
  alltoall(comm: number, send: Buf, recv: Buf, blockBytes: number): Promise<void>;
  alltoallv(comm: number, send: Buf, sc: Int32Array, sd: Int32Array, recv: Buf, rc: Int32Array, rd: Int32Array): Promise<void>;
  isend(comm: number, buf: Buf, dest: number, tag: number): Promise<void>;
  irecv(comm: number, buf: Buf, source: number, tag: number): Promise<NativeStatus>;
  sendrecv(comm: number, send: Buf, dest: number, sendTag: number, recv: Buf, source: number, recvTag: number): Promise<NativeStatus>;
  split(comm: number, color: number, key: number): Promise<number>;
  dup(comm: number): Promise<number>;
  free(comm: number): Promise<void>;
}

export function loadMpiAddon(flavour: MpiFlavour): MpiAddon {
  return require(mpiModulePath(flavour)) as MpiAddon;
}
