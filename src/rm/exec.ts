// Runs a program and collects its output, with a time limit: what the adapters' exec() and the
// Slurm queries are built on. Argument arrays only, never a shell.
import { spawn } from 'node:child_process';

export interface Collected {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why it has no exit code: 'timeout', or the error that kept it from starting. */
  failure?: string;
}

export function collect(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Collected> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let failure: string | undefined;
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => { failure = `no answer in ${opts.timeoutMs / 1000} s`; child.kill('SIGKILL'); }, opts.timeoutMs);
    child.on('error', (e) => { failure = e.message; });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: failure ? null : code, stdout, stderr, ...(failure ? { failure } : {}) });
    });
  });
}
