// A layer is what one source says: parameter settings and descriptor lines, each with where it
// was written. Layers are built from files, config() strings and the environment, then stacked
// by resolve.ts.
import { type Entry, GrammarError, parseEntries } from './grammar.js';
import { DESCRIPTOR_BY_HEAD, DESCRIPTORS, type Env, PARAM_BY_NAME, PARAMS } from './schema.js';
import { type Problem, type Source } from './errors.js';
import { didYouMean } from './suggest.js';

export interface Setting {
  raw: string;
  source: Source;
}

export interface DescLine {
  head: 'STORE' | 'CKPT' | 'GROUPS';
  /** The head's value: the store path, the CKPT index, the node name. */
  name: string;
  keys: Map<string, Setting>;
  source: Source;
}

export class Layer {
  readonly params = new Map<string, Setting>();
  readonly descriptors: DescLine[] = [];
  constructor(readonly kind: Source['kind'], readonly file?: string) {}

  sourceAt(line?: number): Source {
    return { kind: this.kind, file: this.file, line };
  }

  hasFamily(head: string): boolean {
    return this.descriptors.some((d) => d.head === head);
  }

  findDescriptor(head: string, name: string): DescLine | undefined {
    return this.descriptors.find((d) => d.head === head && d.name === name);
  }
}

const KNOWN_TOP = [...PARAMS.map((p) => p.name), ...DESCRIPTORS.map((d) => d.head)];
const GROUP_NAME = /^[A-Z][A-Z0-9_]*$/;

/** Why `key` (upper-cased) cannot name a group on the GROUPS= line of `node`, or null if it can. */
export function groupNameProblem(node: string, key: string): string | null {
  if (!GROUP_NAME.test(key) || key === 'NODE' || key === 'WORLD') {
    return `GROUPS=${node}: "${key}" cannot name a group (use capitals, digits and _; NODE and WORLD are built in)`;
  }
  return null;
}

/** Adds one parsed entry to `layer`; problems are collected, not thrown. */
export function addEntry(layer: Layer, entry: Entry, problems: Problem[]): void {
  const source = layer.sourceAt(entry.line);
  const [first, ...rest] = entry.pairs;
  const head = first!.key.toUpperCase();
  const desc = DESCRIPTOR_BY_HEAD.get(head);
  if (desc) {
    if (first!.value === null || first!.value === '') {
      problems.push({ message: `${head} needs a value (${desc.headDoc})`, source });
      return;
    }
    const line: DescLine = { head: desc.head, name: first!.value, keys: new Map(), source };
    for (const p of rest) {
      const key = p.key.toUpperCase();
      if (p.value === null) { problems.push({ message: `${head}=${first!.value}: ${key} needs a value (${key}=...)`, source }); continue; }
      if (desc.freeKeys) {
        const bad = groupNameProblem(first!.value, key);
        if (bad) { problems.push({ message: bad, source }); continue; }
      } else if (!desc.keys.some((k) => k.key === key)) {
        problems.push({ message: `${head} lines have no key ${key}${didYouMean(key, desc.keys.map((k) => k.key))}; known: ${desc.keys.map((k) => k.key).join(', ')}`, source });
        continue;
      }
      line.keys.set(key, { raw: p.value, source });
    }
    layer.descriptors.push(line);
    return;
  }
  const def = PARAM_BY_NAME.get(head);
  if (!def) {
    problems.push({ message: `unknown parameter ${first!.key}${didYouMean(head, KNOWN_TOP)}`, source });
    return;
  }
  if (rest.length > 0) {
    problems.push({ message: `${head} takes a single value; put ${rest.map((p) => p.key).join(', ')} on a line of its own`, source });
    return;
  }
  if (first!.value === null) {
    problems.push({ message: `${head} needs a value (${head}=...)`, source });
    return;
  }
  layer.params.set(def.name, { raw: first!.value, source });
}

/** A layer from the text of a configuration file. */
export function layerFromText(text: string, kind: Source['kind'], file: string, env: Env, problems: Problem[]): Layer {
  const layer = new Layer(kind, file);
  // Malformed lines are reported and skipped, so the rest of the file is still checked.
  const errors: GrammarError[] = [];
  const entries: Entry[] = parseEntries(text, env, errors);
  const reports = [
    ...errors.map((e) => ({ line: e.line, add: () => problems.push({ message: e.message, source: layer.sourceAt(e.line) }) })),
    ...entries.map((entry) => ({ line: entry.line, add: () => addEntry(layer, entry, problems) })),
  ].sort((a, b) => a.line - b.line);
  for (const r of reports) r.add();
  return layer;
}

/** A layer from the environment: known SCR_* variables are settings; unknown ones are warnings
 * (other tools may set them). */
export function layerFromEnv(env: Env, warnings: string[]): Layer {
  const layer = new Layer('environment');
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('SCR_') || v === undefined) continue;
    if (PARAM_BY_NAME.has(k)) layer.params.set(k, { raw: v, source: { kind: 'environment' } });
    else warnings.push(`environment variable ${k} is not an scr parameter${didYouMean(k, PARAMS.map((p) => p.name))}; ignored`);
  }
  return layer;
}
