// The MPI runtime as seen from JavaScript: init/finalize, the world and self communicators,
// and the safety nets (finalize at exit, abort the job when one rank dies of an exception).
import type { MpiFlavour } from '../native/paths.js';
import { loadMpiAddon, type MpiAddon } from '../native/mpi-addon.js';
import { Comm, type MpiConstants } from './comm.js';
import { MpiError } from './errors.js';
import { abortWithMessage, pauseForOutput } from './fatal.js';
import { chooseFlavour, detectLauncher, launcherRank } from './launcher.js';
import { assertMainThread } from './main-thread.js';
import { type InitOptions, isUsable, providedTooLowMessage, requestedLevel, type UsableThreadLevel } from './thread-level.js';

export type { InitOptions, ThreadLevel, UsableThreadLevel } from './thread-level.js';

/** UCX (MPICH's ch4:ucx device on Debian) patches mmap/munmap/brk to track memory for its
 * registration cache; in a Node process this crashed V8's garbage collector now and then
 * (docs/building.md#mpich-and-ucx). Turned off unless the user chose otherwise. Must run before
 * the addon (and so libucm) is loaded. */
function avoidUcxMemoryHooks(): void {
  process.env.UCX_MEM_EVENTS ??= 'no';
  process.env.UCX_MEM_MALLOC_HOOKS ??= 'no';
}

/** One per process, because MPI itself is one per process. */
export class Mpi {
  #native: MpiAddon | null = null;
  #flavour: MpiFlavour | null = null;
  #level: UsableThreadLevel | null = null;
  #world: Comm | null = null;
  #self: Comm | null = null;
  #k: MpiConstants | null = null;

  /** Initialises MPI at thread level MULTIPLE (or `options.threadLevel`: 'SERIALIZED' or
   * 'MULTIPLE') and returns the level provided. Calling it again returns the same level. Levels
   * below SERIALIZED are refused: asked for, with an Error before MPI starts; provided by MPI, by
   * aborting the job with a message. Main thread only. */
  init(options?: InitOptions): UsableThreadLevel {
    assertMainThread('mpi.init()');
    const requested = requestedLevel(options);
    if (this.#level) return this.#level;
    // Read before MPI_Init: Open MPI's singleton init adds PMIX_RANK to the environment.
    const launcher = detectLauncher();
    const rankByLauncher = launcherRank();
    const flavour = chooseFlavour();
    if (flavour === 'mpich') avoidUcxMemoryHooks();
    const native = loadMpiAddon(flavour);
    native.setErrorClass(MpiError);
    const level = native.init(requested);
    if (!isUsable(level)) {
      // The binding started nothing; MPI is up, so end the job rather than leave others waiting.
      abortWithMessage(native.worldRank(), providedTooLowMessage(requested, level), (c) => native.abort(c));
    }
    this.#native = native;
    this.#flavour = flavour;
    this.#k = native.constants();
    this.#world = new Comm(native, 0, this.#k);
    this.#self = new Comm(native, 1, this.#k);
    this.#level = level;
    if (launcher.size !== null && launcher.size !== this.#world.size) {
      // Each rank is probably a singleton: abort (no rank may wait for the others) after saying why.
      const msg = `mpi.init(): the launcher started ${launcher.size} ranks (${launcher.evidence}) but MPI sees ` +
        `${this.#world.size}: the binding was loaded for ${flavour}, which does not match how the job was launched. ` +
        `Launch with ${flavour}'s mpirun (or srun --mpi=${flavour === 'openmpi' ? 'pmix' : 'pmi2'}), or set SCR_MPI to the MPI that launched it. Aborting.`;
      abortWithMessage(rankByLauncher ?? this.#world.rank, msg, (c) => native.abort(c));
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
      // An error every rank threw alike (e.g. scr.init()'s configuration error, agreed across the
      // ranks) needs no abort: rank 0 says it once, without a stack, and every rank finalizes.
      const agreed = err as { allRanks?: unknown; exitCode?: unknown; report?: unknown };
      if (agreed?.allRanks === true && state.pending === 0) {
        const text = typeof agreed.report === 'string' ? agreed.report : String(err.message);
        if (this.#world!.rank === 0) process.stderr.write(`${text.split('\n').map((l) => `scr: ${l}`).join('\n')}\n`);
        native.finalize();
        process.exit(typeof agreed.exitCode === 'number' ? agreed.exitCode : 1);
      }
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
    assertMainThread(`mpi.${call}`);
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
    assertMainThread('mpi.abort()');
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

  get threadLevel(): UsableThreadLevel | null {
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
