// A link checker for the repository's Markdown: finds every link in a file (outside code), and
// checks each relative one: the target stays inside the repository, the file or directory exists,
// and a `#anchor` names a heading of the target Markdown file (GitHub's heading ids). Links with a
// scheme (https:, mailto:) are not followed; absolute paths and file: links are reported, since a
// clone or the rendered page on GitHub cannot resolve them.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

/** One link as written: the file (relative to the root), its 1-based line, and the target. */
export interface DocLink { file: string; line: number; target: string }

/** A link that does not resolve, with the reason in words. */
export interface BrokenLink extends DocLink { reason: string }

/**
 * GitHub's id for a heading's text: inline markup dropped (code ticks, emphasis, link targets),
 * lower case, every character that is not a letter, digit, mark, space, '-' or '_' removed, each
 * space turned into '-'.
 */
export function githubSlug(heading: string): string {
  // Code spans are literal; outside them, backslash escapes are literal, [text](url) keeps its
  // text and unescaped <tags> are HTML (GitHub drops them).
  const text = heading.trim().split(/(`+[^`]*`+)/).map((part, i) => {
    if (i % 2 === 1) return part.replace(/^`+|`+$/g, '');
    const escaped: string[] = [];
    return part
      .replace(/\\([!-\/:-@[-`{-~])/g, (_m, c: string) => `\u0000${escaped.push(c) - 1}\u0000`)
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/<\/?[A-Za-z][^>]*>/g, '')
      .replace(/\u0000(\d+)\u0000/g, (_m, n: string) => escaped[Number(n)]!);
  }).join('').toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** Lines of a Markdown text with code (fenced and indented blocks, code spans) blanked out. */
function proseLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  const out: string[] = [];
  let fence: string | null = null;
  let prevBlank = true;
  let inCode = false;   // inside an indented code block
  let inList = false;   // inside a list item, whose continuation lines are indented too
  for (const line of lines) {
    const blank = line.trim() === '';
    if (fence !== null) {
      if (line.trim().startsWith(fence)) fence = null;
      out.push('');
      prevBlank = blank;
      continue;
    }
    const open = /^ {0,3}(`{3,}|~{3,})/.exec(line);
    if (open) { fence = open[1]!; out.push(''); prevBlank = false; continue; }
    const indented = /^( {4}|\t)/.test(line);
    if (blank) { out.push(''); prevBlank = true; continue; }
    if (indented && !inList && (prevBlank || inCode)) { inCode = true; out.push(''); prevBlank = false; continue; }
    inCode = false;
    if (/^\s*([-*+]|\d+[.)])\s/.test(line)) inList = true;
    else if (!indented && prevBlank) inList = false;
    prevBlank = false;
    out.push(line.replace(/(`+)(?:(?!\1)[\s\S])*?\1/g, (m) => ' '.repeat(m.length)));
  }
  return out;
}

