// The summary (src/report/summary.ts) as rows of text, shared by the terminal output
// (src/cli/report-text.ts) and the HTML page (src/report/html.ts), so both say the same.
import { humanBytes } from '../common/bytes.js';
import type { IntervalAdvice } from './advice.js';
import type { Summary } from './summary.js';

export interface Table { title: string; header: string[]; rows: string[][] }

export const seconds = (s: number | null): string => (s === null ? '-' : s >= 100 ? `${s.toFixed(0)} s` : s >= 1 ? `${s.toFixed(2)} s` : `${(s * 1000).toFixed(1)} ms`);
export const rate = (m: number | null): string => (m === null ? '-' : `${m >= 100 ? m.toFixed(0) : m.toFixed(1)} MiB/s`);
export const utc = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z'));
const share = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)} %`);

/** Label and value of the headline numbers. */
export function overview(s: Summary): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ['events', `${s.events} from ${utc(s.first)} to ${utc(s.last)}`],
    ['jobs', String(s.jobs.length)],
    ['runs', `${s.runs.length} (${s.runs.filter((r) => r.failed).length} failed), ${seconds(s.runSeconds)} in all`],
    ['checkpoints', `${s.levels.cache.count} in cache, ${s.levels.fileSystem.count} flushed to the file system (${s.flushes.sync} sync, ${s.flushes.async} async)`],
    ['time spent checkpointing', `${seconds(s.blockingSeconds)} of ${seconds(s.runSeconds)} run time: ${share(s.checkpointShare)}`],
    ['failures', `${s.failures.length}, ${seconds(s.failures.reduce((a, f) => a + f.lostSeconds, 0))} of work lost`],
    ['restarts', s.restarts.length ? s.restarts.map((r) => `${r.name} (${r.from})`).join(', ') : 'none'],
  ];
  if (s.outputs) rows.push(['outputs', String(s.outputs)]);
  if (s.fetches || s.rebuilds || s.scavenges) rows.push(['fetches, rebuilds, scavenges', `${s.fetches}, ${s.rebuilds}, ${s.scavenges}`]);
  if (s.halts.length) rows.push(['halts', s.halts.join('; ')]);
  if (s.excludedNodes.length) rows.push(['nodes left out at the start', s.excludedNodes.join(',')]);
  if (s.index) rows.push(['on the file system (index)', `${s.index.datasets} dataset(s), ${s.index.flushedCheckpoints} flushed checkpoint(s), ${humanBytes(s.index.bytes)}; current: ${s.index.current ?? 'none'}`]);
  const unknown = Object.entries(s.unknownKinds);
  if (unknown.length) rows.push(['kinds this version does not know', unknown.map(([k, n]) => `${k} (${n})`).join(', ')]);
  return rows;
}

export function levelsTable(s: Summary): Table {
  const row = (name: string, l: Summary['levels']['cache']) =>
    [name, String(l.count), humanBytes(l.bytes), seconds(l.medianBlocking), seconds(l.worstBlocking), seconds(l.medianSeconds), rate(l.mibPerSecond)];
  return { title: 'Checkpoints per level', header: ['LEVEL', 'COUNT', 'BYTES', 'MEDIAN BLOCKING', 'WORST BLOCKING', 'MEDIAN TIME', 'BANDWIDTH'],
    rows: [row('cache', s.levels.cache), row('file system', s.levels.fileSystem)] };
}

export function runsTable(s: Summary): Table {
  return { title: 'Runs', header: ['RUN', 'JOB', 'START', 'TIME', 'CHECKPOINTS', 'BLOCKING', 'END'],
    rows: s.runs.map((r) => [String(r.index), r.job === null ? '-' : `${r.job}${r.run !== null ? ` #${r.run}` : ''}`, utc(r.start), seconds(r.seconds), String(r.checkpoints), seconds(r.blockingSeconds),
      r.failed ? `failed: ${s.failures.find((f) => f.run === r.index)?.cause ?? ''}` : r.source === 'wrapper' ? `exit ${r.exit ?? '?'}` : r.finalized ? 'finalized' : 'no FINALIZE (last run)']) };
}

export function failuresTable(s: Summary): Table {
  return { title: 'Failures', header: ['RUN', 'AT', 'CAUSE', 'NODES DOWN', 'LAST CHECKPOINT', 'WORK LOST'],
    rows: s.failures.map((f) => [String(f.run), utc(f.time), f.cause, f.nodesDown.join(',') || '-', f.lastCheckpoint ?? 'none', seconds(f.lostSeconds)]) };
}

export function restartsTable(s: Summary): Table {
  return { title: 'Restarts', header: ['RUN', 'AT', 'CHECKPOINT', 'FROM'], rows: s.restarts.map((r) => [String(r.run), utc(r.time), r.name, r.from]) };
}

/** How often to checkpoint (src/report/advice.ts): the inputs, then each model's advice. */
export function adviceTable(a: IntervalAdvice): Table {
  const pct = (x: number | null) => (x === null ? '-' : `${(x * 100).toFixed(1)} %`);
  const rows: string[][] = [
    ['cost of a cache checkpoint (writing + blocking, median)', seconds(a.cacheCost)],
    ['cost a flush adds (synchronous, median)', seconds(a.flushCost)],
    ['mean time between failures', a.mtbf ? `${seconds(a.mtbf.seconds)} (${a.mtbf.source === 'observed' ? 'observed across the runs' : 'SCR_MTBF'})` : '-'],
    ['interval used (compute between checkpoints, median)', seconds(a.current.interval)],
    ['cache checkpoints per flush used', a.current.flush === null ? '-' : String(a.current.flush)],
  ];
  if (a.single) {
    rows.push(['Young\'s interval', seconds(a.single.young)], ['Daly\'s interval', seconds(a.single.daly)],
      ['expected waste at Daly\'s interval', pct(a.single.wasteAtDaly)], ['expected waste at the interval used', pct(a.single.wasteNow)]);
  }
  if (a.twoLevel) {
    rows.push(['failures the cache survived', pct(a.twoLevel.cacheShare)],
      ['two levels: cache interval', seconds(a.twoLevel.interval)],
      ['two levels: SCR_FLUSH', a.twoLevel.flush === null ? 'none needed' : String(a.twoLevel.flush)],
      ['two levels: waste advised / used (first order)', `${pct(a.twoLevel.waste)} / ${pct(a.twoLevel.wasteNow)}`]);
  }
  for (const n of a.notes) rows.push(['note', n]);
  return { title: 'How often to checkpoint', header: ['', ''], rows };
}
