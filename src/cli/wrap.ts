// What `scr srun` and `scr run` share: split the launcher's command line, find the allocation, run
// the wrapper (run loop, halts, scavenge, requeue) and turn its result into an exit code.
import { basename } from 'node:path';
import { compressHostlist, expandHostlist } from '../common/hostlist.js';
import { loadConfig } from '../config/resolve.js';
import { LauncherArgsError, MPIRUN, type NamedSyntax, parseLauncherArgs, SRUN } from '../rm/launcher-args.js';
import { managerNamed } from '../rm/registry.js';
import { remoteAccess } from '../rm/remote-scavenge.js';
import { probeNodes } from '../rm/probe.js';
import { runWrapped } from '../rm/wrapper.js';
import { SCR_MAIN } from './self.js';
import { allocation, requireAllocation } from './allocation.js';
import { UserError } from './errors.js';
import { scavengeBar } from './progress.js';
import type { Io } from './spec.js';

/** How long a node may take to answer the check before a relaunch. */
const PROBE_MS = 60_000;

export const WRAP_EXIT_CODES: ReadonlyArray<readonly [number, string]> = [
  [0, 'the application finished (called finalize), or it ran out of time and --requeue requeued it'],
  [1, 'it did not finish: runs used up, too few nodes left, halted, or a dataset could not be scavenged'],
  [2, 'usage or configuration error, or not inside an allocation'],
];

export async function wrapLauncher(who: string, launcher: string, args: string[], opts: Record<string, unknown>, io: Io): Promise<number> {
  const cfg = loadConfig({ env: io.env, cwd: io.cwd, prefix: opts.prefix as string | undefined });
  const found = await allocation(io.env, cfg);
  // The launcher's syntax: the resource manager's own launchers (jsrun, flux run), else srun or mpirun.
  const own = found ? (await managerNamed(found.name))?.launchers?.[basename(launcher)] : undefined;
  const syn: NamedSyntax = own ? { ...own, name: basename(launcher) } : /srun/.test(basename(launcher)) ? SRUN : MPIRUN;
  let parsed;
  try {
    parsed = parseLauncherArgs(syn, args);
  } catch (e) {
    if (e instanceof LauncherArgsError) throw new UserError(e.message, { exitCode: 2, hint: `usage: scr ${who} [scr options] ${who === 'srun' ? '' : `${launcher} `}[${syn.name} options] app [args]` });
    throw e;
  }
  const rm = found ?? await requireAllocation(`scr ${who} runs inside an allocation`, io.env, cfg, 'call it from a batch script or an interactive allocation; to rehearse on this machine, use scr sim');
  // Nodes the user's own -w / -x rule out are treated as excluded for the whole allocation.
  const extra = new Map<string, string>();
  if (parsed.nodelist) {
    // mpirun's --host may give slots (n1:4,n2:4).
    const allowed = new Set(expandHostlist(parsed.nodelist.split(',').map((h) => h.replace(/:\d+$/, '')).join(',')));
    for (const n of rm.nodes()) if (!allowed.has(n)) extra.set(n, `not in ${syn.name === 'srun' ? '--nodelist' : syn.name === 'mpirun' ? '--host' : 'the node list'} ${parsed.nodelist}`);
  }
  for (const n of parsed.exclude ? expandHostlist(parsed.exclude) : []) extra.set(n, `excluded by ${syn.name === 'srun' ? '--exclude' : `${syn.name}'s exclusion`} ${parsed.exclude}`);
  const runs = opts.runs !== undefined ? Number(opts.runs) : cfg.int('SCR_RUNS');
  if (!Number.isInteger(runs) || runs < -1 || runs === 0) {
    throw new UserError(`${opts.runs !== undefined ? `--runs ${String(opts.runs)}` : `SCR_RUNS=${runs}`}: expected a positive whole number of launches, or -1 for no limit`, { exitCode: 2 });
  }
  const say = (s: string) => io.err(`scr ${who}: ${s}\n`);
  say(`job ${rm.jobId()} on ${compressHostlist(rm.nodes())}; prefix ${cfg.str('SCR_PREFIX')}`);
  const r = await runWrapped({
    rm, cfg, need: parsed.nodes ?? null, ppn: 0, launcher, launcherArgs: parsed.pass, argv: parsed.app, runs,
    requeue: Boolean(opts.requeue), say, extraExclude: extra, access: remoteAccess(rm, SCR_MAIN, cfg.str('SCR_PREFIX'), rm.jobId()), bar: scavengeBar(io),
    // Before a relaunch every candidate node is checked where it is (as prerun does): a node whose
    // storage failed, or that no longer answers, is left out before the resource manager marks it down.
    probe: async (nodes) => (await probeNodes(rm, SCR_MAIN, cfg.str('SCR_PREFIX'), nodes, PROBE_MS)).bad,
  });
  if (r.requeued) return 0;
  return r.finalized && r.scavenge.skipped.length === 0 ? 0 : 1;
}
