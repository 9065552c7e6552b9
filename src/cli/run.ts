// The CLI runner: `scr <command> …`, and the SCR-style names (`scr_index …` is `scr index …`).
// Library code and tests call runMain(argv) directly; only main.ts touches the process.
import { Command, CommanderError } from 'commander';
import { basename } from 'node:path';
import { version } from '../version.js';
import { COMMANDS } from './commands/index.js';
import { EXIT, isUserError } from './errors.js';
import { type CommandSpec, helpFooter, type Io } from './spec.js';

export function defaultIo(): Io {
  return {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
    isTTY: Boolean(process.stdout.isTTY),
    env: process.env,
    cwd: process.cwd(),
  };
}

/** `scr_list_down_nodes` → `list-down-nodes`; undefined for `scr` itself. */
export function commandFromProgramName(path: string | undefined): string | undefined {
  const m = /^scr_(.+?)(\.js)?$/.exec(basename(path ?? ''));
  return m ? m[1]!.replace(/_/g, '-') : undefined;
}

/** Commands whose last argument is an application command line with options of its own. */
const WRAPPERS: Readonly<Record<string, string>> = {
  sim: 'scr sim --nodes 2 --ppn 1 -- node app.js --steps 100',
  srun: 'scr srun [--requeue] [--runs N] -n 8 -- node app.js --steps 100',
  run: 'scr run [--requeue] [--runs N] mpirun -np 8 -- node app.js --steps 100',
};

/** A hint for a commander parse error, or undefined. */
function parseHint(e: CommanderError, args: string[]): string | undefined {
  const name = args.find((a) => !a.startsWith('-'));
  if (e.code === 'commander.unknownOption' && name && WRAPPERS[name]) {
    return `scr ${name}'s own options come first; put -- before the application and its arguments, e.g. ${WRAPPERS[name]}`;
  }
  if (e.code === 'commander.unknownOption') return `scr ${name && COMMANDS.some((c) => c.name === name) ? `${name} ` : ''}--help lists the options`;
  if (e.code === 'commander.unknownCommand') return 'scr --help lists the commands';
  return undefined;
}

function report(spec: CommandSpec | undefined, e: unknown, io: Io): number {
  const who = spec ? `scr ${spec.name}` : 'scr';
  if (isUserError(e)) {
    io.err(`${who}: ${e.message}\n`);
    const hint = (e as { opts?: { hint?: string }; hint?: string }).opts?.hint ?? (e as { hint?: string }).hint;
    if (hint) io.err(`hint: ${hint}\n`);
    const code = (e as { opts?: { exitCode?: number } }).opts?.exitCode;
    return code ?? (e.code === 'ERR_SCR_CONFIG' || e.code === 'ERR_SCR_USAGE' ? EXIT.USAGE : EXIT.FAILED);
  }
  io.err(`${who}: internal error (a bug in scr ${version}; please report it with this output):\n${e instanceof Error ? e.stack : String(e)}\n`);
  return EXIT.BUG;
}

export async function runMain(argv: string[], opts: { programName?: string; io?: Io } = {}): Promise<number> {
  const io = opts.io ?? defaultIo();
  const alias = commandFromProgramName(opts.programName);
  const args = alias ? [alias, ...argv] : argv;
  let exit: number = EXIT.OK;
  let current: CommandSpec | undefined;

  const program = new Command('scr')
    .description('scr: a multi-level checkpoint cache for MPI jobs. Commands for batch scripts and for looking at checkpoints.')
    .version(version, '-V, --version')
    .exitOverride()
    .enablePositionalOptions()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError('(add --help for usage)');
  for (const spec of COMMANDS) {
    const cmd = program.command(spec.name).description(spec.summary).addHelpText('after', helpFooter(spec));
    cmd.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
    spec.configure(cmd);
    cmd.action(async (...a: unknown[]) => {
      current = spec;
      const command = a[a.length - 1] as Command;
      exit = await spec.run(command.args, command.opts(), io);
    });
  }

  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version are successes; commander already printed the message otherwise. A bare
      // `scr` (help shown because no command was given) is a usage error.
      if (e.code === 'commander.help') return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version') return EXIT.OK;
      const hint = parseHint(e, args);
      if (hint) io.err(`hint: ${hint}\n`);
      return EXIT.USAGE;
    }
    return report(current, e, io);
  }
  return exit;
}
