// scr print: show any scr metadata file (index, halt, flush, file maps, …) readably.
import { readMetaFileWithHeader } from '../../meta/index.js';
import { toJson } from '../output.js';
import type { CommandSpec } from '../spec.js';

export const printCommand: CommandSpec = {
  name: 'print',
  summary: 'print an scr metadata file (anything under .scr/ or the control directory)',
  examples: [
    ['scr print .scr/index.scr', 'the index of the prefix directory, readably'],
    ['scr print --json /dev/shm/$USER/scr.$SLURM_JOB_ID/node.n1/cindex.scr', 'a node\'s cache index as JSON'],
  ],
  exitCodes: [[0, 'printed'], [1, 'the file is missing, torn, corrupted, not an scr file, or from a newer scr (the message says which)']],
  configure(cmd) {
    cmd.argument('<file>', 'metadata file').option('--json', 'print {kind, version, value} as JSON');
  },
  async run(args, opts, io) {
    const rec = await readMetaFileWithHeader(args[0]!);
    if (opts.json) io.out(toJson({ kind: rec.kind, version: rec.version, value: rec.value }) + '\n');
    else io.out(`# ${args[0]}: kind "${rec.kind}", format version ${rec.version}\n${toJson(rec.value)}\n`);
    return 0;
  },
};
