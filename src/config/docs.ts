// docs/config.md and scr.conf.example, generated from the schema (scripts/gen-docs.mjs writes
// them; test/unit/config/docs.test.ts fails when the committed files differ).
import { DESCRIPTORS, type ParamDef, PARAMS } from './schema.js';
import { componentMaxBytes } from './values.js';

const READERS = { library: 'library', commands: 'commands', both: 'library, commands' } as const;

function defaultText(p: { default: ParamDef['default']; defaultDoc?: string }): string {
  if (p.defaultDoc) return p.defaultDoc;
  if (typeof p.default === 'function') return '(computed)';
  return p.default === null ? '(unset)' : p.default;
}

function allowedText(p: { type: string; allowed?: readonly string[]; min?: number; max?: number; componentPrefix?: string; words?: readonly string[] }): string {
  if (p.allowed) return p.allowed.join(' | ');
  if (p.type === 'component') return `directory name (no / or NUL, not . or .., ≤ ${componentMaxBytes(p.componentPrefix)} bytes)`;
  const range = p.min !== undefined && p.max !== undefined ? ` ${p.min}–${p.max}` : p.min !== undefined ? ` ≥ ${p.min}` : p.max !== undefined ? ` ≤ ${p.max}` : '';
  const kind = { bool: '0 or 1', int: 'integer', float: 'number', bytes: 'bytes (e.g. 4MiB)', string: 'text', component: '', path: 'path', enum: '', hostlist: 'host list' }[p.type];
  return `${kind}${range}${p.words?.length ? ` or ${p.words.join(' or ')}` : ''}`;
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function renderConfigDoc(): string {
  const out: string[] = [];
  out.push('# Configuration', '');
  out.push('<!-- Generated from src/config/schema.ts by `npm run gen:docs`; do not edit by hand. -->', '');
  out.push('Every parameter can be set in the environment, in a configuration file, or by the application',
    'with `config()`. Sources, first match wins:', '',
    '1. environment variables;',
    '2. the user file: `SCR_CONF_FILE`, else `<SCR_PREFIX>/.scrconf`;',
    '3. values the application set with `config()`, saved to `<SCR_PREFIX>/.scr/app.conf` so that the',
    '   commands see them too;',
    '4. the system file: `SCR_SYSTEM_CONF`, else `/etc/scr.conf`;',
    '5. the built-in default.', '',
    '`scr config` prints the effective value of each parameter and where it came from.', '',
    '## File grammar', '',
    'Compatible with SCR\'s `scr.conf`: one entry a line; `#` starts a comment; `KEY=VALUE` (blanks',
    'around `=` are allowed; a value in double quotes may hold blanks); `$VAR` and `${VAR}` in values',
    'are replaced from the environment (an unset variable is an error). Several pairs on one line form',
    'a descriptor named by its first pair. Sizes accept units that are powers of 1024 (`512KB`,',
    '`4MiB`, `1G`); booleans accept `0/1`, `no/yes`, `false/true`, `off/on`. Integers and sizes must be',
    'at most 2^53 − 1 (9007199254740991; larger ones cannot be held exactly and are errors). A',
    '*directory name* (`SCR_USER_NAME`, `SCR_JOB_ID`, `SCR_NODE_NAME`) becomes one path component of',
    '`<base>/<user>/scr.<jobid>/node.<name>`: it must not be empty, `.` or `..`, nor contain `/` or NUL,',
    'and the component must fit in 255 bytes; a bad one is an error for the library and every command',
    'alike, even when it comes from a default such as `$USER` or the hostname.', '',
    'Errors name the key, the source (file and line, or the environment) and, for a misspelt key, the',
    'closest known one. Unknown keys in files are errors; unknown `SCR_*` environment variables are',
    'warnings (other tools may set them). `SCR_PREFIX`, `SCR_CONF_FILE` and `SCR_SYSTEM_CONF` locate',
    'the other sources, so they cannot be set in `<prefix>/.scrconf` or with `config()`; `SCR_PREFIX`',
    'may be set in the environment, in `SCR_CONF_FILE` or in the system file.', '',
    '`<SCR_PREFIX>/.scr` (the index, the halt file, the log, `app.conf`) must be a real directory of the',
    'user\'s own: one that is a symbolic link, not a directory, or owned by another user is refused by',
    'the library and every command (and its `app.conf` is not read). The prefix directory itself may be',
    'shared.', '');
  out.push('## Parameters', '', '| name | type / allowed | default | read by | meaning |', '|---|---|---|---|---|');
  for (const p of PARAMS) out.push(`| \`${p.name}\` | ${esc(allowedText(p))} | ${esc(defaultText(p))} | ${READERS[p.readers]} | ${esc(p.doc)} |`);
  out.push('', 'Defaults that differ from SCR\'s, on purpose: `SCR_CACHE_BYPASS=0` (SCR: 1, which leaves the cache',
    'off unless users know), `SCR_CACHE_SIZE=2` (SCR: 1; a failure while writing a checkpoint still',
    'leaves the previous one), cache and control base `/dev/shm` when writable (SCR: `/tmp`),',
    '`SCR_CRC_ON_COPY=1` (SCR: 0; the CRC is computed in the pass that already reads the data),',
    '`SCR_MPI_BUF_SIZE=1MiB` (SCR: 128 KiB; amortises the per-message cost of the asynchronous binding),',
    '`SCR_LOG_ENABLE=1` (SCR: 0; the log is a small text file in the prefix directory).', '');
  out.push('## Descriptors', '');
  out.push('```', 'STORE=/dev/shm GROUP=NODE COUNT=2', 'CKPT=0 INTERVAL=1 GROUP=NODE STORE=/dev/shm TYPE=XOR SET_SIZE=8',
    'CKPT=1 INTERVAL=4 STORE=/ssd TYPE=RS SET_SIZE=8 SET_FAILURES=2 OUTPUT=1', 'GROUPS=host1 POWER=psu1 SWITCH=0', '```', '');
  out.push('A family of descriptor lines (all `STORE=`, all `CKPT=`, all `GROUPS=` lines) is taken whole from',
    'the first source that has any line of it: a user file with `CKPT=` lines replaces the system',
    'file\'s. `SCR_CACHE_BASE` is always a store (with `GROUP=NODE` and `COUNT=SCR_CACHE_SIZE` unless a',
    '`STORE=` line names it). `CKPT=` lines are used when `SCR_COPY_TYPE=FILE`, as in SCR; otherwise one',
    'descriptor is implied from `SCR_COPY_TYPE`, `SCR_SET_SIZE`, `SCR_SET_FAILURES`, `SCR_GROUP`,',
    '`SCR_CACHE_BASE` and `SCR_CACHE_BYPASS`, and `CKPT=` lines draw a warning. Unlike SCR, `SET_SIZE` on',
    'a `CKPT=` line applies to that descriptor, and `COUNT` on a `CKPT=` line limits that descriptor\'s',
    'cached datasets.', '');
  for (const d of DESCRIPTORS) {
    out.push(`### \`${d.head}=\``, '', `${d.doc} The head value is ${d.headDoc}.`, '');
    if (d.freeKeys) { out.push('Any `NAME=value` pairs follow (NAME in capitals; not NODE or WORLD).', ''); continue; }
    out.push('| key | type / allowed | default | meaning |', '|---|---|---|---|');
    for (const k of d.keys) out.push(`| \`${k.key}\` | ${esc(allowedText(k))} | ${k.fallback ? `\`${k.fallback}\`` : esc(k.default ?? '(unset)')} | ${esc(k.doc)} |`);
    out.push('');
  }
  return out.join('\n');
}

export function renderConfExample(): string {
  const out: string[] = [
    '# scr.conf.example: every scr parameter with its default, generated from src/config/schema.ts.',
    '# Copy what you need to /etc/scr.conf (system), <prefix>/.scrconf or $SCR_CONF_FILE (user).',
    '# Grammar: KEY=VALUE, # comments, $VAR expansion; several pairs on a line form a descriptor.',
    '',
  ];
  for (const p of PARAMS) {
    out.push(`# ${p.doc}`);
    const allowed = allowedText(p);
    if (allowed) out.push(`#   allowed: ${allowed}; read by: ${READERS[p.readers]}`);
    const d = defaultText(p);
    out.push(typeof p.default === 'string' ? `#${p.name}=${p.default}` : `#${p.name}=    # default: ${d}`, '');
  }
  out.push('# Descriptors (see docs/config.md):', '#STORE=/dev/shm GROUP=NODE COUNT=2', '#SCR_COPY_TYPE=FILE',
    '#CKPT=0 INTERVAL=1 GROUP=NODE STORE=/dev/shm TYPE=XOR SET_SIZE=8',
    '#CKPT=1 INTERVAL=4 GROUP=NODE STORE=/dev/shm TYPE=RS SET_SIZE=8 SET_FAILURES=2 OUTPUT=1',
    '#GROUPS=node1 POWER=psu1 SWITCH=0', '');
  return out.join('\n');
}
