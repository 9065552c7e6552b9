// Where one output phase's time went, as rank 0 saw it: the blocking time the application waited
// in startOutput and completeOutput, split into their steps, and the time it spent writing its
// files in between. Written to the event log (CHECKPOINT/OUTPUT lines) and, with SCR_DEBUG >= 1,
// printed as one line per dataset (docs/api.md, "SCR_DEBUG").
import { humanBytes } from '../common/bytes.js';

export type Step = 'checks' | 'redundancy' | 'record' | 'flush';

export class OutputTimer {
  /** performance.now() when startOutput was called, when it returned, when completeOutput was called. */
  readonly #called: number;
  #started = 0;
  #completing = 0;
  #mark = 0;
  readonly #steps = new Map<Step, number>();

  constructor(calledAt: number) {
    this.#called = calledAt;
  }

  /** startOutput returns: the application writes from here. */
  started(at = performance.now()): void {
    this.#started = at;
  }

  /** completeOutput was called (its arguments not yet agreed). */
  completing(at: number): void {
    this.#completing = at;
    this.#mark = at;
  }

  /** The step that ran since the previous mark ends now. */
  step(name: Step, at = performance.now()): void {
    this.#steps.set(name, (this.#steps.get(name) ?? 0) + (at - this.#mark) / 1000);
    this.#mark = at;
  }

  /** Seconds: in startOutput, writing (between the calls), in completeOutput, both calls. */
  totals(end = performance.now()): { start: number; write: number; complete: number; blocking: number; steps: Map<Step, number> } {
    const start = (this.#started - this.#called) / 1000;
    const complete = (end - this.#completing) / 1000;
    return { start, write: (this.#completing - this.#started) / 1000, complete, blocking: start + complete, steps: this.#steps };
  }

  /** The SCR_DEBUG line. */
  line(what: string, bytes: number, files: number, scheme: string, end = performance.now()): string {
    const t = this.totals(end);
    const steps = [...t.steps].map(([k, v]) => `${k === 'redundancy' ? `redundancy ${scheme}` : k} ${v.toFixed(3)}`);
    const rest = t.complete - [...t.steps.values()].reduce((a, b) => a + b, 0);
    return `${what}: ${humanBytes(bytes)} in ${files} file(s); the application waited ${t.blocking.toFixed(3)} s ` +
      `(startOutput ${t.start.toFixed(3)}, completeOutput ${t.complete.toFixed(3)}: ${[...steps, `other ${Math.max(0, rest).toFixed(3)}`].join(', ')}) ` +
      `and wrote for ${t.write.toFixed(3)} s between them`;
  }
}
