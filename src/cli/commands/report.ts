// scr report: what the job's checkpoints cost and what happened across its runs, from the event
// log <prefix>/.scr/log and the prefix's index (src/report/); --html writes one offline page
// with plots, --json prints the summary. docs/report.md says what each number means.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fsErrorText, isFsError } from '../../common/errno.js';
import { loadConfig } from '../../config/resolve.js';
import { intervalAdvice } from '../../report/advice.js';
import { loadReport } from '../../report/load.js';
import { UserError } from '../errors.js';
import { toJson } from '../output.js';
import { checkPrefixScr, existingPrefix, prefixSource } from '../prefix.js';
import { reportText } from '../report-text.js';
import type { CommandSpec } from '../spec.js';

export const reportCommand: CommandSpec = {
  name: 'report',
  summary: 'what checkpoints cost and what happened across the runs, from the event log (--html: a page with plots)',
  description: 'Reads <prefix>/.scr/log (written with SCR_LOG_ENABLE=1, the default) and the prefix\'s index, and prints\n' +
    'the jobs and runs, the checkpoints of each level (cache, file system) with their median and worst\n' +
    'blocking time and bandwidth, the share of the run time spent checkpointing, the failures and the work\n' +
    'each lost, and the restarts and where they came from. --html FILE writes one self-contained page that\n' +
    'opens offline, with a timeline, the checkpoint cost over time and the bandwidth per level.\n' +
    'It also advises how often to checkpoint (Young\'s and Daly\'s intervals, the expected waste, and for\n' +
    'the cache and the file system the interval and SCR_FLUSH), with the failure rate observed across\n' +
    'the runs, or SCR_MTBF while fewer than two failures were seen.\n' +
    'docs/report.md says how each number is computed. Lines of the log it cannot read are named and skipped.',
  examples: [
    ['scr report', 'the summary of the job in $SCR_PREFIX (else the current directory)'],
    ['scr report --prefix /p/lustre/me/run1 --html report.html', 'also write the page with the plots'],
    ['SCR_MTBF=86400 scr report', 'advice assuming one failure a day, until the job has failed twice'],
    ['scr report --json', '{"prefix", "log", "summary": {…}, "advice": {…}, "events": [{"time", "kind", "fields", …}], "malformed": [{"line", "text", "why"}]}'],
  ],
  exitCodes: [
    [0, 'the report was printed (and written)'],
    [2, 'usage, a missing prefix or event log, or an HTML file that cannot be written'],
  ],
  configure(cmd) {
    cmd.option('-p, --prefix <dir>', 'prefix directory (default: SCR_PREFIX, else the current directory)')
      .option('--html <file>', 'write the report with its plots to this HTML file')
      .option('--json', 'print the summary as JSON');
  },
  async run(_args, opts, io) {
    const prefix = existingPrefix(opts, io, 2);
    await checkPrefixScr(prefix, 2);
    const warn = (message: string) => io.err(`scr report: warning: ${message}\n`);
    const report = await loadReport(prefix, warn).catch((e: unknown) => {
      if (isFsError(e) && e.code === 'ENOENT') {
        throw new UserError(`no event log in ${prefix}/.scr: nothing to report`, { exitCode: 2,
          hint: `the prefix comes from ${prefixSource(opts, io)}; give the job's prefix with --prefix DIR, and run jobs with SCR_LOG_ENABLE=1 (the default) to have one` });
      }
      if (isFsError(e)) throw new UserError(`cannot read the event log of ${prefix}: ${fsErrorText(e)}`, { exitCode: 2, cause: e });
      throw e;
    });
    for (const m of report.malformed.slice(0, 5)) warn(`${report.log}:${m.line}: ${m.why}; the line is skipped`);
    if (report.malformed.length > 5) warn(`${report.malformed.length - 5} more line(s) of ${report.log} skipped`);
    if (report.indexProblem) warn(`the index of ${prefix} cannot be read (${report.indexProblem}); the report has no file-system listing`);
    const advice = intervalAdvice(report.summary, configuredMtbf(io, prefix, warn));
    if (opts.html !== undefined) {
      const file = resolve(io.cwd, String(opts.html));
      // Loaded here: vega and vega-lite take a noticeable time to load, which no other command should pay.
      const { reportHtml } = await import('../../report/html.js');
      try {
        await writeFile(file, await reportHtml(report.summary, prefix, advice));
      } catch (e) {
        if (isFsError(e)) throw new UserError(`cannot write the HTML report ${file}: ${fsErrorText(e)}`, { exitCode: 2, cause: e, hint: 'give --html a path in a writable directory' });
        throw e;
      }
      if (!opts.json) io.out(`wrote ${file}\n`);
    }
    if (opts.json) io.out(toJson({ prefix, log: report.log, summary: report.summary, advice, events: report.events, malformed: report.malformed }) + '\n');
    else io.out(reportText(report.summary, report.log, advice));
    return 0;
  },
};

/** SCR_MTBF from the configuration (environment and files), or null. A configuration that cannot
 * be read does not stop the report: the environment's value is used, with a warning. */
function configuredMtbf(io: { env: Record<string, string | undefined>; cwd: string }, prefix: string, warn: (m: string) => void): number | null {
  try {
    return (loadConfig({ env: io.env, cwd: io.cwd, prefix }).get('SCR_MTBF') as number | null) ?? null;
  } catch (e) {
    const raw = io.env.SCR_MTBF;
    const v = raw === undefined ? null : Number(raw);
    warn(`the configuration cannot be read (${(e as Error).message.split('\n')[0]}); ${v !== null && Number.isFinite(v) && v >= 1 ? `using SCR_MTBF=${raw} from the environment` : 'no SCR_MTBF is used'}`);
    return v !== null && Number.isFinite(v) && v >= 1 ? v : null;
  }
}
