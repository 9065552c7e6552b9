// The MPI runtime as seen from JavaScript: init/finalize, the world and self communicators,
// and the safety nets (finalize at exit, abort the job when one rank dies of an exception).
import type { MpiFlavour } from '../native/paths.js';
import { loadMpiAddon, type MpiAddon } from '../native/mpi-addon.js';
import { Comm, type MpiConstants } from './comm.js';
import { MpiError } from './errors.js';
import { chooseFlavour, detectLauncher } from './launcher.js';

export type ThreadLevel = 'SINGLE' | 'FUNNELED' | 'SERIALIZED' | 'MULTIPLE';

/** UCX (MPICH's ch4:ucx device on Debian) patches mmap/munmap/brk to track memory for its
 * registration cache; in a Node process this crashed V8's garbage collector now and then
 * (docs/building.md#mpich-and-ucx). Turned off unless the user chose otherwise. Must run before
 * the addon (and so libucm) is loaded. */
function avoidUcxMemoryHooks(): void {
  process.env.UCX_MEM_EVENTS ??= 'no';
  process.env.UCX_MEM_MALLOC_HOOKS ??= 'no';
}

/** Gives the launcher a moment to forward what this rank just wrote before MPI_Abort tears the
 * job down (MPICH's Hydra sometimes lost the message naming the failing rank). Failure paths only. */
function pauseForOutput(ms = 100): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** One per process, because MPI itself is one per process. */
export class Mpi {
  #native: MpiAddon | null = null;
  #flavour: MpiFlavour | null = null;
  #level: ThreadLevel | null = null;
  #world: Comm | null = null;
  #self: Comm | null = null;
  #k: MpiConstants | null = null;

  /** Initialises MPI (thread level MULTIPLE when the MPI provides it) and returns the level
   * provided. Calling it again returns the same level. */
  init(): ThreadLevel {
    if (this.#level) return this.#level;
    const flavour = chooseFlavour();
    if (flavour === 'mpich') avoidUcxMemoryHooks();
    const native = loadMpiAddon(flavour);
    native.setErrorClass(MpiError);
    const level = native.init() as ThreadLevel;
    this.#native = native;
    this.#flavour = flavour;
    this.#k = native.constants();
    this.#world = new Comm(native, 0, this.#k);
    this.#self = new Comm(native, 1, this.#k);
    this.#level = level;
    const launcher = detectLauncher();
    if (launcher.size !== null && launcher.size !== this.#world.size) {
      const msg = `mpi.init(): the launcher started ${launcher.size} ranks (${launcher.evidence}) but MPI sees ` +
        `${this.#world.size}: the binding was loaded for ${flavour}, which does not match how the job was launched. ` +
        `Launch with ${flavour}'s mpirun, or set SCR_MPI to the MPI that launched it.`;
      native.abort(1);
      throw new Error(msg);
    }
    this.#installSafetyNets(native);
    return level;
  }

  #installSafetyNets(native: MpiAddon): void {
    // A rank that dies of an uncaught exception would leave the others blocked in collectives:
    // say which rank failed, then abort the whole job.
    process.on('uncaughtExceptionMonitor', (err, origin) => {
      const state = native.state();
      if (!state.initialized || state.finalized) return;
      const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
      process.stderr.write(`[rank ${this.#world!.rank}] ${origin}: ${stack}\nscr: aborting the MPI job because rank ${this.#world!.rank} failed\n`);
      pauseForOutput();
      native.abort(1);
    });
    process.on('exit', (code) => {
      const state = native.state();
      if (!state.initialized || state.finalized) return;
      if (code === 0 && state.pending === 0) {
        native.finalize();
      } else {
        process.stderr.write(`[rank ${this.#world!.rank}] exiting with code ${code}` +
          (state.pending ? ` and ${state.pending} MPI operation(s) pending` : '') + `: aborting the MPI job\n`);
        pauseForOutput();
        native.abort(code || 1);
      }
    });
  }

  #need(call: string): MpiAddon {
    if (!this.#native) throw new Error(`mpi.${call}: call mpi.init() first`);
    return this.#native;
  }

  get initialized(): boolean {
    return this.#native !== null && this.#native.state().initialized;
  }

  get finalized(): boolean {
    return this.#native !== null && this.#native.state().finalized;
  }

  /** Finalizes MPI. Pending operations must have completed. Also done automatically at exit. */
  finalize(): void {
    this.#native?.finalize();
  }

  /** Ends every rank of the job with `code`. */
  abort(code = 1): never {
    if (!this.#native) process.exit(code);
    return this.#native.abort(code);
  }

  get world(): Comm {
    this.#need('world');
    return this.#world!;
  }

  get self(): Comm {
    this.#need('self');
    return this.#self!;
  }

  /** Which MPI the loaded binding was built for. */
  get flavour(): MpiFlavour | null {
    return this.#flavour;
  }

  get threadLevel(): ThreadLevel | null {
    return this.#level;
  }

  get ANY_SOURCE(): number {
    return this.#need('ANY_SOURCE').constants().ANY_SOURCE;
  }

  get ANY_TAG(): number {
    return this.#need('ANY_TAG').constants().ANY_TAG;
  }

  wtime(): number {
    return this.#need('wtime').wtime();
  }

  processorName(): string {
    return this.#need('processorName').processorName();
  }

  libraryVersion(): string {
    return this.#need('libraryVersion').libraryVersion();
  }
}
