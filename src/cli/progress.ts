// The scavenge's progress bar (cli-progress), on a terminal only: one step per node copied.
import cliProgress from 'cli-progress';
import type { ScavengeProgress } from '../scavenge/scavenge.js';
import type { Io } from './spec.js';

export function scavengeBar(io: Io): ScavengeProgress | undefined {
  if (!io.isTTY) return undefined;
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(dataset, nodes) {
      bar = new cliProgress.SingleBar({ stream: process.stdout, format: `scavenging ${dataset} [{bar}] {value}/{total} node(s) | {duration_formatted}`, hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic);
      bar.start(nodes, 0);
    },
    step() { bar?.increment(); },
    stop() { bar?.stop(); bar = undefined; },
  };
}
