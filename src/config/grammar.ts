// The text grammar shared by configuration files and config() strings (compatible with SCR's
// scr.conf): one entry a line; `#` starts a comment; an entry is one or more KEY=VALUE pairs
// separated by blanks (spaces around `=` allowed); a value may be "double quoted" to hold blanks;
// $VAR and ${VAR} are replaced from the environment. Several pairs on a line form a descriptor
// whose first pair names it (STORE=/dev/shm GROUP=NODE COUNT=2).

export interface Pair {
  key: string;
  /** null when the key stands alone (a config() query). */
  value: string | null;
}

export interface Entry {
  line: number;
  pairs: Pair[];
}

export class GrammarError extends Error {
  constructor(message: string, readonly line: number) {
    super(message);
  }
}

type Env = Record<string, string | undefined>;

/** Replaces $VAR and ${VAR}; an unset variable is an error (an empty path is never what was meant). */
export function expandVars(text: string, env: Env, line: number): string {
  return text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, braced: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const v = env[name];
    if (v === undefined) throw new GrammarError(`$${name} is not set in the environment`, line);
    return v;
  });
}

function stripComment(text: string): string {
  let inQuote = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '"') inQuote = !inQuote;
    else if (text[i] === '#' && !inQuote) return text.slice(0, i);
  }
  return text;
}

/** Splits one entry into pairs. */
export function parsePairs(text: string, line: number): Pair[] {
  const pairs: Pair[] = [];
  let i = 0;
  const n = text.length;
  const blank = (c: string | undefined) => c === ' ' || c === '\t';
  while (i < n) {
    while (blank(text[i])) i++;
    if (i >= n) break;
    const km = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i));
    if (!km) throw new GrammarError(`expected a KEY=VALUE pair at "${text.slice(i).trim()}"`, line);
    const key = km[0];
    i += key.length;
    let j = i;
    while (blank(text[j])) j++;
    if (text[j] !== '=') {
      pairs.push({ key, value: null });
      continue;
    }
    i = j + 1;
    while (blank(text[i])) i++;
    let value = '';
    if (text[i] === '"') {
      const end = text.indexOf('"', i + 1);
      if (end < 0) throw new GrammarError(`unterminated quoted value for ${key}`, line);
      value = text.slice(i + 1, end);
      i = end + 1;
    } else {
      const start = i;
      while (i < n && !blank(text[i])) i++;
      value = text.slice(start, i);
    }
    pairs.push({ key, value });
  }
  return pairs;
}

/** Parses a whole file or config() string into entries (comments and blank lines dropped).
 * Without `errors`, the first malformed line throws its GrammarError; with it, each malformed line
 * is recorded there and skipped, so every problem of a file can be reported at once. */
export function parseEntries(text: string, env: Env, errors?: GrammarError[]): Entry[] {
  const out: Entry[] = [];
  text.split(/\r?\n/).forEach((raw, idx) => {
    const line = idx + 1;
    const body = stripComment(raw).trim();
    if (!body) return;
    try {
      // Variables are expanded inside values only, so a value holding blanks or `=` stays one value.
      const pairs = parsePairs(body, line).map((p) => ({ key: p.key, value: p.value === null ? null : expandVars(p.value, env, line) }));
      if (pairs.length) out.push({ line, pairs });
    } catch (e) {
      if (errors && e instanceof GrammarError) { errors.push(e); return; }
      throw e;
    }
  });
  return out;
}
