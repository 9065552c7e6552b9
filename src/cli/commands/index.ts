// Every command, in the order `scr --help` lists them. One file a command.
import type { CommandSpec } from '../spec.js';
import { configCommand } from './config.js';
import { hostlistCommand } from './hostlist.js';
import { indexCommand } from './index-cmd.js';
import { printCommand } from './print.js';

export const COMMANDS: readonly CommandSpec[] = [configCommand, printCommand, hostlistCommand, indexCommand];
