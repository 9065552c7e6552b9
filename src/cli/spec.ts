// What every command file provides: its name, help text with examples and exit codes, its
// options (on a commander Command) and its action. The runner adds the shared behaviour.
import type { Command } from 'commander';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** Whether stdout is a terminal (progress bars only then). */
  isTTY: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
}

export interface CommandSpec {
  name: string;
  /** One line for `scr --help`. */
  summary: string;
  /** Extra paragraphs for `scr <name> --help`. */
  description?: string;
  examples: ReadonlyArray<readonly [string, string]>;
  exitCodes: ReadonlyArray<readonly [number, string]>;
  /** Adds arguments and options. */
  configure(cmd: Command): void;
  /** Runs the command; resolves to the exit code. */
  run(args: string[], opts: Record<string, unknown>, io: Io): Promise<number>;
}

export function helpFooter(spec: CommandSpec): string {
  const ex = spec.examples.map(([c, w]) => `  $ ${c}\n      ${w}`).join('\n');
  const codes = spec.exitCodes.map(([c, m]) => `  ${String(c).padEnd(3)} ${m}`).join('\n');
  return `${spec.description ? `\n${spec.description}\n` : ''}\nExamples:\n${ex}\n\nExit codes:\n${codes}\n`;
}
