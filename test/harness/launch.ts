// Runs a program under mpirun for tests (Open MPI or MPICH), with the settings this machine
// needs, a hard time limit, and captured output.
import { spawn } from 'node:child_process';
import type { MpiFlavour } from '../../src/native/paths.js';
import { builtFlavours } from '../../src/native/paths.js';
import { killByEnv } from '../../src/rm/sim.js';

export interface RunResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean }

/** The launcher command for a flavour and the environment it needs here (root, 2 cores). */
export function mpirunFor(flavour: MpiFlavour): { cmd: string; env: Record<string, string> } {
  if (flavour === 'openmpi') {
    return {
      cmd: 'mpirun.openmpi',
      env: { OMPI_ALLOW_RUN_AS_ROOT: '1', OMPI_ALLOW_RUN_AS_ROOT_CONFIRM: '1', OMPI_MCA_rmaps_base_oversubscribe: '1' },
    };
  }
  return { cmd: 'mpirun.mpich', env: {} };
}

export function flavoursBuilt(): MpiFlavour[] {
  return builtFlavours();
}

export function runMpi(flavour: MpiFlavour, np: number, argv: string[], opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<RunResult> {
  const { cmd, env } = mpirunFor(flavour);
  return runProcess(cmd, ['-np', String(np), ...argv], { env: { ...env, ...opts.env }, timeoutMs: opts.timeoutMs });
}

export function runProcess(cmd: string, args: string[], opts: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...opts.env }, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid!, 'SIGKILL'); } catch { /* already gone */ }
      // Ranks are not all in mpirun's process group: a job's are found by their SCR_JOB_ID.
      if (opts.env?.SCR_JOB_ID) killByEnv([`SCR_JOB_ID=${opts.env.SCR_JOB_ID}`]);
    }, opts.timeoutMs ?? 60_000);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr, timedOut }); });
  });
}
