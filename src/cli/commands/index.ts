// Every command, in the order `scr --help` lists them. One file a command.
import type { CommandSpec } from '../spec.js';
import { cleanCommand } from './clean.js';
import { configCommand } from './config.js';
import { crc32Command } from './crc32.js';
import { globHostsCommand } from './glob-hosts.js';
import { haltCommand } from './halt.js';
import { hostlistCommand } from './hostlist.js';
import { indexCommand } from './index-cmd.js';
import { inspectCommand } from './inspect.js';
import { postrunCommand } from './postrun.js';
import { printCommand } from './print.js';
import { reportCommand } from './report.js';
import { shouldExitCommand } from './should-exit.js';
import { simCommand } from './sim.js';
import { envCommand } from './env.js';
import { listDownNodesCommand } from './list-down-nodes.js';
import { prerunCommand } from './prerun.js';
import { runCommand } from './run.js';
import { srunCommand } from './srun.js';

export const COMMANDS: readonly CommandSpec[] = [
  prerunCommand, srunCommand, runCommand, simCommand, postrunCommand, cleanCommand, haltCommand, shouldExitCommand, listDownNodesCommand,
  indexCommand, inspectCommand, reportCommand, envCommand, configCommand, printCommand, hostlistCommand, globHostsCommand, crc32Command,
];
