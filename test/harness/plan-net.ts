// The restore plan's collectives (src/scr/restore-plan.ts, PlanNet) for p ranks simulated in one
// process: each rank's calls are matched with the others' by their order, as MPI matches
// collectives, and a call of another kind at the same place throws (a rank that would hang).
// Values pass through msgpack, as over MPI.
import { pack, unpack } from 'msgpackr';
import type { Routed } from '../../src/mpi/route.js';
import type { PlanNet } from '../../src/scr/restore-plan.js';

interface Pending { kind: string; args: unknown[]; resolve: (v: unknown) => void; reject: (e: Error) => void }

export class FakeNet {
  readonly #calls: Pending[][];
  readonly #seq: number[];
  /** Collective calls made, by kind (one count per call, as on every rank). */
  readonly counts: Record<string, number> = {};
  /** Bytes routed to each rank (what it receives), summed over the run. */
  readonly routedTo: number[];

  constructor(readonly size: number) {
    this.#calls = [];
    this.#seq = new Array<number>(size).fill(0);
    this.routedTo = new Array<number>(size).fill(0);
  }

  net(rank: number): PlanNet {
    const call = (kind: string, ...args: unknown[]) => new Promise<unknown>((resolve, reject) => {
      const i = this.#seq[rank]!++;
      const row = (this.#calls[i] ??= []);
      row[rank] = { kind, args, resolve, reject };
      if (row.filter(Boolean).length === this.size) this.#complete(i, row);
    });
    return {
      rank, size: this.size,
      min: (v) => call('min', v) as Promise<Float64Array>,
      bcastObject: <T>(value: T, root: number) => call('bcast', value, root) as Promise<T>,
      route: <T>(items: Array<Routed<T>>) => call('route', items) as Promise<T[]>,
    };
  }

  #complete(i: number, row: Pending[]): void {
    const kinds = new Set(row.map((c) => c.kind));
    if (kinds.size > 1) {
      const e = new Error(`collective ${i}: ranks called different collectives (${row.map((c, r) => `rank ${r}: ${c.kind}`).join(', ')})`);
      for (const c of row) c.reject(e);
      return;
    }
    const kind = row[0]!.kind;
    this.counts[kind] = (this.counts[kind] ?? 0) + 1;
    if (kind === 'min') {
      const vs = row.map((c) => c.args[0] as Float64Array);
      if (new Set(vs.map((v) => v.length)).size > 1) { for (const c of row) c.reject(new Error(`collective ${i}: MIN of different lengths`)); return; }
      const out = Float64Array.from(vs[0]!, (_, j) => Math.min(...vs.map((v) => v[j]!)));
      for (const c of row) c.resolve(Float64Array.from(out));
    } else if (kind === 'bcast') {
      const roots = new Set(row.map((c) => c.args[1]));
      if (roots.size > 1) { for (const c of row) c.reject(new Error(`collective ${i}: broadcast from different roots`)); return; }
      const root = row[0]!.args[1] as number;
      const bytes = pack(row[root]!.args[0]);
      for (const c of row) c.resolve(unpack(bytes));
    } else {
      const inbox: unknown[][] = row.map(() => []);
      for (const c of row) {
        for (const it of c.args[0] as Array<Routed<unknown>>) {
          const b = pack(it.value);
          this.routedTo[it.to] = this.routedTo[it.to]! + b.length;
          inbox[it.to]!.push(unpack(b));
        }
      }
      row.forEach((c, r) => c.resolve(inbox[r]));
    }
  }
}
