// The allocation a command runs in, for the commands: the detected resource manager (src/rm/
// registry.ts), with its errors as usage errors that say what to set.
import type { ResolvedConfig } from '../config/resolve.js';
import { allocationHint, detectRM } from '../rm/registry.js';
import type { ResourceManager } from '../rm/types.js';
import { UserError } from './errors.js';

/** The detected resource manager, or null outside any. */
export async function allocation(env: NodeJS.ProcessEnv, cfg: ResolvedConfig): Promise<ResourceManager | null> {
  try {
    return await detectRM(env, cfg);
  } catch (e) {
    throw new UserError((e as Error).message, { exitCode: 2 });
  }
}

/** The detected resource manager; a usage error (`lead`, then what each manager sets) when there is none. */
export async function requireAllocation(lead: string, env: NodeJS.ProcessEnv, cfg: ResolvedConfig, hint: string): Promise<ResourceManager> {
  const rm = await allocation(env, cfg);
  if (rm) return rm;
  throw new UserError(`${lead}: ${await allocationHint()}`, { exitCode: 2, hint });
}
