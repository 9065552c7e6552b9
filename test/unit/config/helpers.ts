// Shared helpers for the configuration tests: a throw-away directory tree per test (prefix,
// system file, user files), loadConfig with an explicit environment and cwd, and assertions on
// ScrConfigError. Nothing here reads the real process environment or /etc/scr.conf.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ScrConfigError } from '../../../src/config/errors.js';
import { type LoadOptions, loadConfig, type ResolvedConfig } from '../../../src/config/resolve.js';
import type { Env } from '../../../src/config/schema.js';

export class Sandbox {
  /** The temp directory holding everything else; also the cwd passed to loadConfig. */
  readonly root: string;
  /** The default prefix (SCR_PREFIX is not set unless a test sets it, and cwd is this directory). */
  readonly prefix: string;
  /** An empty system file; SCR_SYSTEM_CONF points here unless a test overrides it. */
  readonly system: string;

  constructor() {
    this.root = mkdtempSync(join(tmpdir(), 'scr-config-test-'));
    this.prefix = join(this.root, 'prefix');
    mkdirSync(this.prefix);
    this.system = join(this.root, 'system.conf');
    writeFileSync(this.system, '');
  }

  /** Writes `text` to `path` (absolute, or relative to root), creating directories; returns the absolute path. */
  write(path: string, text: string): string {
    const full = path.startsWith('/') ? path : join(this.root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, text);
    return full;
  }

  writeSystem(text: string): string { return this.write(this.system, text); }
  /** <prefix>/.scrconf */
  writeUser(text: string, prefix = this.prefix): string { return this.write(join(prefix, '.scrconf'), text); }
  /** <prefix>/.scr/app.conf */
  writeApp(text: string, prefix = this.prefix): string { return this.write(join(prefix, '.scr', 'app.conf'), text); }

  /** The environment for loadConfig: only SCR_SYSTEM_CONF (the sandbox's system file) plus `extra`. */
  env(extra: Env = {}): Env {
    return { SCR_SYSTEM_CONF: this.system, ...extra };
  }

  /** loadConfig with the sandbox env and cwd = the default prefix directory. */
  load(extra: Env = {}, opts: Omit<LoadOptions, 'env'> = {}): ResolvedConfig {
    return loadConfig({ cwd: this.prefix, ...opts, env: this.env(extra) });
  }

  cleanup(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Creates a fresh Sandbox before each test of the enclosing describe and removes it after. */
export function useSandbox(): () => Sandbox {
  let sb: Sandbox | undefined;
  beforeEach(() => { sb = new Sandbox(); });
  afterEach(() => { sb?.cleanup(); sb = undefined; });
  return () => sb!;
}

/** Asserts that fn throws a ScrConfigError whose message matches every pattern; returns it. */
export function assertConfigError(fn: () => unknown, ...patterns: RegExp[]): ScrConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, 'expected a ScrConfigError, but nothing was thrown');
  assert.ok(caught instanceof ScrConfigError, `expected a ScrConfigError, got ${String(caught)}`);
  assert.equal(caught.code, 'ERR_SCR_CONFIG');
  assert.equal(caught.name, 'ScrConfigError');
  assert.ok(caught.problems.length > 0);
  for (const p of patterns) assert.match(caught.message, p);
  return caught;
}

/** Escapes a string for use inside a RegExp. */
export function re(s: string): RegExp {
  return new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}
