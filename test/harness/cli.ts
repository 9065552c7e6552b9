// Runs the built `scr` CLI as a user would, in a given directory and environment.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCR_BIN = join(fileURLToPath(import.meta.url), '..', '..', '..', 'src', 'cli', 'main.js');

export interface CliResult { code: number | null; stdout: string; stderr: string }

/** A resource manager's variables: a test's commands must not find an allocation the test process
 * happens to run in. */
const RM_VAR = /^(SLURM_|PBS_|LSB_|LSF_|FLUX_|SGE_|PE_HOSTFILE$|JOB_ID$|COBALT_)/;

/** A clean environment: no SCR_* from the caller, no resource manager's variables, and no system
 * file unless the test gives one. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SCR_') && !k.startsWith('SCRTEST_') && !RM_VAR.test(k)) env[k] = v;
  return { ...env, ...extra };
}

export function scr(args: string[], opts: { cwd?: string; env?: Record<string, string>; bin?: string } = {}): CliResult {
  const r = spawnSync(process.execPath, [opts.bin ?? SCR_BIN, ...args], { cwd: opts.cwd, env: opts.env ?? cleanEnv(), encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function tempDir(tag: string): string {
  return mkdtempSync(join(tmpdir(), `scr-${tag}-`));
}
