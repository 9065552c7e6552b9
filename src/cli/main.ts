#!/usr/bin/env node
// The `scr` executable (and every scr_* alias, which npm links to this same file).
import { runMain } from './run.js';

// A reader that goes away (`scr … --help | head`) is not an error: exit quietly, no stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw e;
  });
}

process.exitCode = await runMain(process.argv.slice(2), { programName: process.argv[1] });
