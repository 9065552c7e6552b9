// scr config: the effective value of every parameter and where it came from, and the resolved
// store, redundancy and group descriptors.
import { describeSource, type Source } from '../../config/errors.js';
import { loadConfig } from '../../config/resolve.js';
import { PARAMS } from '../../config/schema.js';
import { formatValue } from '../../config/values.js';
import { table, toJson } from '../output.js';
import type { CommandSpec } from '../spec.js';

function src(s: Source): { source: string; file?: string; line?: number } {
  return { source: s.kind, ...(s.file ? { file: s.file } : {}), ...(s.line ? { line: s.line } : {}) };
}

export const configCommand: CommandSpec = {
  name: 'config',
  summary: 'show the effective configuration and where each value came from',
  description: 'Sources, first match wins: environment, user file (SCR_CONF_FILE or <prefix>/.scrconf), values the\n' +
    'application set with config() (<prefix>/.scr/app.conf), system file (SCR_SYSTEM_CONF or /etc/scr.conf), defaults.',
  examples: [
    ['scr config', 'every parameter with its value and source, then the descriptors'],
    ['scr config --prefix /p/lustre/me/run1 --json', 'the same as JSON, for a given prefix directory'],
    ['SCR_FLUSH=5 scr config | grep FLUSH', 'check what an environment variable does'],
  ],
  exitCodes: [[0, 'the configuration is valid (warnings may be printed)'], [2, 'the configuration has errors (each is named with its file and line)']],
  configure(cmd) {
    cmd.option('--prefix <dir>', 'prefix directory (default: SCR_PREFIX, else the current directory)')
      .option('--json', 'print JSON');
  },
  async run(_args, opts, io) {
    const cfg = loadConfig({ env: io.env, cwd: io.cwd, prefix: opts.prefix as string | undefined });
    for (const w of cfg.warnings) io.err(`scr config: warning: ${w}\n`);
    const params = PARAMS.map((p) => {
      const r = cfg.values.get(p.name)!;
      return { name: p.name, value: r.value === null ? null : formatValue(r.value), ...src(r.source) };
    });
    if (opts.json) {
      io.out(toJson({
        prefix: cfg.str('SCR_PREFIX'), files: cfg.files, parameters: params,
        stores: cfg.stores.map(({ source, ...s }) => ({ ...s, ...src(source) })),
        descriptors: cfg.ckpts.map(({ source, ...c }) => ({ ...c, ...src(source) })),
        groups: Object.fromEntries(cfg.groups), warnings: cfg.warnings,
      }) + '\n');
      return 0;
    }
    io.out(table(params.map((p) => [p.name, p.value ?? '(unset)', describeSource(cfg.values.get(p.name)!.source)]), ['PARAMETER', 'VALUE', 'SOURCE']));
    io.out('\nStores:\n');
    io.out(table(cfg.stores.map((s) => [s.path, s.group, String(s.count), s.enabled ? 'yes' : 'no', describeSource(s.source)]), ['STORE', 'GROUP', 'COUNT', 'ENABLED', 'SOURCE']));
    io.out('\nRedundancy descriptors:\n');
    io.out(table(cfg.ckpts.map((c) => [String(c.index), String(c.interval), c.type, String(c.setSize), c.type === 'RS' ? String(c.setFailures) : '-',
      c.group, c.store, c.count === null ? '-' : String(c.count), c.output ? 'yes' : 'no', c.bypass ? 'yes' : 'no', c.enabled ? 'yes' : 'no', describeSource(c.source)]),
    ['CKPT', 'INTERVAL', 'TYPE', 'SET_SIZE', 'FAILURES', 'GROUP', 'STORE', 'COUNT', 'OUTPUT', 'BYPASS', 'ENABLED', 'SOURCE']));
    if (cfg.groups.size) {
      io.out('\nGroups:\n');
      io.out(table([...cfg.groups].map(([node, g]) => [node, Object.entries(g).map(([k, v]) => `${k}=${v}`).join(' ')]), ['NODE', 'GROUPS']));
    }
    return 0;
  },
};
