// SCR_REMOTE_EXEC: run work on single nodes through a tool of the site's choosing instead of the
// resource manager's launcher, e.g. `pdsh -N -w %h` or `clush -N -w %h` (and their `-R exec`
// forms, which run locally: how the tests stand in for remote shells). `%h` is the node; the
// command, `env SCR_NODE_NAME=<node> <SCR_* settings> <argv>`, is appended, each word shell-quoted
// when it needs it (pdsh and clush hand it to a remote shell as one line). A remote shell starts
// with a fresh environment, so the caller's SCR_* variables go along on the command line.
import { collect, nodeResult } from './exec.js';
import type { NodeResult } from './types.js';

export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The caller's SCR_* settings as `NAME=value` words (not SCR_NODE_NAME, which is per node). */
export function scrSettings(env: NodeJS.ProcessEnv): string[] {
  return Object.entries(env).filter(([k, v]) => k.startsWith('SCR_') && k !== 'SCR_NODE_NAME' && v !== undefined).map(([k, v]) => `${k}=${v}`).sort();
}

/** The command line for `node`; throws when the template has no %h. */
export function remoteCommand(template: string, node: string, argv: readonly string[], env: NodeJS.ProcessEnv = {}): string[] {
  const words = template.trim().split(/\s+/).filter(Boolean);
  if (!words.some((w) => w.includes('%h'))) {
    throw Object.assign(new Error(`SCR_REMOTE_EXEC="${template}" has no %h for the node name (e.g. "pdsh -N -w %h")`), { code: 'ERR_SCR_CONFIG' });
  }
  return [...words.map((w) => w.replaceAll('%h', node)), ...['env', `SCR_NODE_NAME=${node}`, ...scrSettings(env), ...argv].map(shellQuote)];
}

export function remoteExec(template: string, nodes: readonly string[], argv: readonly string[], timeoutMs: number, env: NodeJS.ProcessEnv): Promise<NodeResult[]> {
  return Promise.all(nodes.map(async (node) => {
    const [cmd, ...args] = remoteCommand(template, node, argv, env);
    return nodeResult(node, await collect(cmd!, args, { env, timeoutMs }));
  }));
}
