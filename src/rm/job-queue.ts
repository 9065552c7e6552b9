// The JobQueue scr clean's scan asks (src/cache/stale-jobs.ts): whether a job id is still known to
// the resource manager whose id it looks like. Each manager module says which ids are its
// (ownsJobId) and lists this user's jobs (liveJobs, e.g. squeue); each is asked at most once per
// scan, and only when an id of its kind is seen. An id several managers could own (digits: Slurm,
// LSF, Grid Engine) runs if any installed one lists it, and is ended only when one answered and
// none listed it and none failed.
import type { JobQueue } from '../cache/stale-jobs.js';
import { managers } from './registry.js';
import type { ManagerModule } from './types.js';

type Answer = { ids: Set<string> } | { missing: true } | { error: string };

/** "a, b or c" */
const either = (xs: string[]): string => (xs.length > 1 ? `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}` : xs[0] ?? '');

export async function jobQueue(env: NodeJS.ProcessEnv, all?: readonly ManagerModule[]): Promise<JobQueue> {
  const mods = (all ?? await managers()).filter((m) => m.ownsJobId && m.liveJobs && m.queueCommand);
  const asked = new Map<string, Promise<Answer>>();
  const ask = (m: ManagerModule): Promise<Answer> => {
    let a = asked.get(m.name);
    if (!a) {
      a = m.liveJobs!(env).then((ids): Answer => (ids ? { ids } : { missing: true }), (e: Error): Answer => ({ error: e.message }));
      asked.set(m.name, a);
    }
    return a;
  };
  const errors: string[] = [];
  return {
    async status(jobId) {
      const owners = mods.filter((m) => m.ownsJobId!(jobId));
      if (!owners.length) return null;
      const answers = await Promise.all(owners.map(async (m) => ({ m, a: await ask(m) })));
      const lists = answers.find(({ a }) => 'ids' in a && a.ids.has(jobId));
      if (lists) return { state: 'running', why: `${lists.m.queueCommand} lists it` };
      const failed = answers.find(({ a }) => 'error' in a);
      if (failed) {
        const why = (failed.a as { error: string }).error;
        if (!errors.some((e) => e.startsWith(why))) errors.push(`${why} (its ${failed.m.title} jobs were kept; check that ${failed.m.queueCommand} works here)`);
        return { state: 'unknown', why: `a ${failed.m.title} job id, but ${why}: kept` };
      }
      const answered = answers.filter(({ a }) => 'ids' in a);
      if (answered.length) return { state: 'ended', why: `${answered.map(({ m }) => m.queueCommand).join(' and ')} ${answered.length > 1 ? 'do' : 'does'} not list it: the job has ended` };
      const cmds = owners.map((m) => m.queueCommand!);
      return { state: 'unknown', why: `a ${either(owners.map((m) => m.title))} job id, but ${cmds.length > 1 ? `none of ${cmds.join(', ')} is` : `${cmds[0]} is not`} available to ask: kept` };
    },
    errors: () => [...errors],
  };
}
