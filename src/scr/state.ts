// The API's state machine (SPEC §2): uninitialised → idle ⇄ output, idle ⇄ restart. A call in
// the wrong state throws ScrStateError naming the call that was due. Every rank makes the same
// calls in the same order, so every rank throws alike, before any collective.
import { ScrStateError } from './errors.js';

export type Phase = 'uninit' | 'idle' | 'output' | 'restart';

/** Which call must come first when `call` is made in `phase`. */
const DUE: Record<Exclude<Phase, 'idle'>, string> = {
  uninit: 'init()',
  output: 'completeOutput()',
  restart: 'completeRestart()',
};

export class StateMachine {
  phase: Phase = 'uninit';

  /** Throws unless the library is in one of `allowed`. */
  expect(call: string, ...allowed: Phase[]): void {
    if (allowed.includes(this.phase)) return;
    if (this.phase !== 'idle') throw new ScrStateError(`${DUE[this.phase]} must come before ${call}`);
    // Idle, but the call belongs to a phase that was never started.
    const opener = call.startsWith('completeOutput') || call.startsWith('completeCheckpoint') ? 'startOutput()'
      : call.startsWith('completeRestart') ? 'startRestart()' : 'init()';
    throw new ScrStateError(`${opener} must come before ${call}`);
  }
}
