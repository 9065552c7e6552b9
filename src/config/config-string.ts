// The config() call's string forms (SPEC §2): `KEY=VALUE` sets, `KEY=` unsets, `KEY` queries;
// descriptor forms `CKPT=0 TYPE=XOR SET_SIZE=4` (set keys of one descriptor), `CKPT=0 TYPE=`
// (unset a key), `CKPT=0 TYPE` (query a key), `CKPT=0` (query the line), `CKPT=` (drop them all).
// Values set are kept in a Layer that is saved as <prefix>/.scr/app.conf for the commands.
import { expandHostlist } from '../common/hostlist.js';
import { GrammarError, parseEntries } from './grammar.js';
import { type DescLine, groupNameProblem, Layer } from './layers.js';
import { ScrConfigError, type Source } from './errors.js';
import { DESCRIPTOR_BY_HEAD, DESCRIPTORS, type Env, PARAM_BY_NAME, PARAMS } from './schema.js';
import { didYouMean } from './suggest.js';
import { formatValue, parseValue, ValueError } from './values.js';
import type { ResolvedConfig } from './resolve.js';

export type ConfigQuery =
  | { kind: 'param'; name: string }
  | { kind: 'descriptor'; head: string; name: string; key?: string };

const SOURCE: Source = { kind: 'config()' };

function fail(message: string): never {
  throw new ScrConfigError([{ message, source: SOURCE }]);
}

function check(raw: string, rule: Parameters<typeof parseValue>[1], what: string): void {
  try {
    parseValue(raw, rule, (s) => { expandHostlist(s); });
  } catch (e) {
    if (e instanceof ValueError || (e as { code?: string }).code === 'ERR_HOSTLIST') fail(`${what} ${(e as Error).message}`);
    throw e;
  }
}

/** Applies one config() string to `layer`; returns the query it asks, if it is one. */
export function applyConfigString(layer: Layer, text: string, env: Env = process.env): ConfigQuery | null {
  if (typeof text !== 'string') throw new TypeError(`config: expected a string such as "SCR_FLUSH=2", got ${typeof text}`);
  let entries;
  try {
    entries = parseEntries(text, env);
  } catch (e) {
    if (e instanceof GrammarError) fail(`"${text}": ${e.message}`);
    throw e;
  }
  if (entries.length !== 1) fail(`"${text}": give exactly one setting per call`);
  const [first, ...rest] = entries[0]!.pairs;
  const head = first!.key.toUpperCase();
  const desc = DESCRIPTOR_BY_HEAD.get(head);
  if (!desc) {
    const def = PARAM_BY_NAME.get(head) ?? fail(`unknown parameter ${first!.key}${didYouMean(head, [...PARAMS.map((p) => p.name), ...DESCRIPTORS.map((d) => d.head)])}`);
    if (rest.length) fail(`${head} takes a single value; call config() once per parameter`);
    // A query of a locating parameter is fine; setting or unsetting one is not.
    if (first!.value === null) return { kind: 'param', name: def.name };
    if (def.locating) fail(`${head} cannot be set with config(): it locates the configuration; set it in the environment`);
    if (first!.value === '') { layer.params.delete(def.name); return null; }
    check(first!.value, def, def.name);
    layer.params.set(def.name, { raw: first!.value, source: SOURCE });
    return null;
  }
  if (first!.value === null) fail(`${head} needs a value, as in ${head}=${desc.head === 'CKPT' ? '0 TYPE=XOR' : '...'}`);
  if (first!.value === '') {
    if (rest.length) fail(`${head}= (drop all ${head} lines) takes no other keys`);
    for (let i = layer.descriptors.length - 1; i >= 0; i--) if (layer.descriptors[i]!.head === desc.head) layer.descriptors.splice(i, 1);
    return null;
  }
  const name = first!.value;
  if (desc.head === 'CKPT') check(name, { type: 'int', min: 0 }, `${head}=${name}: the index`);
  const knownKey = (key: string) => {
    if (desc.freeKeys) {
      const bad = groupNameProblem(name, key);
      if (bad) fail(bad);
    } else if (!desc.keys.some((k) => k.key === key)) {
      fail(`${head} lines have no key ${key}${didYouMean(key, desc.keys.map((k) => k.key))}`);
    }
  };
  if (rest.length === 0) return { kind: 'descriptor', head: desc.head, name };
  if (rest.length === 1 && rest[0]!.value === null) {
    const key = rest[0]!.key.toUpperCase();
    knownKey(key);
    return { kind: 'descriptor', head: desc.head, name, key };
  }
  // Check every pair before changing anything, so a failed call leaves the layer as it was.
  const changes: { key: string; value: string }[] = [];
  for (const p of rest) {
    const key = p.key.toUpperCase();
    knownKey(key);
    if (p.value === null) fail(`${head}=${name}: either set keys (${key}=value) or query one key alone`);
    const kdef = desc.keys.find((k) => k.key === key);
    if (kdef && p.value !== '') check(p.value, kdef, `${head}=${name}: ${key}`);
    changes.push({ key, value: p.value });
  }
  let line = layer.findDescriptor(desc.head, name);
  if (!line) {
    if (changes.every((c) => c.value === '')) return null; // unsetting keys of a line that is not there
    line = { head: desc.head, name, keys: new Map(), source: SOURCE } satisfies DescLine;
    layer.descriptors.push(line);
  }
  for (const { key, value } of changes) {
    if (value === '') line.keys.delete(key);
    else line.keys.set(key, { raw: value, source: SOURCE });
  }
  return null;
}

