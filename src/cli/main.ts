#!/usr/bin/env node
// The `scr` executable (and every scr_* alias, which npm links to this same file).
import { runMain } from './run.js';

process.exitCode = await runMain(process.argv.slice(2), { programName: process.argv[1] });
