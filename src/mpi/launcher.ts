// Which MPI launched this process, and which build of the binding must therefore be loaded.
// Loading the wrong one would not fail loudly: each rank would become a singleton.
import { builtFlavours, type MpiFlavour, MPI_FLAVOURS, nativeBuildCommand } from '../native/paths.js';

export interface LauncherInfo {
  /** The MPI whose launcher started us, or null when none is recognised (a singleton run). */
  flavour: MpiFlavour | null;
  /** How many ranks the launcher started, when it says. */
  size: number | null;
  /** The variable that told us, for messages. */
  evidence: string | null;
}

type Env = Record<string, string | undefined>;

function num(v: string | undefined): number | null {
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) && n > 0 ? n : null;
}

export function detectLauncher(env: Env = process.env): LauncherInfo {
  if (env.OMPI_COMM_WORLD_SIZE !== undefined) {
    return { flavour: 'openmpi', size: num(env.OMPI_COMM_WORLD_SIZE), evidence: 'OMPI_COMM_WORLD_SIZE (Open MPI mpirun)' };
  }
  if (env.PMIX_RANK !== undefined) {
    return { flavour: 'openmpi', size: num(env.SLURM_STEP_NUM_TASKS ?? env.SLURM_NTASKS), evidence: 'PMIX_RANK (PMIx, e.g. srun --mpi=pmix)' };
  }
  if (env.PMI_RANK !== undefined || env.PMI_FD !== undefined || env.PMI_PORT !== undefined) {
    return { flavour: 'mpich', size: num(env.PMI_SIZE ?? env.SLURM_STEP_NUM_TASKS), evidence: 'PMI_RANK/PMI_FD (MPICH Hydra or srun --mpi=pmi2)' };
  }
  if (env.SLURM_PROCID !== undefined) {
    return { flavour: null, size: num(env.SLURM_STEP_NUM_TASKS ?? env.SLURM_NTASKS), evidence: 'SLURM_PROCID (srun without an MPI plugin)' };
  }
  return { flavour: null, size: null, evidence: null };
}

/** This process's rank as the launcher numbers it, when it says (for messages that name a rank
 * even when MPI itself sees every process as rank 0 of a singleton). */
export function launcherRank(env: Env = process.env): number | null {
  for (const v of [env.OMPI_COMM_WORLD_RANK, env.PMIX_RANK, env.PMI_RANK, env.SLURM_PROCID]) {
    const n = v === undefined ? NaN : Number(v);
    if (Number.isInteger(n) && n >= 0) return n;
  }
  return null;
}

/** Picks the binding to load: SCR_MPI if set, else the launcher's, else the first one built. */
export function chooseFlavour(env: Env = process.env, built: MpiFlavour[] = builtFlavours()): MpiFlavour {
  const launcher = detectLauncher(env);
  const asked = env.SCR_MPI?.trim();
  let flavour: MpiFlavour;
  if (asked) {
    if (!(MPI_FLAVOURS as readonly string[]).includes(asked)) {
      throw new Error(`SCR_MPI=${asked} is not an MPI this binding knows: use one of ${MPI_FLAVOURS.join(', ')}`);
    }
    flavour = asked as MpiFlavour;
    if (launcher.flavour && launcher.flavour !== flavour) {
      throw new Error(`SCR_MPI=${flavour} but this process was launched by ${launcher.flavour} (${launcher.evidence}); ` +
        `ranks would start as unconnected singletons. Unset SCR_MPI or launch with ${flavour}'s mpirun.`);
    }
  } else if (launcher.flavour) {
    flavour = launcher.flavour;
  } else if (built.length > 0) {
    flavour = built[0]!;
  } else {
    throw new Error(`scr's MPI binding is not built: run '${nativeBuildCommand()}' (needs Open MPI or MPICH development files: ` +
      `Debian libopenmpi-dev openmpi-bin, or libmpich-dev mpich; or MPICC=/path/to/mpicc or MPI_HOME=/path/to/mpi for another MPI)`);
  }
  if (!built.includes(flavour)) {
    const how = flavour === 'openmpi' ? 'libopenmpi-dev openmpi-bin' : 'libmpich-dev mpich';
    throw new Error(`scr's MPI binding for ${flavour} is not built, but ${launcher.flavour === flavour ? `this process was launched by ${flavour} (${launcher.evidence})` : `SCR_MPI=${flavour}`}: ` +
      `install ${how} and run '${nativeBuildCommand() === 'npm run build:native' ? `node scripts/build-native.mjs --mpi ${flavour}` : nativeBuildCommand()}'` +
      (built.length ? ` (built: ${built.join(', ')})` : ''));
  }
  return flavour;
}