/** Answers a query against the resolved configuration: the value as text, or null if unset. */
export function answerQuery(cfg: ResolvedConfig, q: ConfigQuery): string | null {
  if (q.kind === 'param') {
    const v = cfg.get(q.name);
    return v === null ? null : formatValue(v);
  }
  const describe = (o: Record<string, unknown>) => Object.entries(o).map(([k, v]) => `${k}=${typeof v === 'boolean' ? (v ? 1 : 0) : v}`).join(' ');
  let found: Record<string, unknown> | undefined;
  if (q.head === 'CKPT') {
    const d = cfg.ckpts.find((c) => String(c.index) === q.name);
    if (d) found = { INTERVAL: d.interval, GROUP: d.group, STORE: d.store, TYPE: d.type, SET_SIZE: d.setSize, SET_FAILURES: d.setFailures, ...(d.count !== null ? { COUNT: d.count } : {}), OUTPUT: d.output, BYPASS: d.bypass, ENABLED: d.enabled };
  } else if (q.head === 'STORE') {
    const s = cfg.stores.find((x) => x.path === q.name);
    if (s) found = { GROUP: s.group, COUNT: s.count, ENABLED: s.enabled, MKDIR: s.mkdir };
  } else {
    found = cfg.groups.get(q.name);
  }
  if (!found) return null;
  if (q.key) return found[q.key] === undefined ? null : String(typeof found[q.key] === 'boolean' ? (found[q.key] ? 1 : 0) : found[q.key]);
  return `${q.head}=${q.name} ${describe(found)}`;
}

/** The layer as configuration-file text (what <prefix>/.scr/app.conf holds). */
export function layerToText(layer: Layer): string {
  // Quotes only where needed: a quote inside an unquoted value is kept as written when read back,
  // while quoting a value that holds one would end it early.
  const quote = (v: string) => (/[\s#]/.test(v) || v === '' ? `"${v}"` : v);
  const lines = ['# Written by scr: values the application set with config(). Read by scr commands.'];
  for (const [k, s] of layer.params) lines.push(`${k}=${quote(s.raw)}`);
  for (const d of layer.descriptors) lines.push([`${d.head}=${quote(d.name)}`, ...[...d.keys].map(([k, s]) => `${k}=${quote(s.raw)}`)].join(' '));
  return lines.join('\n') + '\n';
}

export { Layer };
