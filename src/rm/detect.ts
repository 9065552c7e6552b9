// Which resource manager the commands are running under: Slurm when its job variables are set,
// otherwise none (commands then work on this node alone, or say that they need an allocation).
import type { ResolvedConfig } from '../config/resolve.js';
import { SlurmRM } from './slurm.js';
import type { ResourceManager } from './types.js';

export type AllocationRM = ResourceManager & { requeue?(): Promise<void> };

export function detectRM(env: NodeJS.ProcessEnv, cfg: ResolvedConfig): AllocationRM | null {
  if ((env.SLURM_JOB_ID || env.SLURM_JOBID) && (env.SLURM_JOB_NODELIST || env.SLURM_NODELIST)) {
    return new SlurmRM(env, cfg.optStr('SCR_REMOTE_EXEC') ?? undefined);
  }
  return null;
}
