// The launch guard: a small process between the run wrapper and the launcher (srun, mpirun), so
// that no launcher or rank outlives the wrapper, however the wrapper ends (SIGKILL included, which
// it cannot catch). The wrapper starts it as
//   node guard.js '<GuardSpec JSON>'
// with fd 3 a socket to the wrapper (the lifeline). The guard starts the launcher as the leader of
// a new process group (its own session, so a terminal's Ctrl-C reaches only the wrapper) and
// reports over the lifeline, one JSON line each: {"pid"} once started, {"code","signal"} when it
// ended, or {"error"} when it could not start. The wrapper sends {"signal"} lines: the guard
// signals the whole launch (kill-plan.ts). When the lifeline closes (end of file: the wrapper is
// gone), the guard sends SIGTERM to the launch, waits up to `graceSeconds` for it to end, then
// SIGKILLs what is left, and exits. The guard ignores the signals a terminal or the scheduler
// sends the wrapper: it follows the wrapper, not them. Once the launcher ended, processes still
// carrying the launch's marker are stragglers and are killed.
import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { type KillPlan, launchAlive, prepareLaunch, signalLaunch } from './kill-plan.js';

export interface GuardSpec {
  cmd: string;
  args: string[];
  /** Seconds the launch gets to end after SIGTERM once the wrapper is gone. */
  graceSeconds: number;
  /** What belongs to the launch besides the launcher's process group. */
  plan: Omit<KillPlan, 'pgid'>;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as GuardSpec;
const plan: KillPlan = { ...spec.plan };
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGQUIT'] as const) process.on(s, () => undefined);
// The wrapper's stderr may be a pipe nobody reads any more: a failed write must not stop the guard.
process.stderr.on('error', () => undefined);
process.on('uncaughtException', (e) => {
  try { process.stderr.write(`scr: launch guard: ${e.message}; killing the launch\n`); } catch { /* no stderr */ }
  void signalLaunch(plan, 'SIGKILL').finally(() => process.exit(1));
});

const life = new Socket({ fd: 3, readable: true, writable: true });
let lifeOpen = true;
const send = (o: object): void => { if (lifeOpen) life.write(`${JSON.stringify(o)}\n`); };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let exited = false;
let orphan = false;
let started = false;

let buf = '';
life.setEncoding('utf8');
life.on('data', (d: string) => {
  buf += d;
  for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
    const line = buf.slice(0, nl);
    buf = buf.slice(nl + 1);
    try {
      const m = JSON.parse(line) as { signal?: NodeJS.Signals };
      if (m.signal) void signalLaunch(plan, m.signal);
    } catch { /* not a message of ours */ }
  }
});
const gone = (): void => {
  lifeOpen = false;
  void orphaned();
};
life.on('end', gone);
life.on('close', gone);
life.on('error', gone);

// E.g. Slurm: an mpirun's daemon steps are told from other steps of the job by being new.
await prepareLaunch(plan, process.env);
// The wrapper died before the launch: nothing to start.
if (orphan) process.exit(0);
const child = spawn(spec.cmd, spec.args, { stdio: 'inherit', detached: true });
started = true;
const ended = new Promise<void>((resolve) => {
  child.on('error', (e) => {
    exited = true;
    send({ error: e.message });
    resolve();
  });
  child.on('exit', (code, signal) => {
    exited = true;
    // The launch is over: whatever still carries its marker would otherwise run on unwatched.
    if (plan.marker) void signalLaunch({ marker: plan.marker }, 'SIGKILL');
    send({ code, signal });
    resolve();
  });
});
if (child.pid) {
  plan.pgid = child.pid;
  send({ pid: child.pid });
}

/** The wrapper is gone: end the launch, cleanly if it can within the grace time. */
async function orphaned(): Promise<void> {
  if (orphan) return;
  orphan = true;
  if (!started) return; // the launch is not started (see above)
  if (!exited) {
    process.stderr.write(`scr: the run wrapper is gone: ending its launch (${spec.cmd}, process group ${plan.pgid ?? '?'}); SIGKILL in ${spec.graceSeconds} s if it has not ended\n`);
    await signalLaunch(plan, 'SIGTERM');
    const end = Date.now() + spec.graceSeconds * 1000;
    while (Date.now() < end && (!exited || launchAlive(plan))) await sleep(100);
    if (!exited || launchAlive(plan)) await signalLaunch(plan, 'SIGKILL');
    await Promise.race([ended, sleep(5000)]);
  }
  process.exit(0);
}

await ended;
life.end(() => process.exit(0));
// A wrapper that stopped reading must not keep the guard alive.
setTimeout(() => process.exit(0), 2000).unref();
