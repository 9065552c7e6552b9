// The run wrapper's watchdog (SCR_WATCHDOG_TIMEOUT): a run during which no checkpoint completes
// for that many seconds is taken for hung, killed, and relaunched on the same nodes (a hang is
// not a node failure). What the wrapper sees of the job is the event log the job's rank 0 appends
// to (<prefix>/.scr/log, SCR_LOG_ENABLE): a CHECKPOINT line is written once every rank has
// completed the checkpoint; a finished flush (FLUSH), fetch (FETCH) or restart (RESTART) counts as
// progress too, so a long restart or a big flush is not taken for a hang. Reading only what was
// appended since the last look costs one stat and a small read per poll.
import { open, stat } from 'node:fs/promises';
import { logPath } from '../scr/log.js';
import type { Run } from './types.js';

/** Event kinds that show the job is making progress. */
const PROGRESS = new Set(['CHECKPOINT', 'FLUSH', 'FETCH', 'RESTART']);

/** New lines of the event log since the last read. */
export class LogTail {
  #offset = 0;
  #rest = '';
  readonly path: string;

  constructor(prefix: string) { this.path = logPath(prefix); }

  /** Starts at the current end: only lines appended from now on are read. */
  async skipToEnd(): Promise<void> {
    this.#offset = await stat(this.path).then((s) => s.size, () => 0);
    this.#rest = '';
  }

  /** The complete lines appended since the last call. */
  async read(): Promise<string[]> {
    const size = await stat(this.path).then((s) => s.size, () => 0);
    if (size < this.#offset) { this.#offset = 0; this.#rest = ''; } // replaced or truncated
    if (size === this.#offset) return [];
    const fh = await open(this.path, 'r');
    try {
      const buf = Buffer.alloc(size - this.#offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.#offset);
      this.#offset += bytesRead;
      const text = this.#rest + buf.subarray(0, bytesRead).toString('utf8');
      const lines = text.split('\n');
      this.#rest = lines.pop() ?? '';
      return lines;
    } finally {
      await fh.close();
    }
  }
}

export interface WatchOptions {
  prefix: string;
  /** SCR_WATCHDOG_TIMEOUT, seconds (> 0). */
  timeout: number;
  run: Run;
  /** Called once when the run is taken for hung, before it is killed. */
  onHang: (idle: number, newest: number | undefined) => void;
}

export interface Watch {
  /** Whether the watchdog killed the run. */
  fired(): boolean;
  stop(): void;
}

/** Watches one run from its launch: polls the event log every timeout/10 (at most every second). */
export async function watchRun(o: WatchOptions): Promise<Watch> {
  const tail = new LogTail(o.prefix);
  await tail.skipToEnd();
  let last = Date.now();
  let newest: number | undefined;
  let fired = false;
  let busy = false;
  const timer = setInterval(() => {
    if (busy || fired) return;
    busy = true;
    void tail.read().then((lines) => {
      for (const l of lines) {
        const kind = l.split(' ', 3)[1];
        if (!kind || !PROGRESS.has(kind)) continue;
        last = Date.now();
        const id = /\bid=(\d+)/.exec(l)?.[1];
        if (kind === 'CHECKPOINT' && id) newest = Number(id);
      }
      const idle = (Date.now() - last) / 1000;
      if (idle >= o.timeout && !fired) {
        fired = true;
        clearInterval(timer);
        o.onHang(idle, newest);
        o.run.kill('SIGKILL');
      }
    }, () => undefined).finally(() => { busy = false; });
  }, Math.min(1000, Math.max(50, o.timeout * 100)));
  return { fired: () => fired, stop: () => clearInterval(timer) };
}
