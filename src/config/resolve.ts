// Resolution: stack the layers (environment → user file → config() values → system file →
// defaults; first match wins), type every value, and build the store, redundancy and group
// descriptors. All problems are collected and thrown together as one ScrConfigError.
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join, resolve as resolvePath } from 'node:path';
import { checkPrefixScrDirSync, DirSafetyError } from '../common/dirs.js';
import { expandHostlist } from '../common/hostlist.js';
import { describeSource, type Problem, ScrConfigError, type Source } from './errors.js';
import { type DescLine, Layer, layerFromEnv, layerFromText, type Setting } from './layers.js';
import { type DefaultContext, DESCRIPTOR_BY_HEAD, type Env, type KeyDef, PARAM_BY_NAME, PARAMS } from './schema.js';
import { parseValue, type Value, ValueError } from './values.js';

export type Scheme = 'SINGLE' | 'PARTNER' | 'XOR' | 'RS';

export interface StoreDescriptor {
  path: string;
  group: string;
  count: number;
  enabled: boolean;
  mkdir: boolean;
  source: Source;
}

export interface CkptDescriptor {
  index: number;
  interval: number;
  group: string;
  store: string;
  type: Scheme;
  setSize: number;
  setFailures: number;
  /** Datasets of this descriptor kept in cache; null = only the store's COUNT limits. */
  count: number | null;
  output: boolean;
  bypass: boolean;
  enabled: boolean;
  source: Source;
}

export interface Resolved {
  value: Value | null;
  source: Source;
}

export interface LoadOptions {
  env?: Env;
  /** An explicit prefix (a command's --prefix); wins over every source. */
  prefix?: string;
  /** config() values not yet saved to <prefix>/.scr/app.conf (the library's own, before init). */
  appLayer?: Layer;
  cwd?: string;
}

export const APP_CONF = join('.scr', 'app.conf');

function readLayer(path: string, kind: Source['kind'], env: Env, problems: Problem[], required: boolean): Layer | null {
  if (!existsSync(path)) {
    if (required) problems.push({ message: `configuration file ${path} does not exist`, source: { kind } });
    return null;
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    problems.push({ message: `cannot read ${path}: ${(e as Error).message}`, source: { kind } });
    return null;
  }
  return layerFromText(text, kind, path, env, problems);
}

function typed(raw: string, rule: { type: KeyDef['type']; allowed?: readonly string[]; min?: number; max?: number; componentPrefix?: string; words?: readonly string[] },
  what: string, source: Source, problems: Problem[], note = ''): Value | null {
  try {
    return parseValue(raw, rule, (s) => { expandHostlist(s); });
  } catch (e) {
    if (e instanceof ValueError || (e as { code?: string }).code === 'ERR_HOSTLIST') {
      problems.push({ message: `${what} ${e instanceof ValueError ? e.message : (e as Error).message}${note}`, source });
      return null;
    }
    throw e;
  }
}

export class ResolvedConfig {
  constructor(
    readonly values: ReadonlyMap<string, Resolved>,
    readonly stores: readonly StoreDescriptor[],
    readonly ckpts: readonly CkptDescriptor[],
    /** node name → (group name → value) from GROUPS= lines */
    readonly groups: ReadonlyMap<string, Readonly<Record<string, string>>>,
    readonly warnings: readonly string[],
    readonly files: { user: string | null; app: string; system: string },
  ) {}

  get(name: string): Value | null {
    const r = this.values.get(name);
    if (!r) throw new Error(`bug: ${name} is not a configuration parameter`);
    return r.value;
  }

  int(name: string): number { return this.get(name) as number; }
  bool(name: string): boolean { return this.get(name) as boolean; }
  str(name: string): string { return this.get(name) as string; }
  optInt(name: string): number | null { return this.get(name) as number | null; }
  optStr(name: string): string | null { return this.get(name) as string | null; }
  sourceOf(name: string): Source { return this.values.get(name)!.source; }

