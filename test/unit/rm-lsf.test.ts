// The LSF adapter (src/rm/managers/lsf.ts): its parsers against outputs copied from IBM's and
// others' published material (cited at each), and the adapter, detection and the CLI against the
// stand-in commands of test/fixtures/standin/lsf (each cites where its output format comes from).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/resolve.js';
import { parseLauncherArgs } from '../../src/rm/launcher-args.js';
import { JSRUN, LsfError, LsfRM, launchNode, manager, parseBhosts, parseDjobHostfile, parseLiveJobs, parseLsbHosts, parseMcpuHosts,
  parseRunLimit, parseRunTime, parseTimeLeft } from '../../src/rm/managers/lsf.js';
import { detectRM } from '../../src/rm/registry.js';
import { cleanEnv, scr } from '../harness/cli.js';
import { conformance } from '../harness/rm-conformance.js';
import { LSF_JOB_ID, LSF_LAUNCH_NODE, type LsfFixture, lsfFixture, STANDIN_LSF } from '../harness/standin-lsf.js';

const NODES = ['n1', 'n2', 'n3', 'n4'];
const now = () => Math.floor(Date.now() / 1000);

describe('LSF outputs', () => {
  it('LSB_DJOB_HOSTFILE / LSB_HOSTS: hosts once each, in order, with their slots; a CORAL launch node is found only with jsrun', () => {
    // LSB_HOSTS of a 2-node job on LLNL's Lassen (ExaWorks/psij-python issue #200): the launch node
    // lassen710 once, then each compute host once per slot (40 each).
    const lassen = ['lassen710', ...Array(40).fill('lassen26'), ...Array(40).fill('lassen23')].join(' ');
    const hosts = parseLsbHosts(lassen);
    assert.deepEqual([...hosts], [['lassen710', 1], ['lassen26', 40], ['lassen23', 40]]);
    assert.equal(launchNode(hosts, true), 'lassen710');
    assert.equal(launchNode(hosts, false), null, 'plain LSF: the first host runs ranks');
    assert.deepEqual([...parseDjobHostfile('hostA\nhostA\nhostB\n\n')], [['hostA', 2], ['hostB', 1]]);
    assert.equal(launchNode(parseDjobHostfile('hostA\nhostA\nhostB\n'), true), null, 'a first host with two slots runs ranks');
    assert.equal(launchNode(parseDjobHostfile('hostA\n'), true), null, 'a one-host job has no separate launch node');
  });

  it('LSB_MCPU_HOSTS: "hostA 4 hostB 4"; anything else is an error naming the variable', () => {
    // The form quoted in TACC/launcher issue #57.
    assert.deepEqual([...parseMcpuHosts('hostA 4 hostB 4')], [['hostA', 4], ['hostB', 4]]);
    assert.throws(() => parseMcpuHosts('hostA hostB'), /LSB_MCPU_HOSTS="hostA hostB" is not "host slots host slots …"/);
  });

  it('bhosts -w: unavail, unreach, closed_Adm, closed_Lock and closed_LIM are down; ok, closed_Full, closed_Excl, closed_Busy are not', () => {
    // The header and the first two lines are IBM's example in "Host status"
    // (https://www.ibm.com/docs/SSWRJV_10.1.0/lsf_admin/host_status_lsf.html); the states are those
    // bhosts documents for -l/-w.
    const out = [
      'HOST_NAME          STATUS       JL/U    MAX  NJOBS   RUN  SSUSP  USUSP   RSV',
      'hostA              ok            -      55    2      2    0      0       0',
      'hostB              closed        -      20    16     16   0      0       0',
      'hostC              unavail       -      20    0      0    0      0       0',
      'hostD              unreach       -      20    0      0    0      0       0',
      'hostE              closed_Adm    -      20    0      0    0      0       0',
      'hostF              closed_Full   -      20    20     20   0      0       0',
      'hostG              closed_LIM    -      20    0      0    0      0       0',
      'hostH              closed_Excl   -      20    1      1    0      0       0',
      'hostI              closed_Busy   -      20    3      3    0      0       0',
      'hostJ              closed_Lock   -      20    3      0    3      0       0',
    ].join('\n');
    const down = parseBhosts(out);
    assert.deepEqual([...down.keys()], ['hostC', 'hostD', 'hostE', 'hostG', 'hostJ']);
    assert.equal(down.get('hostC'), 'LSF state unavail (host down, or its LIM and sbatchd unreachable)');
    assert.equal(down.get('hostE'), 'LSF state closed_Adm (closed by the LSF administrator)');
  });

  it('time_left: "h:mm L" counts down the run limit; "-" is none; with an estimate (E, X) the limit less the run time is left', () => {
    // time_left's "hours:minutes status" and its statuses: IBM's bjobs -WL reference
    // (https://www.ibm.com/support/knowledgecenter/SSWRJV_10.1.0/lsf_command_ref/bjobs.__w__l.1.html);
    // "0:12 L" and "-" as LLNL/scr's scripts/LSF/scr_env.in and pyfe/resmgr/lsf.py quote them.
    assert.equal(parseTimeLeft('0:12 L|60.0|2880 second(s)'), 720);
    assert.equal(parseTimeLeft('26:05 L|-|0 second(s)'), 26 * 3600 + 5 * 60);
    assert.equal(parseTimeLeft('00:12:30 L|00:60:00|00:47:30'), 750, 'LSB_HMS_TIME_FORMAT=Y');
    assert.equal(parseTimeLeft('-|-|30 second(s)'), null);
    assert.equal(parseTimeLeft('1:00 E|120.0|600 second(s)'), 7200 - 600);
    assert.equal(parseTimeLeft('0:00 X|-|9000 second(s)'), null, 'an estimate exceeded without a run limit: no end');
    assert.equal(parseTimeLeft(''), null);
  });

  it('runtimelimit in minutes (with /host under ABS_RUNLIMIT=Y) or hh:mm:ss; run_time in seconds', () => {
    // IBM's bjobs -hms reference: "3.0/hostA" is shown as 00:03:00 with -hms.
    assert.equal(parseRunLimit('60.0'), 3600);
    assert.equal(parseRunLimit('3.0/hostA'), 180);
    assert.equal(parseRunLimit('00:03:00'), 180);
    assert.equal(parseRunLimit('-'), null);
    assert.equal(parseRunTime('2880 second(s)'), 2880);
    assert.equal(parseRunTime('01:00:05'), 3605);
    assert.equal(parseRunTime('-'), null);
  });

  it('live jobs: bjobs -o "jobid jobindex" lines; an array element counts as 124 and 124.4 (its caches\' id); LSF ids are digits or 124.4', () => {
    assert.deepEqual([...parseLiveJobs('123     0\n124     4\n')].sort(), ['123', '124', '124.4']);
    assert.equal(parseLiveJobs('').size, 0);
    assert.equal(manager.ownsJobId!('123'), true);
    assert.equal(manager.ownsJobId!('123.4'), true);
    assert.equal(manager.ownsJobId!('123.server'), false);
    assert.equal(manager.ownsJobId!('nojob-0123456789'), false);
  });

  it('jsrun syntax: the wrapper owns --exclude_hosts; valued options are not mistaken for the application', () => {
    const a = parseLauncherArgs({ ...JSRUN, name: 'jsrun' },
      ['--nrs', '2', '-r', '1', '--tasks_per_rs=4', '-c', 'ALL_CPUS', '--exclude_hosts', 'n3,n4', '-E', 'OMP_NUM_THREADS=2', '--smpiargs=-gpu', 'app', '-n', '1']);
    assert.equal(a.exclude, 'n3,n4');
    assert.deepEqual(a.pass, ['--nrs', '2', '-r', '1', '--tasks_per_rs=4', '-c', 'ALL_CPUS', '-E', 'OMP_NUM_THREADS=2', '--smpiargs=-gpu']);
    assert.deepEqual(a.app, ['app', '-n', '1']);
    assert.equal(parseLauncherArgs({ ...JSRUN, name: 'jsrun' }, ['--exclude_hosts=n2', 'x']).exclude, 'n2');
    assert.equal(manager.launchers?.jsrun, JSRUN);
  });

  it('jsrun syntax: the hosts a launch needs come from its resource sets, ceil(--nrs / --rs_per_host), and stay in its options', () => {
    const nodes = (args: string[]) => parseLauncherArgs({ ...JSRUN, name: 'jsrun' }, [...args, 'app']);
    assert.equal(nodes(['--nrs', '2', '-r', '1', '--tasks_per_rs=4']).nodes, 2);
    assert.equal(nodes(['-n', '5', '--rs_per_host=2']).nodes, 3);
    assert.equal(nodes(['-n', '2', '--nrs', '6', '-r', '2']).nodes, 3, 'of -n and --nrs, the later one counts');
    assert.equal(nodes(['--nrs', '6', '-n', '2', '-r', '2']).nodes, 1);
    assert.deepEqual(nodes(['-n', '5', '--rs_per_host=2']).pass, ['-n', '5', '--rs_per_host=2'], 'passed on to jsrun unchanged');
    // Without both, or with a word jsrun expands itself, jsrun chooses: every usable host is offered.
    assert.equal(nodes(['--nrs', '4']).nodes, undefined);
    assert.equal(nodes(['--rs_per_host', '2', '-a', '1']).nodes, undefined);
    assert.equal(nodes(['--nrs', 'ALL', '--rs_per_host', '1']).nodes, undefined);
  });
});

