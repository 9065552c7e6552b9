// The default job id outside a resource manager (SPEC §10): derived per user and prefix, so two
// runs of one user in different prefixes (or two users in one prefix) never share
// <base>/<user>/scr.<jobid>/; the resource manager's id and an explicit SCR_JOB_ID still win; the
// commands compute the same id as loadConfig (the library's) for the same user, prefix and
// environment.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { JOB_ID_VARS, localJobId } from '../../../src/config/schema.js';
import { cleanEnv, scr } from '../../harness/cli.js';
import { useSandbox } from './helpers.js';

const FORM = /^nojob-[0-9a-f]{10}$/;

describe('config: the default job id outside a resource manager', () => {
  const sb = useSandbox();

  it('is nojob- and the first 10 hex digits of SHA-256(user NUL absolute prefix)', () => {
    const s = sb();
    const id = s.load({ USER: 'alice' }).str('SCR_JOB_ID');
    assert.match(id, FORM);
    const want = `nojob-${createHash('sha256').update(`alice\0${s.prefix}`).digest('hex').slice(0, 10)}`;
    assert.equal(id, want);
    assert.equal(localJobId('alice', s.prefix), want);
    assert.equal(s.load({ USER: 'alice' }).sourceOf('SCR_JOB_ID').kind, 'default');
  });

  it('the same user and prefix give the same id, however the prefix is spelt', () => {
    const s = sb();
    const env = { USER: 'alice' };
    const a = s.load(env).str('SCR_JOB_ID'); // the prefix is the current directory
    assert.equal(s.load({ ...env, SCR_PREFIX: s.prefix }).str('SCR_JOB_ID'), a);
    assert.equal(s.load({ ...env, SCR_PREFIX: `${s.prefix}/` }).str('SCR_JOB_ID'), a, 'a trailing slash');
    assert.equal(s.load({ ...env, SCR_PREFIX: 'prefix' }, { cwd: s.root }).str('SCR_JOB_ID'), a, 'relative to cwd');
    assert.equal(s.load(env, { prefix: '../prefix/.' }).str('SCR_JOB_ID'), a, 'a command\'s --prefix');
  });

  it('different prefixes give different ids', () => {
    const s = sb();
    const other = join(s.root, 'other');
    mkdirSync(other);
    const a = s.load({ USER: 'alice' }).str('SCR_JOB_ID');
    const b = s.load({ USER: 'alice', SCR_PREFIX: other }).str('SCR_JOB_ID');
    assert.match(b, FORM);
    assert.notEqual(a, b);
    assert.equal(b, localJobId('alice', other));
  });

  it('different users give different ids, and a user name set by the user is the one used', () => {
    const s = sb();
    const alice = s.load({ USER: 'alice' }).str('SCR_JOB_ID');
    const bob = s.load({ USER: 'bob' }).str('SCR_JOB_ID');
    assert.match(bob, FORM);
    assert.notEqual(alice, bob);
    // SCR_USER_NAME, from any source, is the user name the id is derived from.
    assert.equal(s.load({ USER: 'bob', SCR_USER_NAME: 'alice' }).str('SCR_JOB_ID'), alice);
    s.writeSystem('SCR_USER_NAME=carol\n');
    assert.equal(s.load({ USER: 'bob' }).str('SCR_JOB_ID'), localJobId('carol', s.prefix));
  });

  it('the resource manager\'s job id wins over the derived one', () => {
    const s = sb();
    for (const v of JOB_ID_VARS) {
      const cfg = s.load({ USER: 'alice', [v]: `77.${v}` });
      assert.equal(cfg.str('SCR_JOB_ID'), `77.${v}`, v);
      assert.equal(cfg.sourceOf('SCR_JOB_ID').kind, 'default', v);
    }
    assert.equal(s.load({ USER: 'alice', SLURM_JOB_ID: '', PBS_JOBID: '9' }).str('SCR_JOB_ID'), '9', 'an empty variable is not an id');
  });

  it('array elements of LSF and Grid Engine (which share one job id) get their own: <id>.<index>; Grid Engine\'s JOB_ID only beside SGE_ROOT', () => {
    const s = sb();
    assert.equal(s.load({ USER: 'a', LSB_JOBID: '12', LSB_JOBINDEX: '0' }).str('SCR_JOB_ID'), '12');
    assert.equal(s.load({ USER: 'a', LSB_JOBID: '12', LSB_JOBINDEX: '7' }).str('SCR_JOB_ID'), '12.7');
    assert.equal(s.load({ USER: 'a', SGE_ROOT: '/sge', JOB_ID: '31', SGE_TASK_ID: 'undefined' }).str('SCR_JOB_ID'), '31');
    assert.equal(s.load({ USER: 'a', SGE_ROOT: '/sge', JOB_ID: '31', SGE_TASK_ID: '2' }).str('SCR_JOB_ID'), '31.2');
    assert.match(s.load({ USER: 'a', JOB_ID: '31' }).str('SCR_JOB_ID'), /^nojob-/, 'a JOB_ID alone is not Grid Engine\'s');
  });

  it('an explicit SCR_JOB_ID wins over both', () => {
    const s = sb();
    assert.equal(s.load({ USER: 'alice', SCR_JOB_ID: 'mine' }).str('SCR_JOB_ID'), 'mine');
    assert.equal(s.load({ USER: 'alice', SLURM_JOB_ID: '12', SCR_JOB_ID: 'mine' }).str('SCR_JOB_ID'), 'mine');
    s.writeUser('SCR_JOB_ID=fromfile\n');
    const cfg = s.load({ USER: 'alice' });
    assert.equal(cfg.str('SCR_JOB_ID'), 'fromfile');
    assert.equal(cfg.sourceOf('SCR_JOB_ID').kind, 'user file');
  });

  it('scr env and scr config print the id loadConfig gives, for the same user and prefix', () => {
    const s = sb();
    const other = join(s.root, 'other');
    mkdirSync(other);
    // The child sees its cwd through realpath (a symlinked tmp dir), so compare for that spelling.
    const prefix = realpathSync(s.prefix);
    const env = cleanEnv({ USER: 'alice', SCR_SYSTEM_CONF: s.system });
    for (const k of JOB_ID_VARS) delete env[k];
    const lib = (p: string) => s.load({ USER: 'alice' }, { prefix: p }).str('SCR_JOB_ID');
    const viaEnv = scr(['env', '--jobid'], { cwd: prefix, env });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal(viaEnv.stdout, `${lib(prefix)}\n`);
    const viaOpt = scr(['env', '--jobid', '--prefix', other], { cwd: prefix, env });
    assert.equal(viaOpt.stdout, `${lib(other)}\n`);
    assert.notEqual(viaOpt.stdout, viaEnv.stdout);
    const conf = scr(['config', '--json'], { cwd: s.root, env: { ...env, SCR_PREFIX: other } });
    assert.equal(conf.code, 0, conf.stderr);
    const param = (JSON.parse(conf.stdout) as { parameters: { name: string; value: unknown }[] }).parameters.find((p) => p.name === 'SCR_JOB_ID');
    assert.equal(param?.value, lib(other));
  });

  it('a symlinked spelling of a prefix is a different prefix (the path is not resolved through links)', () => {
    const s = sb();
    const link = join(s.root, 'link');
    symlinkSync(s.prefix, link);
    // Documented behaviour: the id follows the absolute path given, as the cache paths do.
    assert.notEqual(s.load({ USER: 'alice' }).str('SCR_JOB_ID'), s.load({ USER: 'alice', SCR_PREFIX: link }).str('SCR_JOB_ID'));
  });
});
