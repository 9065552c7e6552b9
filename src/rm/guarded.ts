// Starts a launcher through the launch guard (guard.ts) and gives the run wrapper a Run for it: the
// launcher's end, and a kill that reaches every part of the launch (kill-plan.ts). If the wrapper
// dies, however, the guard ends the launch; if the guard dies, the wrapper ends it here.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import type { GuardSpec } from './guard.js';
import { type KillPlan, signalLaunch } from './kill-plan.js';
import type { Run } from './types.js';

const GUARD = fileURLToPath(new URL('./guard.js', import.meta.url));

type Outcome = { code: number | null; signal: NodeJS.Signals | null };

export interface GuardedLaunch {
  cmd: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Seconds the launch gets after SIGTERM when the wrapper is gone (SCR_HALT_GRACE). */
  graceSeconds: number;
  plan: Omit<KillPlan, 'pgid'>;
}

export function launchGuarded(l: GuardedLaunch): Run & { pid: () => number | undefined } {
  const spec: GuardSpec = { cmd: l.cmd, args: l.args, graceSeconds: l.graceSeconds, plan: l.plan };
  const plan: KillPlan = { ...l.plan };
  const guard = spawn(process.execPath, [GUARD, JSON.stringify(spec)], { env: l.env, stdio: ['inherit', 'inherit', 'inherit', 'pipe'], detached: true });
  const life = guard.stdio[3] as Socket;
  let result: Outcome | undefined;
  let buf = '';
  life.setEncoding('utf8');
  life.on('data', (d: string) => {
    buf += d;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const m = JSON.parse(buf.slice(0, nl)) as { pid?: number; code?: number | null; signal?: NodeJS.Signals | null; error?: string };
      buf = buf.slice(nl + 1);
      if (m.pid) plan.pgid = m.pid;
      if (m.error !== undefined) {
        process.stderr.write(`scr: ${l.cmd} did not start: ${m.error}\n`);
        result = { code: 127, signal: null };
      } else if ('code' in m) result = { code: m.code ?? null, signal: m.signal ?? null };
    }
  });
  life.on('error', () => undefined);
  const done = new Promise<Outcome>((resolve) => {
    guard.on('error', (e) => {
      process.stderr.write(`scr: the launch guard did not start: ${e.message}\n`);
      resolve({ code: 127, signal: null });
    });
    guard.on('close', (code, signal) => {
      if (result) { resolve(result); return; }
      // The guard died before the launcher ended: end the launch from here.
      process.stderr.write(`scr: the launch guard ended (${signal ?? `exit ${code}`}) before ${l.cmd} did: killing the launch\n`);
      void signalLaunch(plan, 'SIGKILL', l.env).finally(() => resolve({ code: null, signal: 'SIGKILL' }));
    });
  });
  return {
    done,
    pid: () => plan.pgid,
    kill: (signal = 'SIGTERM') => {
      if (result || guard.exitCode !== null || guard.signalCode !== null) return;
      if (life.writable) life.write(`${JSON.stringify({ signal })}\n`);
      else void signalLaunch(plan, signal, l.env);
    },
  };
}