/** The heading ids of a Markdown text, duplicates numbered -1, -2 … as GitHub does; plus HTML ids. */
export function headingIds(text: string): Set<string> {
  const ids = new Set<string>();
  const seen = new Map<string, number>();
  const add = (slug: string): void => {
    const n = seen.get(slug);
    seen.set(slug, (n ?? -1) + 1);
    ids.add(n === undefined ? slug : `${slug}-${n + 1}`);
  };
  const lines = proseLines(text);
  const raw = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    // The heading text comes from the raw line, so code spans in it count.
    const atx = /^ {0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$/.exec(line);
    if (atx) { add(githubSlug((/^ {0,3}#{1,6}\s+(.*?)(?:\s+#+)?\s*$/.exec(raw[i]!)?.[1]) ?? '')); continue; }
    const next = lines[i + 1];
    if (line.trim() !== '' && next !== undefined && /^ {0,3}(=+|-+)\s*$/.test(next)
        && !/^\s*([-*+]|\d+[.)])\s/.test(line) && !line.includes('|')) {
      add(githubSlug(raw[i]!));
    }
  }
  for (const m of text.matchAll(/<a\s[^>]*(?:name|id)="([^"]+)"/g)) ids.add(m[1]!);
  return ids;
}

/** Every link target written in a Markdown text outside code, with its line. */
export function findLinks(text: string): { line: number; target: string }[] {
  const found: { line: number; target: string }[] = [];
  proseLines(text).forEach((line, i) => {
    // [text](target) or [text](<target> "title"); the text may hold one level of brackets.
    for (const m of line.matchAll(/\]\(\s*(<[^>]*>|[^)\s]*)(?:\s+"[^"]*")?\s*\)/g)) {
      found.push({ line: i + 1, target: m[1]!.replace(/^<|>$/g, '') });
    }
    const def = /^ {0,3}\[[^\]]+\]:\s*(\S+)/.exec(line);
    if (def) found.push({ line: i + 1, target: def[1]!.replace(/^<|>$/g, '') });
    for (const m of line.matchAll(/<a\s[^>]*href="([^"]+)"/g)) found.push({ line: i + 1, target: m[1]! });
  });
  return found;
}

/** The Markdown files to check: top-level *.md, and every *.md under the given directories. */
export function markdownFiles(root: string, dirs: readonly string[] = ['docs', 'examples']): string[] {
  const files = readdirSync(root).filter((f) => f.endsWith('.md')).sort();
  for (const d of dirs) {
    if (!existsSync(join(root, d))) continue;
    const under = readdirSync(join(root, d), { recursive: true }).map(String)
      .filter((f) => f.endsWith('.md') && !f.split(/[\\/]/).includes('node_modules')).sort();
    files.push(...under.map((f) => join(d, f)));
  }
  return files;
}

/** Checks the links of the given files (relative to root); returns the broken ones. */
export function checkLinks(root: string, files: readonly string[]): BrokenLink[] {
  const broken: BrokenLink[] = [];
  const idCache = new Map<string, Set<string>>();
  const ids = (abs: string): Set<string> => {
    let s = idCache.get(abs);
    if (!s) { s = headingIds(readFileSync(abs, 'utf8')); idCache.set(abs, s); }
    return s;
  };
  const top = resolve(root);
  for (const file of files) {
    const abs = resolve(top, file);
    for (const { line, target } of findLinks(readFileSync(abs, 'utf8'))) {
      const bad = (reason: string): void => { broken.push({ file, line, target, reason }); };
      if (/^[a-z][a-z0-9+.-]*:/i.test(target) && !/^file:/i.test(target)) continue; // https:, mailto: …
      if (/^file:/i.test(target) || isAbsolute(target)) { bad('an absolute path: a clone or GitHub cannot resolve it; link relative to the file'); continue; }
      const hash = target.indexOf('#');
      const pathPart = hash >= 0 ? target.slice(0, hash) : target;
      let anchor = hash >= 0 ? target.slice(hash + 1) : null;
      let path: string;
      try {
        path = decodeURIComponent(pathPart.replace(/\?.*$/, ''));
        if (anchor !== null) anchor = decodeURIComponent(anchor);
      } catch { bad('not a valid URL (bad % escape)'); continue; }
      const dest = path === '' ? abs : resolve(dirname(abs), path);
      const rel = relative(top, dest);
      if (rel.startsWith('..') || isAbsolute(rel)) { bad('leaves the repository: a clone does not have it'); continue; }
      if (!existsSync(dest)) { bad(`no such file: ${rel}`); continue; }
      if (anchor === null || anchor === '') continue;
      if (!dest.endsWith('.md') || statSync(dest).isDirectory()) continue; // line anchors of source files are GitHub's
      if (!ids(dest).has(anchor)) bad(`no heading with the id "${anchor}" in ${rel}`);
    }
  }
  return broken;
}

/** One line per broken link: "file:line: target — reason". */
export function describeBroken(broken: readonly BrokenLink[]): string {
  return broken.map((b) => `${b.file}:${b.line}: ${b.target} — ${b.reason}`).join('\n');
}
