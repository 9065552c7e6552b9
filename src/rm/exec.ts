// Runs a program and collects its output, with a time limit: what the adapters' exec() and the
// Slurm queries are built on. Argument arrays only, never a shell.
import { spawn } from 'node:child_process';
import { processTree } from './procs.js';
import type { NodeResult } from './types.js';

export interface Collected {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Why it has no exit code: 'timeout', or the error that kept it from starting. */
  failure?: string;
}

/** What a command run for `node` left: its code and output, with why it has no code in stderr. */
export function nodeResult(node: string, r: Collected): NodeResult {
  return { node, code: r.code, stdout: r.stdout, stderr: r.failure ? `${r.stderr}${r.failure}` : r.stderr };
}

/** The JSON a node-side command (`scr … --this-node`) printed as its last line, if it did. */
export function lastJsonLine<T>(stdout: string): T | undefined {
  try { return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T; } catch { return undefined; }
}

/** The last `lines` lines of a command's output, as one line for a message. */
export function tailOf(text: string, lines = 2): string {
  return text.trim().split('\n').slice(-lines).join(' ');
}

export function collect(cmd: string, args: readonly string[], opts: { env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Collected> {
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let failure: string | undefined;
    let settled = false;
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const settle = (code: number | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ code: failure ? null : code, stdout, stderr, ...(failure ? { failure } : {}) });
    };
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => {
      failure = `no answer in ${opts.timeoutMs / 1000} s`;
      // What it started goes too (pdsh's and clush's ssh children hold the pipes: waiting for
      // them would outlast the limit); it stays in this process group, so Ctrl-C still reaches it.
      for (const pid of child.pid ? processTree(child.pid) : []) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
      // Whatever escaped may still hold the pipes: do not wait for them.
      child.stdout.destroy();
      child.stderr.destroy();
      settle(null);
    }, opts.timeoutMs);
    child.on('error', (e) => { failure = e.message; settle(null); });
    child.on('close', (code) => settle(code));
  });
}
