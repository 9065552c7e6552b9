// The resource managers: every module under src/rm/managers/ (each exports `manager`), found by
// listing that directory, so adding a manager is adding one file. Detection asks them in their
// `order`; SCR_RESOURCE_MANAGER names one (or `none`) instead.
import { readdirSync } from 'node:fs';
import type { ResolvedConfig } from '../config/resolve.js';
import type { ManagerModule, ResourceManager } from './types.js';

const DIR = new URL('./managers/', import.meta.url);

let loaded: Promise<ManagerModule[]> | undefined;

export class NoManagerError extends Error {
  readonly code = 'ERR_SCR_RM';
}

/** Every manager module, in detection order. */
export function managers(): Promise<ManagerModule[]> {
  loaded ??= (async () => {
    const files = readdirSync(DIR).filter((f) => f.endsWith('.js')).sort();
    const mods = await Promise.all(files.map(async (f) => {
      const m = (await import(new URL(f, DIR).href)) as { manager?: ManagerModule };
      if (!m.manager) throw new Error(`src/rm/managers/${f} exports no manager`);
      return m.manager;
    }));
    return mods.sort((a, b) => a.order - b.order || a.name.localeCompare(b.name));
  })();
  return loaded;
}

/** The manager module called `name`. */
export async function managerNamed(name: string): Promise<ManagerModule | undefined> {
  return (await managers()).find((m) => m.name === name);
}

/** The allocation this process runs in: SCR_RESOURCE_MANAGER's choice, else the first manager
 * whose variables are set; null outside any (commands then work on this node alone, or say that
 * they need an allocation). */
export async function detectRM(env: NodeJS.ProcessEnv, cfg: ResolvedConfig): Promise<ResourceManager | null> {
  const all = await managers();
  const forced = cfg.optStr('SCR_RESOURCE_MANAGER');
  if (forced === 'none') return null;
  if (forced) {
    const m = all.find((x) => x.name === forced);
    if (!m) throw new NoManagerError(`SCR_RESOURCE_MANAGER=${forced}: no such resource manager; known: ${all.map((x) => x.name).join(', ')}, none`);
    return m.create(env, cfg);
  }
  const m = all.find((x) => x.detect(env, cfg));
  return m ? m.create(env, cfg) : null;
}

/** What is missing outside an allocation, for messages: Slurm's variables first (as the commands
 * always said), then every other manager's. */
export async function allocationHint(): Promise<string> {
  const all = await managers();
  const slurm = all.find((m) => m.name === 'slurm');
  const others = all.filter((m) => m !== slurm).map((m) => `${m.title}: ${m.needs}`).join('; ');
  return `${slurm ? `${slurm.needs} are not set` : 'no resource manager\'s variables are set'}${others ? `, nor those of another resource manager (${others})` : ''}`;
}
