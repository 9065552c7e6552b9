// A stand-in Flux batch instance for tests: the environment a flux batch script has, and the state
// the stand-in `flux` command (test/fixtures/standin/flux/) reads. See that command for what it
// models and where each output format comes from.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { standinDir, type StandinFixture } from './rm-conformance.js';

/** The stand-in's directory, for the front of PATH (this file is dist/test/harness/standin-flux.js). */
export const FLUX_STANDIN = standinDir('flux');

/** The batch job's id in the enclosing instance (F58, as Flux prints it). */
export const FLUX_BATCH_ID = 'ƒ2BqEUd7fX';

/** What the conformance suite drives (test/harness/rm-conformance.ts). */
export type FluxFixture = StandinFixture;

/**
 * A Flux batch instance over `nodes` (broker rank = place in the list), its state in `state`.
 * `env` is what the batch script's environment holds: FLUX_URI of the instance and
 * FLUX_ENCLOSING_ID, never FLUX_JOB_ID (the broker unsets it: flux-core doc/man7/flux-environment.rst,
 * "INITIAL PROGRAM ENVIRONMENT"). markDown: reason `offline` makes the node's broker gone,
 * `exclude`/`torpid` those states, any other reason drains the node with it.
 */
export function fluxFixture(state: string, nodes: string[]): FluxFixture {
  writeFileSync(join(state, 'nodes'), `${nodes.join('\n')}\n`);
  writeFileSync(join(state, 'jobid'), `${FLUX_BATCH_ID}\n`);
  writeFileSync(join(state, 'starttime'), `${Math.floor(Date.now() / 1000)}\n`);
  writeFileSync(join(state, 'down'), '');
  const down = new Map<string, string>();
  return {
    env: { FLUX_URI: `local://${state}/local`, FLUX_ENCLOSING_ID: FLUX_BATCH_ID, SCR_STANDIN_STATE: state },
    path: FLUX_STANDIN,
    runArgs: (n, ranks) => ['flux', 'run', '-N', String(n), '-n', String(ranks)],
    markDown(node, reason) {
      down.set(node, reason);
      writeFileSync(join(state, 'down'), [...down].map(([n, r]) => `${n} ${r}\n`).join(''));
    },
    setEnd(epoch) {
      if (epoch === null) rmSync(join(state, 'endtime'), { force: true });
      else writeFileSync(join(state, 'endtime'), `${epoch}\n`);
    },
  };
}
