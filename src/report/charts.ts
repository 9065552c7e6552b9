// The report's plots as Vega-Lite specs (https://vega.github.io/vega-lite/), built from the summary
// (src/report/summary.ts). Each layer has a name, so its marks are the SVG group `<name>_marks`:
// one mark per run, checkpoint, flush or failure. Rendered to SVG by src/report/svg.ts.
import type { TopLevelSpec } from 'vega-lite';
import type { Summary } from './summary.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const MIB = 2 ** 20;
export const LANES = ['runs', 'checkpoints (cache)', 'flushes (file system)', 'failures'] as const;
const time = { field: 'time', type: 'temporal' as const, title: 'time (UTC)', scale: { type: 'utc' as const }, axis: { format: '%H:%M:%S' } };

/** Runs as bars from launch to end, checkpoints, flushes and failures as points, one lane each. */
export function timelineSpec(s: Summary): TopLevelSpec {
  const lane = { field: 'lane', type: 'nominal' as const, title: null, sort: [...LANES], scale: { domain: [...LANES] } };
  return {
    $schema: SCHEMA,
    title: 'Timeline of runs, checkpoints, flushes and failures',
    width: 720,
    height: 160,
    layer: [
      {
        name: 'runs',
        data: { values: s.runs.map((r) => ({ time: r.start, end: Math.max(r.end, r.start + 1), lane: LANES[0], outcome: r.failed ? 'failed' : 'ended', run: `run ${r.index}` })) },
        mark: { type: 'bar', height: 14 },
        encoding: {
          x: time, x2: { field: 'end' }, y: lane,
          color: { field: 'outcome', type: 'nominal', title: 'run', scale: { domain: ['ended', 'failed'], range: ['#4c78a8', '#e45756'] } },
        },
      },
      {
        name: 'checkpoints',
        data: { values: s.checkpoints.map((c) => ({ time: c.time, lane: LANES[1], name: c.name })) },
        mark: { type: 'point', filled: true, color: '#54a24b' },
        encoding: { x: time, y: lane },
      },
      {
        name: 'flushes',
        data: { values: s.flushList.map((f) => ({ time: f.time, lane: LANES[2], name: f.name })) },
        mark: { type: 'point', shape: 'diamond', filled: true, color: '#f58518' },
        encoding: { x: time, y: lane },
      },
      {
        name: 'failures',
        data: { values: s.failures.map((f) => ({ time: f.time, lane: LANES[3], cause: f.cause })) },
        mark: { type: 'point', shape: 'cross', filled: true, size: 120, color: '#e45756' },
        encoding: { x: time, y: lane },
      },
    ],
  };
}

/** Each cache checkpoint's blocking seconds at the time it completed, coloured by run. */
export function costSpec(s: Summary): TopLevelSpec {
  return {
    $schema: SCHEMA,
    title: 'Checkpoint cost over time',
    width: 720,
    height: 220,
    layer: [{
      name: 'cost',
      data: { values: s.checkpoints.map((c) => ({ time: c.time, blocking: c.blocking, run: `run ${c.run}` })) },
      mark: { type: 'point', filled: true },
      encoding: {
        x: time,
        y: { field: 'blocking', type: 'quantitative', title: 'blocking seconds' },
        color: { field: 'run', type: 'nominal', title: 'run' },
      },
    }],
  };
}

/** Bandwidth of each level over all its transfers (bars), and of each transfer (points). */
export function bandwidthSpec(s: Summary): TopLevelSpec {
  const levels = [['cache', s.levels.cache.mibPerSecond], ['file system', s.levels.fileSystem.mibPerSecond]] as const;
  const each = [
    ...s.checkpoints.filter((c) => c.seconds > 0).map((c) => ({ level: 'cache', mibs: c.bytes / MIB / c.seconds })),
    ...s.flushList.filter((f) => f.seconds > 0).map((f) => ({ level: 'file system', mibs: f.bytes / MIB / f.seconds })),
  ];
  const x = { field: 'level', type: 'nominal' as const, title: 'level', sort: ['cache', 'file system'], scale: { domain: ['cache', 'file system'] }, axis: { labelAngle: 0 } };
  const y = { field: 'mibs', type: 'quantitative' as const, title: 'bandwidth (MiB/s)' };
  return {
    $schema: SCHEMA,
    title: 'Bandwidth per level',
    width: 320,
    height: 220,
    layer: [
      {
        name: 'bandwidth',
        data: { values: levels.filter(([, v]) => v !== null).map(([level, mibs]) => ({ level, mibs })) },
        mark: { type: 'bar', color: '#9ecae9' },
        encoding: { x, y },
      },
      {
        name: 'transfers',
        data: { values: each },
        mark: { type: 'point', filled: true, color: '#4c78a8', opacity: 0.7 },
        encoding: { x, y },
      },
    ],
  };
}
