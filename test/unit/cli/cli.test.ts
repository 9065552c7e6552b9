// The command-line skeleton: help, version, errors, SCR-style names.
import assert from 'node:assert/strict';
import { readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { COMMANDS } from '../../../src/cli/commands/index.js';
import { commandFromProgramName } from '../../../src/cli/run.js';
import { SCR_BIN, scr, tempDir } from '../../harness/cli.js';

describe('scr (the CLI skeleton)', function () {
  this.timeout(60_000);

  it('--help lists every command with its summary', () => {
    const r = scr(['--help']);
    assert.equal(r.code, 0);
    for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`${c.name}\\b.*${c.summary.slice(0, 20).replace(/[()]/g, '.')}`));
  });

  it('every command has --help with examples and exit codes', () => {
    for (const c of COMMANDS) {
      const r = scr([c.name, '--help']);
      assert.equal(r.code, 0, `${c.name} --help`);
      assert.match(r.stdout, /Examples:\n {2}\$ scr /, `${c.name} shows examples`);
      assert.match(r.stdout, /Exit codes:\n {2}0 /, `${c.name} documents exit codes`);
      assert.ok(c.examples.length >= 1 && c.exitCodes.some(([n]) => n === 0));
    }
  });

  it('--version prints the package version', () => {
    const pkg = JSON.parse(readFileSync(join(SCR_BIN, '..', '..', '..', '..', 'package.json'), 'utf8')) as { version: string };
    const r = scr(['--version']);
    assert.equal(r.code, 0);
    assert.equal(r.stdout.trim(), pkg.version);
  });

  it('an unknown command or option exits 2 with a one-line error and no stack trace', () => {
    const r = scr(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
    const o = scr(['hostlist', '--bogus', 'n1']);
    assert.equal(o.code, 2);
    assert.match(o.stderr, /unknown option '--bogus'/);
  });

  it('SCR-style names run the command: scr_hostlist is scr hostlist', () => {
    const dir = tempDir('alias');
    try {
      const link = join(dir, 'scr_hostlist');
      symlinkSync(SCR_BIN, link);
      const r = scr(['--compress', 'n1', 'n2', 'n3'], { bin: link });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'n[1-3]\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(commandFromProgramName('/usr/bin/scr_list_down_nodes'), 'list-down-nodes');
    assert.equal(commandFromProgramName('/usr/bin/scr'), undefined);
  });
});
