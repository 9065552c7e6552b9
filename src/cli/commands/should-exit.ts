// scr should-exit: whether the job should stop now, for batch scripts (as SCR's scr_should_exit):
// the halt file's conditions with the allocation's end (SCR_END_TIME) and SCR_HALT_SECONDS, as the
// run wrapper decides (runShouldStop). Exit 0 = stop, 1 = go on; anything that prevents an answer is
// exit 2, so a broken setup never reads as either answer.
import { ScrConfigError } from '../../config/errors.js';
import { loadConfig } from '../../config/resolve.js';
import { haltFilePath, type HaltContext, type HaltRecord, readHalt, runShouldStop } from '../../halt/index.js';
import { isUserError, UserError } from '../errors.js';
import { toJson } from '../output.js';
import type { CommandSpec } from '../spec.js';
import { localIso } from './halt.js';
import { usablePrefix } from '../prefix.js';

export const shouldExitCommand: CommandSpec = {
  name: 'should-exit',
  summary: 'exit 0 if the job should stop now (halt conditions, allocation end), 1 if it may go on',
  description: 'Reads <prefix>/.scr/halt.scr and the configuration (SCR_END_TIME, the end of the allocation in epoch\n' +
    'seconds, and SCR_HALT_SECONDS) and answers as the run wrapper does: stop if finalize was called, a reason\n' +
    'is set, no checkpoints are left, an exit-after time has passed, an exit-before time is within the halt\n' +
    'seconds, or fewer than the halt seconds of the allocation remain. Prints the reason when it says stop;\n' +
    'nothing when it says go on, unless --verbose.',
  examples: [
    ['scr should-exit', 'exit 0 (and print why) if the job should stop, else exit 1 silently'],
    ['if scr should-exit; then exit 0; fi', 'in a batch script: stop relaunching once a halt condition holds'],
    ['SCR_END_TIME=$(date -d "+1 hour" +%s) SCR_HALT_SECONDS=600 scr should-exit --verbose', 'with an allocation end and a margin'],
    ['scr should-exit --json --prefix /p/lustre/me/run1', '{"exit": true, "reason": "halt requested: scr halt"}'],
  ],
  exitCodes: [
    [0, 'the job should stop (the reason is printed)'],
    [1, 'the job may go on'],
    [2, 'no answer: usage, a configuration error (each is named), a missing prefix directory, a prefix .scr that is a symlink or another user\'s, or a damaged halt file'],
  ],
  configure(cmd) {
    cmd.option('--prefix <dir>', 'prefix directory (default: SCR_PREFIX, else the current directory)')
      .option('-v, --verbose', 'also say why when the job may go on, and what was consulted')
      .option('--json', 'print {"exit": true|false, "reason": string|null}');
  },
  async run(_args, opts, io) {
    const prefix = await usablePrefix(opts, io, 2);
    let ctx: HaltContext;
    let jobId = '';
    try {
      const cfg = loadConfig({ env: io.env, cwd: io.cwd, prefix });
      for (const w of cfg.warnings) io.err(`scr should-exit: warning: ${w}\n`);
      ctx = { now: Date.now() / 1000, endTime: cfg.optInt('SCR_END_TIME'), haltSeconds: cfg.int('SCR_HALT_SECONDS') };
      jobId = cfg.str('SCR_JOB_ID');
    } catch (e) {
      if (e instanceof ScrConfigError) {
        throw new UserError(`the configuration has errors, so there is no answer:\n${e.message}`, { exitCode: 2, hint: 'see scr config', cause: e });
      }
      throw e;
    }
    const path = haltFilePath(prefix);
    let halt: HaltRecord;
    try {
      halt = await readHalt(prefix);
    } catch (e) {
      if (isUserError(e)) throw new UserError(`cannot read the halt file, so there is no answer: ${e.message}`, { exitCode: 2, cause: e });
      throw e;
    }
    // The finalize marker of another job id is an earlier job's: it does not stop this one.
    const earlier = halt.finalized === true && halt.finalizedJob !== undefined && halt.finalizedJob !== jobId;
    const reason = runShouldStop(earlier ? { ...halt, finalized: undefined } : halt, ctx);
    if (opts.json) {
      io.out(toJson({ exit: reason !== null, reason }, 0) + '\n');
    } else if (reason !== null) {
      io.out(`${reason}\n`);
    } else if (opts.verbose) {
      io.out('go on: no halt condition holds\n');
    }
    if (opts.verbose && !opts.json && earlier) io.out(`(the finalize marker is job ${halt.finalizedJob}'s, an earlier job's: it does not stop job ${jobId})\n`);
    if (opts.verbose && !opts.json) {
      io.out(`(halt file ${path}${Object.keys(halt).length ? '' : ', absent or empty'}; at ${localIso(ctx.now)}; ` +
        `SCR_END_TIME=${ctx.endTime ?? 'unset'}; SCR_HALT_SECONDS=${ctx.haltSeconds}${halt.seconds !== undefined ? ` (the halt file's seconds=${halt.seconds} overrides it)` : ''})\n`);
    }
    return reason === null ? 1 : 0;
  },
};