  /** The redundancy descriptor for a dataset (SPEC §3): output datasets use the OUTPUT=1 one;
   * checkpoints the enabled one with the largest INTERVAL dividing the id. */
  descriptorFor(id: number, opts: { output?: boolean; checkpoint?: boolean } = {}): CkptDescriptor {
    const enabled = this.ckpts.filter((d) => d.enabled);
    if (opts.output) {
      const out = enabled.find((d) => d.output);
      if (out) return out;
      if (!opts.checkpoint) return enabled.find((d) => d.interval === 1) ?? enabled[0]!;
    }
    let best: CkptDescriptor | undefined;
    for (const d of enabled) if (id % d.interval === 0 && (!best || d.interval > best.interval)) best = d;
    return best ?? enabled[0]!;
  }
}

/** Loads the configuration the way the library and every command see it. */
export function loadConfig(opts: LoadOptions = {}): ResolvedConfig {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const problems: Problem[] = [];
  const warnings: string[] = [];

  const envLayer = layerFromEnv(env, warnings);
  // Relative file names are relative to cwd (not to the process's directory).
  const systemPath = env.SCR_SYSTEM_CONF ? resolvePath(cwd, env.SCR_SYSTEM_CONF) : '/etc/scr.conf';
  const system = readLayer(systemPath, 'system file', env, problems, env.SCR_SYSTEM_CONF !== undefined && env.SCR_SYSTEM_CONF !== '');
  const explicitUser = env.SCR_CONF_FILE ? resolvePath(cwd, env.SCR_CONF_FILE) : null;
  const explicitUserLayer = explicitUser ? readLayer(explicitUser, 'user file', env, problems, true) : null;

  // An empty value means "not set here": the next source applies (text parameters excepted, where
  // the empty string is a value; for a directory name it is then an error).
  const isSet = (s: Setting | undefined, type: string): s is Setting => s !== undefined && (type === 'string' || type === 'component' || s.raw.trim() !== '');
  // The prefix locates .scrconf and app.conf, so only sources outside it may set it.
  const prefixSetting = opts.prefix !== undefined ? { raw: opts.prefix, source: { kind: 'command line' } as Source }
    : [envLayer, explicitUserLayer, system].map((l) => l?.params.get('SCR_PREFIX')).find((s) => isSet(s, 'path'));
  const prefix = resolvePath(cwd, prefixSetting?.raw ?? cwd);
  const userPath = explicitUser ?? join(prefix, '.scrconf');
  const user = explicitUserLayer ?? readLayer(userPath, 'user file', env, problems, false);
  const appPath = join(prefix, APP_CONF);
  // app.conf lives in <prefix>/.scr: one that is a symlink or another user's is not read (nor used
  // by anyone: the commands and the library refuse it too), so nobody else can configure this job.
  let scrDirSafe = true;
  try {
    checkPrefixScrDirSync(prefix);
  } catch (e) {
    // Anything else (say, a prefix this user may not search) is left to readLayer, as before.
    if (e instanceof DirSafetyError) {
      problems.push({ message: e.message });
      scrDirSafe = false;
    }
  }
  const app = opts.appLayer ?? (scrDirSafe ? readLayer(appPath, 'config()', env, problems, false) : null);

  for (const [layer, where] of [[explicitUserLayer ? null : user, 'the prefix\'s .scrconf'], [app, 'config()']] as const) {
    for (const name of ['SCR_PREFIX', 'SCR_CONF_FILE', 'SCR_SYSTEM_CONF']) {
      const s = layer?.params.get(name);
      if (s) problems.push({ message: `${name} cannot be set in ${where}, which it helps to locate; set it in the environment${name === 'SCR_PREFIX' ? ' or SCR_CONF_FILE' : ''}`, source: s.source });
    }
  }
  for (const layer of [user, system]) {
    for (const name of ['SCR_CONF_FILE', 'SCR_SYSTEM_CONF']) {
      const s = layer?.params.get(name);
      if (s && !problems.some((p) => p.source === s.source)) problems.push({ message: `${name} can only be set in the environment`, source: s.source });
    }
  }

  const stack = [envLayer, user, app, system].filter((l): l is Layer => l !== null);
  const values = new Map<string, Resolved>();
  const winners = new Set<Setting>();
  // Computed defaults may use the prefix and the parameters resolved before them (the default job
  // id is derived from the user name and the prefix).
  const ctx: DefaultContext = {
    prefix,
    get(name) {
      const r = values.get(name);
      if (!r) throw new Error(`bug: a default reads ${name}, which is not resolved yet; list it earlier in PARAMS`);
      return r.value;
    },
  };
  for (const def of PARAMS) {
    const setting = def.name === 'SCR_PREFIX' ? prefixSetting : stack.map((l) => l.params.get(def.name)).find((s) => isSet(s, def.type));
    if (setting) winners.add(setting);
    if (def.name === 'SCR_PREFIX') {
      values.set(def.name, { value: prefix, source: setting?.source ?? { kind: 'default' } });
      continue;
    }
    if (def.name === 'SCR_CONF_FILE') {
      values.set(def.name, { value: user ? userPath : null, source: explicitUser ? { kind: 'environment' } : { kind: 'default' } });
      continue;
    }
    const source: Source = setting?.source ?? { kind: 'default' };
    const raw = setting?.raw ?? (typeof def.default === 'function' ? def.default(env, ctx) : def.default);
    // A computed default that is not a valid value says where it came from and how to override it.
    const note = !setting && def.defaultDoc ? ` (this is its default: ${def.defaultDoc}; set ${def.name} in the environment or a configuration file)` : '';
    const value = raw === null ? null : typed(raw, def, `${def.name}`, source, problems, note);
    values.set(def.name, { value, source });
  }
  // A bad value is an error even where a higher source overrides it, so a broken file is found
  // whatever the environment of the moment.
  for (const layer of stack) {
    for (const [name, s] of layer.params) {
      const def = PARAM_BY_NAME.get(name)!;
      if (winners.has(s) || def.name === 'SCR_PREFIX' || def.name === 'SCR_CONF_FILE' || !isSet(s, def.type)) continue;
      typed(s.raw, def, def.name, s.source, problems);
    }
  }
  if (values.get('SCR_PREFIX')!.value && !isAbsolute(String(values.get('SCR_PREFIX')!.value))) {
    problems.push({ message: 'SCR_PREFIX must be an absolute path' });
  }

  // Descriptor families: each comes whole from the first source that has any line of it.
  const family = (head: string) => [user, app, system].find((l) => l?.hasFamily(head))?.descriptors.filter((d) => d.head === head) ?? [];
  const get = (name: string) => values.get(name)?.value ?? null;

  const groups = new Map<string, Record<string, string>>();
  for (const d of family('GROUPS')) {
    const g: Record<string, string> = { ...(groups.get(d.name) ?? {}) };
    for (const [k, s] of d.keys) g[k] = s.raw;
    groups.set(d.name, g);
  }
  const groupNames = new Set(['NODE', 'WORLD', ...[...groups.values()].flatMap((g) => Object.keys(g))]);

  const stores: StoreDescriptor[] = [];
  for (const d of family('STORE')) {
    const k = descriptorKeys(d, get, problems);
    const path = resolvePath(cwd, d.name);
    if (stores.some((s) => s.path === path)) { problems.push({ message: `STORE=${d.name} is listed twice`, source: d.source }); continue; }
    stores.push({ path, group: k.GROUP as string, count: k.COUNT as number, enabled: k.ENABLED as boolean, mkdir: k.MKDIR as boolean, source: d.source });
  }
  const cacheBase = get('SCR_CACHE_BASE') === null ? null : resolvePath(cwd, String(get('SCR_CACHE_BASE')));
  if (cacheBase && !stores.some((s) => s.path === cacheBase)) {
    stores.push({ path: cacheBase, group: 'NODE', count: (get('SCR_CACHE_SIZE') as number) ?? 2, enabled: true, mkdir: true, source: { kind: 'implied' } });
  }
  for (const s of stores) {
    if (!groupNames.has(s.group)) problems.push({ message: `STORE=${s.path}: GROUP=${s.group} is not NODE, WORLD or a group from GROUPS= lines`, source: s.source });
  }

  const ckptLines = family('CKPT');
  const copyType = get('SCR_COPY_TYPE') as string | null;
  const ckpts: CkptDescriptor[] = [];
  if (copyType === 'FILE') {
    if (ckptLines.length === 0) problems.push({ message: 'SCR_COPY_TYPE=FILE but no CKPT= lines are configured; add some (see scr.conf.example) or choose a scheme', source: values.get('SCR_COPY_TYPE')!.source });
    for (const d of ckptLines) {
      const index = typed(d.name, { type: 'int', min: 0 }, `CKPT=${d.name}: the index`, d.source, problems);
      const k = descriptorKeys(d, get, problems);
      if (index === null) continue;
      if (ckpts.some((c) => c.index === index)) { problems.push({ message: `CKPT=${index} is defined twice`, source: d.source }); continue; }
      ckpts.push({
        index: index as number, interval: k.INTERVAL as number, group: k.GROUP as string, store: resolvePath(cwd, String(k.STORE)),
        type: k.TYPE as Scheme, setSize: k.SET_SIZE as number, setFailures: k.SET_FAILURES as number, count: (k.COUNT as number | null) ?? null,
        output: k.OUTPUT as boolean, bypass: k.BYPASS as boolean, enabled: k.ENABLED as boolean, source: d.source,
      });
    }
    ckpts.sort((a, b) => a.index - b.index);
    const on = ckpts.filter((c) => c.enabled);
    if (ckpts.length && !on.some((c) => c.interval === 1)) {
      problems.push({ message: 'no enabled CKPT descriptor has INTERVAL=1, so some checkpoints would have none; give one INTERVAL=1', source: ckpts[0]!.source });
    }
    if (on.filter((c) => c.output).length > 1) problems.push({ message: 'more than one enabled CKPT descriptor has OUTPUT=1', source: on.filter((c) => c.output)[1]!.source });
  } else {
    if (ckptLines.length > 0) warnings.push(`CKPT= lines (${describeSource(ckptLines[0]!.source)}) are ignored because SCR_COPY_TYPE=${copyType}; set SCR_COPY_TYPE=FILE to use them`);
    ckpts.push({
      index: 0, interval: 1, group: String(get('SCR_GROUP')), store: cacheBase ?? '', type: (copyType ?? 'XOR') as Scheme,
      setSize: get('SCR_SET_SIZE') as number, setFailures: get('SCR_SET_FAILURES') as number, count: null, output: false,
      bypass: get('SCR_CACHE_BYPASS') as boolean, enabled: true, source: { kind: 'implied' },
    });
  }
  for (const c of ckpts) {
    if (!groupNames.has(c.group)) {
      // The implied descriptor's group is SCR_GROUP: name it and where it was set.
      problems.push(c.source.kind === 'implied'
        ? { message: `SCR_GROUP=${c.group} is not NODE, WORLD or a group from GROUPS= lines`, source: values.get('SCR_GROUP')!.source }
        : { message: `CKPT=${c.index}: GROUP=${c.group} is not NODE, WORLD or a group from GROUPS= lines`, source: c.source });
    }
    if (!stores.some((s) => s.path === c.store)) problems.push({ message: `CKPT=${c.index}: STORE=${c.store} is not a STORE= line nor SCR_CACHE_BASE`, source: c.source });
  }

  if (problems.length) throw new ScrConfigError(problems);
  return new ResolvedConfig(values, stores, ckpts, groups, warnings, { user: user ? userPath : null, app: appPath, system: systemPath });
}

/** Typed keys of one descriptor line: given values, else the key's default or its global fallback. */
function descriptorKeys(d: DescLine, get: (n: string) => Value | null, problems: Problem[]): Record<string, Value | null> {
  const def = DESCRIPTOR_BY_HEAD.get(d.head)!;
  const out: Record<string, Value | null> = {};
  for (const k of def.keys) {
    const s = d.keys.get(k.key);
    if (s) out[k.key] = typed(s.raw, k, `${d.head}=${d.name}: ${k.key}`, s.source, problems);
    else if (k.fallback) out[k.key] = get(k.fallback);
    else out[k.key] = k.default === null ? null : typed(k.default, k, k.key, d.source, problems);
  }
  if (d.head === 'CKPT' && !d.keys.has('TYPE')) {
    // CKPT lines without TYPE take SCR_COPY_TYPE unless that is FILE (which names no scheme).
    const ct = get('SCR_COPY_TYPE');
    out.TYPE = ct && ct !== 'FILE' ? ct : 'XOR';
  }
  return out;
}

export { PARAM_BY_NAME };