describe('LSF adapter against stand-in commands', function () {
  this.timeout(60_000);
  let state: string;
  let fx: LsfFixture;
  let env: NodeJS.ProcessEnv;
  const calls = () => (existsSync(join(state, 'calls.log')) ? readFileSync(join(state, 'calls.log'), 'utf8').trim().split('\n') : [])
    .map((l) => JSON.parse(l) as { cmd: string; args: string[] });
  const last = (cmd: string) => calls().filter((c) => c.cmd === cmd).at(-1)?.args;
  beforeEach(() => {
    state = mkdtempSync(join(tmpdir(), 'scr-lsf-'));
    fx = lsfFixture(state, NODES);
    env = { ...cleanEnv(fx.env), PATH: `${fx.path}:${process.env.PATH}` };
  });
  afterEach(() => rmSync(state, { recursive: true, force: true }));

  it('nodes: from LSB_DJOB_HOSTFILE without the launch node, from LSB_MCPU_HOSTS without the file; the launch node stays without jsrun', () => {
    assert.deepEqual(new LsfRM(env).nodes(), NODES);
    assert.equal(new LsfRM(env).jobId(), LSF_JOB_ID);
    const { LSB_DJOB_HOSTFILE: _f, ...mcpu } = env;
    assert.deepEqual(new LsfRM(mcpu).nodes(), NODES);
    const { LSB_MCPU_HOSTS: _m, ...hostsOnly } = mcpu;
    assert.deepEqual(new LsfRM(hostsOnly).nodes(), NODES);
    // A PATH with bjobs but no jsrun: a plain LSF cluster, whose first host runs ranks.
    const plain = join(state, 'plain');
    spawnSync('mkdir', [plain]);
    symlinkSync(join(STANDIN_LSF, 'bjobs'), join(plain, 'bjobs'));
    assert.deepEqual(new LsfRM({ ...env, PATH: `${plain}:/usr/bin:/bin` }).nodes(), [LSF_LAUNCH_NODE, ...NODES]);
  });

  it('errors name what is missing: no LSB_JOBID, an unreadable LSB_DJOB_HOSTFILE', () => {
    assert.throws(() => new LsfRM({ PATH: env.PATH }), /not inside an LSF job \(LSB_JOBID is not set\)/);
    assert.throws(() => new LsfRM({ PATH: env.PATH, LSB_JOBID: '7', LSB_DJOB_HOSTFILE: join(state, 'missing') }),
      new RegExp(`LSB_DJOB_HOSTFILE=${join(state, 'missing')} cannot be read \\(ENOENT\\): run this inside the LSF job`));
  });

  it('down nodes from bhosts -w with LSF\'s state; busy hosts (closed_Full) are not down', async () => {
    const rm = new LsfRM(env);
    assert.equal((await rm.downNodes()).size, 0);
    assert.deepEqual(last('bhosts'), ['-w', ...NODES]);
    fx.markDown('n2', 'power failure');
    fx.markDown('n4', 'closed_Adm');
    assert.deepEqual([...await rm.downNodes()], [
      ['n2', 'LSF state unavail (host down, or its LIM and sbatchd unreachable)'],
      ['n4', 'LSF state closed_Adm (closed by the LSF administrator)'],
    ]);
  });

  it('end time from bjobs time_left (null without a run limit); the time limit from runtimelimit', async () => {
    const rm = new LsfRM(env);
    assert.equal(await rm.endTime(), null);
    assert.equal(await rm.timeLimit(), null);
    fx.setEnd(now() + 3600);
    const end = await rm.endTime();
    // time_left has minute resolution.
    assert.ok(end !== null && end > now() + 3600 - 61 && end <= now() + 3600, `end ${end}`);
    assert.deepEqual(last('bjobs'), ['-noheader', '-o', "time_left runtimelimit run_time delimiter='|'", LSF_JOB_ID]);
    const limit = await rm.timeLimit();
    assert.ok(limit !== null && Math.abs(limit - 3600) <= 6, `limit ${limit}`);
    assert.deepEqual(last('bjobs'), ['-noheader', '-o', 'runtimelimit', LSF_JOB_ID]);
  });

  it('failures name the command and what LSF said: LIM down, an unknown job', async () => {
    writeFileSync(join(state, 'fail'), 'bjobs bhosts\n');
    const rm = new LsfRM(env);
    await assert.rejects(rm.endTime(), (e: Error) => e instanceof LsfError &&
      e.message === "bjobs -noheader -o time_left runtimelimit run_time delimiter='|' 4242 failed: Failed in an LSF library call: LIM is down; try later");
    await assert.rejects(rm.downNodes(), /bhosts -w n1 n2 n3 n4 failed: Failed in an LSF library call: LIM is down; try later/);
    unlinkSync(join(state, 'fail'));
    writeFileSync(join(state, 'jobid'), '999\n');
    await assert.rejects(rm.timeLimit(), /bjobs -noheader -o runtimelimit 4242 failed: Job <4242> is not found/);
    await assert.rejects(rm.requeue(), /brequeue 4242 failed: Job <4242>: No matching job found/);
  });

  it('an array element is 4242[3] to LSF\'s commands and 4242.3 to SCR (the same as SCR_JOB_ID\'s default: elements never share a cache)', async () => {
    const rm = new LsfRM({ ...env, LSB_JOBINDEX: '3' });
    assert.equal(rm.jobId(), `${LSF_JOB_ID}.3`);
    assert.equal(loadConfig({ env: cleanEnv({ ...env, LSB_JOBINDEX: '3', SCR_SYSTEM_CONF: '/dev/null' }), cwd: tmpdir(), prefix: tmpdir() }).str('SCR_JOB_ID'), `${LSF_JOB_ID}.3`);
    await assert.rejects(rm.requeue(), /Job <4242\[3\]>: No matching job found/);
    assert.deepEqual(last('brequeue'), ['4242[3]']);
  });

  it('requeues with brequeue', async () => {
    await new LsfRM(env).requeue();
    assert.deepEqual(last('brequeue'), [LSF_JOB_ID]);
  });

  it('launches jsrun excluding every host not chosen, ppn tasks on each; the ranks run on the chosen hosts', async () => {
    const out = join(state, 'ranks');
    const rm = new LsfRM(env);
    const run = rm.launch({ nodes: ['n1', 'n3'], ppn: 2, env: {},
      argv: [process.execPath, '-e', `require('fs').appendFileSync(${JSON.stringify(out)}, process.env.SCR_NODE_NAME + ' ' + process.env.SCRLAUNCH_ID + '\\n')`] });
    assert.deepEqual(await run.done, { code: 0, signal: null });
    const args = last('jsrun')!;
    assert.deepEqual(args.slice(0, 7), ['--exclude_hosts=n2,n4', '--nrs', '2', '--rs_per_host', '1', '--tasks_per_rs', '2']);
    const lines = readFileSync(out, 'utf8').trim().split('\n').sort();
    assert.deepEqual(lines.map((l) => l.split(' ')[0]), ['n1', 'n1', 'n3', 'n3']);
    assert.match(lines[0]!, new RegExp(`^n1 ${LSF_JOB_ID}\\.${process.pid}\\.1$`), 'every rank carries the launch marker');
  });

  it('launches mpirun with the chosen hosts and their slots', async () => {
    const rm = new LsfRM(env);
    const bin = join(state, 'bin');
    spawnSync('mkdir', [bin]);
    writeFileSync(join(bin, 'mpirun'), `#!/bin/sh\ncase "$1" in --version) echo "mpirun (Open MPI) 4.1.4";; *) echo "$*" > ${state}/mpirun.args;; esac\n`, { mode: 0o755 });
    await rm.launch({ nodes: ['n2', 'n4'], ppn: 0, launcher: join(bin, 'mpirun'), argv: ['app'], env: {} }).done;
    assert.equal(readFileSync(join(state, 'mpirun.args'), 'utf8').trim(), '--host n2:4,n4:4 app');
  });

  it('a setting with a blank or a glob character reaches the host as one word through blaunch\'s shell', async () => {
    const rm = new LsfRM({ ...env, SCR_JOB_NAME: 'heat run; echo INJECTED', SCR_EXCLUDE_NODES: 'n[3,7]' });
    const res = await rm.exec(['n1'], ['printenv', 'SCR_JOB_NAME', 'SCR_EXCLUDE_NODES'], 10_000);
    assert.deepEqual(res.map((r) => [r.code, r.stdout]), [[0, 'heat run; echo INJECTED\nn[3,7]\n']]);
  });

  it('runs work on each host through blaunch with SCR_NODE_NAME; an unreachable host fails, a silent one is null', async () => {
    const rm = new LsfRM(env);
    fx.markDown('n3', 'unavail');
    const res = await rm.exec(['n1', 'n2', 'n3'], ['sh', '-c', 'echo "$SCR_NODE_NAME $SCR_JOB_ID"'], 10_000);
    assert.deepEqual(res.map((r) => [r.node, r.code, r.stdout.trim()]), [['n1', 0, `n1 ${LSF_JOB_ID}`], ['n2', 0, `n2 ${LSF_JOB_ID}`], ['n3', 255, '']]);
    assert.match(res[2]!.stderr, /n3: Unable to contact execution host/);
    const n3 = calls().find((c) => c.cmd === 'blaunch' && c.args[0] === 'n3')!.args;
    assert.deepEqual(n3.slice(0, 4), ['n3', 'env', 'SCR_NODE_NAME=n3', `SCR_JOB_ID=${LSF_JOB_ID}`]);
    // blaunch hands the words to a shell on the host as one line: each is quoted to stay one word.
    assert.deepEqual(n3.slice(-3), ['sh', '-c', `'echo "$SCR_NODE_NAME $SCR_JOB_ID"'`], 'each word quoted for the remote shell');
    const slow = await rm.exec(['n1'], ['sleep', '5'], 300);
    assert.equal(slow[0]!.code, null);
    assert.match(slow[0]!.stderr, /no answer in 0\.3 s/);
  });

  it('runs work through SCR_REMOTE_EXEC instead of blaunch when it is set', async () => {
    const rm = new LsfRM(env, `${join(STANDIN_LSF, '..', 'common', 'on-node')} %h`);
    // (on-node runs the words as given, as pdsh's exec module does: no shell to quote for.)
    const res = await rm.exec(['n4'], ['printenv', 'SCR_NODE_NAME', 'SCR_JOB_ID'], 10_000);
    assert.deepEqual(res.map((r) => [r.code, r.stdout]), [[0, `n4\n${LSF_JOB_ID}\n`]]);
    assert.ok(!calls().some((c) => c.cmd === 'blaunch'));
  });

  it('scr clean\'s query: this user\'s unfinished jobs; none is an empty set; a failure throws; no bjobs is null', async () => {
    assert.deepEqual([...(await manager.liveJobs!(env))!], [LSF_JOB_ID]);
    assert.equal(last('bjobs')![0], '-u');
    unlinkSync(join(state, 'jobid'));
    assert.equal((await manager.liveJobs!(env))!.size, 0, '"No unfinished job found" is no job, not a failure');
    writeFileSync(join(state, 'fail'), 'bjobs\n');
    await assert.rejects(manager.liveJobs!(env), (e: Error) => e instanceof LsfError && e.message === 'bjobs failed: Failed in an LSF library call: LIM is down; try later');
    assert.equal(await manager.liveJobs!({ ...env, PATH: join(state, 'nothing-here') }), null);
    assert.equal(manager.queueCommand, 'bjobs');
  });

  it('detected by detectRM from LSB_JOBID with LSB_DJOB_HOSTFILE or LSB_MCPU_HOSTS; not without LSB_JOBID', async () => {
    const cfg = (e: NodeJS.ProcessEnv) => loadConfig({ env: { ...e, SCR_SYSTEM_CONF: '/dev/null' }, cwd: state });
    const rm = await detectRM(env, cfg(env));
    assert.equal(rm?.name, 'lsf');
    assert.deepEqual(rm?.nodes(), NODES);
    const { LSB_DJOB_HOSTFILE: _f, LSB_HOSTS: _h, ...mcpu } = env;
    assert.equal((await detectRM(mcpu, cfg(mcpu)))?.name, 'lsf');
    const { LSB_JOBID: _j, ...nojob } = env;
    assert.equal(await detectRM(nojob, cfg(nojob)), null);
    assert.equal(manager.order, 40);
    assert.equal(manager.needs, 'LSB_JOBID and LSB_DJOB_HOSTFILE (or LSB_MCPU_HOSTS)');
  });
});

describe('LSF through the CLI (stand-in commands)', function () {
  this.timeout(120_000);
  let dir: string;
  let fx: LsfFixture;
  let env: Record<string, string>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'scr-lsf-cli-'));
    fx = lsfFixture(join(dir, 'state'), NODES);
    spawnSync('mkdir', ['-p', join(dir, 'p')]);
    env = cleanEnv({ ...fx.env, PATH: `${fx.path}:${process.env.PATH}`, SCR_PREFIX: join(dir, 'p'), SCR_CACHE_BASE: join(dir, 'c'),
      SCR_CNTL_BASE: join(dir, 'k'), SCR_SYSTEM_CONF: '/dev/null' });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('scr env --json: rm lsf, the job id, the hosts without the launch node, the end', () => {
    const end = now() + 7200;
    fx.setEnd(end);
    fx.markDown('n4', 'unavail');
    const r = scr(['env', '--json'], { env, cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout);
    assert.equal(info.rm, 'lsf');
    assert.equal(info.jobid, LSF_JOB_ID);
    assert.equal(info.nodes, 'n[1-4]');
    assert.equal(info.down, 'n4');
    assert.equal(info.runnodes, 'n[1-3]');
    assert.ok(info.endtime > end - 61 && info.endtime <= end, `endtime ${info.endtime}`);
  });

  it('scr list-down-nodes --reason: exit 0 and nothing with no down host, exit 1 naming LSF\'s state with one; exit 3 when LSF does not answer', () => {
    let r = scr(['list-down-nodes', '--reason'], { env, cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    fx.markDown('n2', 'unreach');
    r = scr(['list-down-nodes', '--reason'], { env, cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, 'n2: LSF state unreach (its sbatchd unreachable)\n');
    writeFileSync(join(dir, 'state', 'fail'), 'bhosts\n');
    r = scr(['env', '--json'], { env, cwd: dir });
    assert.equal(r.code, 3);
    assert.match(r.stderr, /the resource manager did not answer: bhosts -w n1 n2 n3 n4 failed: Failed in an LSF library call: LIM is down; try later/);
  });

  it('scr prerun --json checks every host through blaunch; a down host is bad with LSF\'s state', () => {
    fx.markDown('n3', 'unavail');
    const r = scr(['prerun', '--json'], { env, cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.resourceManager, 'lsf');
    assert.equal(out.jobId, LSF_JOB_ID);
    assert.deepEqual(out.nodes.map((c: { node: string; ok: boolean }) => [c.node, c.ok]), [['n1', true], ['n2', true], ['n4', true]]);
    assert.deepEqual(out.bad, { n3: 'LSF state unavail (host down, or its LIM and sbatchd unreachable)' });
    assert.deepEqual(out.usable, ['n1', 'n2', 'n4']);
    const blaunched = readFileSync(join(dir, 'state', 'calls.log'), 'utf8').split('\n').filter((l) => l.includes('"blaunch"'));
    assert.deepEqual(blaunched.map((l) => (JSON.parse(l) as { args: string[] }).args[0]).sort(), ['n1', 'n2', 'n4']);
  });

  it('scr run jsrun …: runs on the usable hosts, the down one excluded', () => {
    fx.markDown('n2', 'unavail');
    const out = join(dir, 'ranks');
    const r = scr(['run', '--runs', '1', ...fx.runArgs(3, 3), process.execPath, '-e', `require('fs').appendFileSync(${JSON.stringify(out)}, process.env.SCR_NODE_NAME + '\\n')`], { env, cwd: dir });
    assert.match(r.stderr, /scr run: run 1 of at most 1 on n1,n3,n4/);
    assert.deepEqual(readFileSync(out, 'utf8').trim().split('\n').sort(), ['n1', 'n3', 'n4']);
    const jsrun = readFileSync(join(dir, 'state', 'calls.log'), 'utf8').split('\n').filter((l) => l.includes('"jsrun"')).map((l) => (JSON.parse(l) as { args: string[] }).args);
    assert.deepEqual(jsrun.at(-1)!.slice(0, 7), ['--nrs', '3', '--rs_per_host', '1', '--tasks_per_rs', '1', '--exclude_hosts=n2']);
  });

  it('scr run jsrun --nrs/--rs_per_host: only the hosts the resource sets need are used, the others kept as spares; too few is the wrapper\'s own error', () => {
    const out = join(dir, 'ranks');
    const app = [process.execPath, '-e', `require('fs').appendFileSync(${JSON.stringify(out)}, process.env.SCR_NODE_NAME + '\\n')`];
    let r = scr(['run', '--runs', '1', 'jsrun', '--nrs', '4', '--rs_per_host', '2', '--tasks_per_rs', '1', ...app], { env, cwd: dir });
    assert.match(r.stderr, /scr run: run 1 of at most 1 on n1,n2; spares: n3,n4$/m, r.stderr);
    assert.deepEqual([...new Set(readFileSync(out, 'utf8').trim().split('\n'))].sort(), ['n1', 'n2']);
    const jsrun = readFileSync(join(dir, 'state', 'calls.log'), 'utf8').split('\n').filter((l) => l.includes('"jsrun"')).map((l) => (JSON.parse(l) as { args: string[] }).args);
    assert.deepEqual(jsrun.at(-1)!.slice(0, 7), ['--nrs', '4', '--rs_per_host', '2', '--tasks_per_rs', '1', '--exclude_hosts=n3,n4']);
    fx.markDown('n2', 'unavail');
    r = scr(['run', '--runs', '1', 'jsrun', '--nrs', '8', '--rs_per_host', '2', ...app], { env, cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /only 3 usable node\(s\) left, 4 needed/);
    assert.equal(readFileSync(join(dir, 'state', 'calls.log'), 'utf8').split('\n').filter((l) => l.includes('"jsrun"')).length, jsrun.length, 'jsrun was not started');
  });
});

conformance('lsf', lsfFixture);
