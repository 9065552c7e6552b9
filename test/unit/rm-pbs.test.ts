// The PBS adapter (src/rm/managers/pbs.ts): its parsers against outputs in the formats the real
// commands print, the adapter against the stand-in qstat, pbsnodes, pbsdsh and mpiexec
// (test/fixtures/standin/pbs, each citing its source), detection, and the batch-script commands
// end to end through the CLI inside a stand-in PBS job (test/harness/standin-pbs.ts).
// Output formats: openpbs/openpbs src/cmds/qstat.c (display_statjob, prt_attr: `    name = value`,
// wrapped at 78 columns with "\n\t"; times by ctime()), src/cmds/pbsnodes.c (-l: "%-20s %s %s\n"),
// src/cmds/pbsdsh.c ("%s: task 0x%08X exit status %d"), src/lib/Libcmds/prt_job_err.c and
// cnt2server.c (the failure messages); Torque's forms from adaptivecomputing/torque src/cmds/pbsnodes.c
// (-l: "%-20.20s %s\n") and src/cmds/pbsdsh.c ("%s: task %d exit status %d" on stderr).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/resolve.js';
import { detectRM } from '../../src/rm/registry.js';
import {
  endFromQstat, execHosts, manager, parseCtime, parseDuration, parseNodefile, parsePbsnodesList, parseQstatFull, parseQstatJobs,
  isPbsListing, PbsJobIds, PbsRM, pbsdshResult, pbsFlavour,
} from '../../src/rm/managers/pbs.js';
import { cleanEnv, scr } from '../harness/cli.js';
import { PBS_JOB_ID, pbsFixture, type PbsFixture } from '../harness/standin-pbs.js';
import { conformance } from '../harness/rm-conformance.js';
import { skipBecause } from '../harness/skip.js';

/** `qstat -f` of a running PBS Professional job, in display_statjob's format: exec_host and
 * Variable_List are long enough to be wrapped by prt_attr (at commas, else mid-word, "\n\t"). */
const QSTAT_F = `Job Id: 1234.pbsserver
    Job_Name = cfd
    Job_Owner = alice@login1.example.com
    resources_used.cpupercent = 1590
    resources_used.cput = 10:40:00
    resources_used.mem = 3456780kb
    resources_used.ncpus = 64
    resources_used.vmem = 9876540kb
    resources_used.walltime = 00:40:00
    job_state = R
    queue = workq
    server = pbsserver
    Checkpoint = u
    ctime = Sun Dec  6 01:00:00 2026
    Error_Path = login1.example.com:/home/alice/cfd.e1234
    exec_host = node001/0*16+node002/0*16+node003/0*16+node004.cluster.example.co
	m/0*16
    exec_vnode = (node001:ncpus=16)+(node002:ncpus=16)+(node003:ncpus=16)+(node004
	:ncpus=16)
    Hold_Types = n
    Resource_List.ncpus = 64
    Resource_List.nodect = 4
    Resource_List.select = 4:ncpus=16:mpiprocs=16
    Resource_List.walltime = 02:00:00
    stime = Sun Dec  6 02:00:00 2026
    session_id = 27113
    Variable_List = PBS_O_HOME=/home/alice,PBS_O_LANG=en_US.UTF-8,
	PBS_O_LOGNAME=alice,PBS_O_WORKDIR=/home/alice/cfd
    comment = Job run at Sun Dec 06 at 02:00 on (node001:ncpus=16)+(node002:ncpus=16
	)+(node003:ncpus=16)+(node004:ncpus=16)
    run_count = 1

`;

describe('PBS outputs', () => {
  it('PBS_NODEFILE: unique hosts in order of first appearance, lines counted as slots, names as written', () => {
    const s = parseNodefile('n1\nn1\nn2.cluster.example.com\nn2.cluster.example.com\nn1\n\n');
    assert.deepEqual([...s], [['n1', 3], ['n2.cluster.example.com', 2]]);
  });

  it('qstat -f: attributes by name, wrapped values joined back, only the first job', () => {
    const a = parseQstatFull(`${QSTAT_F}Job Id: 1235.pbsserver\n    job_state = Q\n`);
    assert.equal(a.get('job_state'), 'R');
    assert.equal(a.get('Resource_List.walltime'), '02:00:00');
    assert.equal(a.get('exec_host'), 'node001/0*16+node002/0*16+node003/0*16+node004.cluster.example.com/0*16');
    assert.equal(a.get('Variable_List'), 'PBS_O_HOME=/home/alice,PBS_O_LANG=en_US.UTF-8,PBS_O_LOGNAME=alice,PBS_O_WORKDIR=/home/alice/cfd');
    assert.equal(a.get('stime'), 'Sun Dec  6 02:00:00 2026');
  });

  it('durations, ctime() times and exec_host in PBS Professional\'s and Torque\'s forms', () => {
    assert.equal(parseDuration('02:00:00'), 7200);
    assert.equal(parseDuration('100:00:00'), 360000);
    assert.equal(parseDuration('30:00'), 1800);
    assert.equal(parseDuration('45'), 45);
    assert.equal(parseDuration('unlimited'), null);
    assert.equal(parseDuration(undefined), null);
    assert.equal(parseCtime('Sun Dec  6 02:00:00 2026'), new Date(2026, 11, 6, 2, 0, 0).getTime() / 1000);
    assert.equal(parseCtime('Thu Jan 15 23:59:59 2026'), new Date(2026, 0, 15, 23, 59, 59).getTime() / 1000);
    assert.equal(parseCtime('yesterday'), null);
    assert.deepEqual(execHosts('node001/0*16+node002/0*16'), ['node001', 'node002']);
    assert.deepEqual(execHosts('n1/0+n1/1+n2/0-3'), ['n1', 'n2']);
  });

  it('end time: the earlier of stime + limit and now + (limit − used); null without a walltime limit', () => {
    const stime = new Date(2026, 11, 6, 2, 0, 0).getTime() / 1000;
    const a = parseQstatFull(QSTAT_F);
    // 40 minutes used (MoM's last poll), 50 minutes since stime: stime + limit is earlier.
    assert.equal(endFromQstat(a, stime + 3000), stime + 7200);
    // Suspended for 10 minutes (walltime stops): stime + limit is still the earlier, the safe one.
    const suspended = new Map([['Resource_List.walltime', '02:00:00'], ['resources_used.walltime', '01:40:00'], ['stime', 'Sun Dec  6 02:00:00 2026']]);
    assert.equal(endFromQstat(suspended, stime + 6600), stime + 7200);
    // Without stime (Torque names it start_time; either may be missing): now + (limit − used).
    suspended.delete('stime');
    assert.equal(endFromQstat(suspended, stime + 6600), stime + 6600 + 1200);
    suspended.set('start_time', 'Sun Dec  6 02:00:00 2026');
    assert.equal(endFromQstat(suspended, stime + 6600), stime + 7200);
    assert.equal(endFromQstat(new Map([['Resource_List.walltime', '01:00:00']]), 1000), 4600);
    assert.equal(endFromQstat(new Map([['resources_used.walltime', '00:01:00']]), 1000), null);
  });

  it('pbsnodes -l: PBS Professional\'s lines with state list and comment, Torque\'s without a comment', () => {
    const out = [
      'node002              down Node failed to respond to ping',
      'node003              offline maintenance window',
      'node004              state-unknown,down ',
      'node005              down',
      'node006              free ',
    ].join('\n');
    assert.deepEqual([...parsePbsnodesList(out)], [
      ['node002', 'PBS state down: Node failed to respond to ping'],
      ['node003', 'PBS state offline: maintenance window'],
      ['node004', 'PBS state state-unknown,down'],
      ['node005', 'PBS state down'],
    ]);
  });

  it('qstat listing: job ids after the rule; ids match by sequence number and the first part of the server name', () => {
    const out = ['Job id            Name             User              Time Use S Queue',
      '----------------  ---------------- ----------------  -------- - -----',
      '1234.pbsserver    cfd              alice             10:40:00 R workq',
      '1240[3].pbsserver array            alice             00:00:01 R workq',
      '123456789.verylon long             alice             00:00:00 Q workq'].join('\n');
    const ids = parseQstatJobs(out);
    assert.deepEqual(ids, ['1234.pbsserver', '1240[3].pbsserver', '123456789.verylon']);
    const set = new PbsJobIds(ids);
    assert.ok(set.has('1234.pbsserver'));
    assert.ok(set.has('1234.pbsserver.example.com'));
    assert.ok(set.has('1240[3].pbsserver'));
    assert.ok(set.has('123456789.verylongservername'), 'an id cut to the column still matches');
    assert.ok(!set.has('1235.pbsserver'));
    assert.ok(!set.has('123.pbsserver'));
  });

  it('qstat listing of PBS Professional 19+: an id cut to 17 characters ends in `*`, and still matches; another scheduler\'s qstat is no answer', () => {
    const out = ['Job id            Name             User              Time Use S Queue',
      '----------------  ---------------- ----------------  -------- - -----',
      '123456.pbsserve*  cfd              alice             10:40:00 R workq',
      '1234[7].pbsserv*  arr              alice             00:00:01 R workq'].join('\n');
    const set = new PbsJobIds(parseQstatJobs(out));
    assert.ok(set.has('123456.pbsserver01'));
    assert.ok(set.has('1234[7].pbsserver01'));
    assert.ok(!set.has('123457.pbsserver01'));
    assert.ok(isPbsListing(out) && isPbsListing(''));
    assert.ok(!isPbsListing('job-ID  prior   name       user         state submit/start at     queue                          slots ja-task-ID\n'));
  });

  it('PBS job ids: NNN.server and NNN[i].server are PBS\'s; Slurm\'s bare numbers are not', () => {
    for (const id of ['1234.pbsserver', '1234.pbs.example.com', '1240[3].pbsserver', '1240[].pbsserver']) assert.ok(manager.ownsJobId!(id), id);
    for (const id of ['1234', 'nojob-abc', '.server', 'abc.server', '7.2', '7.12']) assert.ok(!manager.ownsJobId!(id), id); // 7.2: a Grid Engine array task
  });

  it('pbsdsh: the task status from its "exit status" line, null when the task could not be started', () => {
    const ok = pbsdshResult('n1', { code: 0, stdout: 'hello\n', stderr: '' });
    assert.deepEqual(ok, { node: 'n1', code: 0, stdout: 'hello\n', stderr: '' });
    const bad = pbsdshResult('n1', { code: 0, stdout: 'partial\npbsdsh: task 0x00000000 exit status 3\n', stderr: 'oops\n' });
    assert.deepEqual([bad.code, bad.stdout], [3, 'partial\n']);
    const spawn = pbsdshResult('n2', { code: 0, stdout: '', stderr: 'error 17000 on spawn\n' });
    assert.equal(spawn.code, null);
    assert.match(spawn.stderr, /error 17000 on spawn\npbsdsh could not run the command on n2/);
    const tm = pbsdshResult('n2', { code: 1, stdout: '', stderr: 'pbsdsh: tm_init failed, rc = TM_ESYSTEM (17000)\n' });
    assert.equal(tm.code, null);
    assert.match(tm.stderr, /tm_init failed.*\n.*\(exit 1\)/);
    assert.equal(pbsdshResult('n3', { code: null, stdout: '', stderr: '', failure: 'no answer in 5 s' }).code, null);
    // The relay's report wins over pbsdsh's (which saw only the relay); a timed-out run keeps what
    // the relay sent so far and has no code.
    const relayed = pbsdshResult('n1', { code: 0, stdout: '', stderr: '' }, { stdout: '{"ok":true}\n', stderr: 'w\n', code: 2 });
    assert.deepEqual(relayed, { node: 'n1', code: 2, stdout: '{"ok":true}\n', stderr: 'w\n' });
    const late = pbsdshResult('n1', { code: null, stdout: '', stderr: '', failure: 'no answer in 5 s' }, { stdout: 'part', stderr: '' });
    assert.deepEqual([late.code, late.stdout, late.stderr], [null, 'part', 'no answer in 5 s']);
    // Torque reports the status on stderr, the task by its number.
    const torque = pbsdshResult('n1', { code: 0, stdout: 'out\n', stderr: 'warn\npbsdsh: task 2 exit status 5\n' });
    assert.deepEqual([torque.code, torque.stdout, torque.stderr], [5, 'out\n', 'warn\n']);
  });

  it('pbsnodes --version tells Torque (`version: X` on stderr) from PBS Professional (`pbs_version = X`)', () => {
    assert.equal(pbsFlavour('version: 6.1.3\n'), 'torque');
    assert.equal(pbsFlavour('pbs_version = 22.05.11\n'), 'pbspro');
    assert.equal(pbsFlavour(''), 'pbspro');
  });
});

describe('PBS adapter against stand-in PBS commands', () => {
  let dir: string;
  let fx: PbsFixture;
  let env: NodeJS.ProcessEnv;
  const calls = () => (existsSync(join(dir, 'calls.log')) ? readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n') : []).map((l) => JSON.parse(l) as { cmd: string; args: string[] });
  const fail = (cmds: string) => writeFileSync(join(dir, 'fail'), cmds);
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'scr-pbs-'));
    fx = pbsFixture(dir, ['n1', 'n2', 'n3', 'n4']);
    env = { ...cleanEnv(), ...fx.env, PATH: `${fx.path}:${process.env.PATH}` };
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the job id and nodes; without the variables or the node file it says what is missing', () => {
    const rm = new PbsRM(env);
    assert.equal(rm.jobId(), PBS_JOB_ID);
    assert.deepEqual(rm.nodes(), ['n1', 'n2', 'n3', 'n4']);
    assert.throws(() => new PbsRM({ PBS_JOBID: '1.x' }), /not inside a PBS job \(PBS_JOBID and PBS_NODEFILE are not set\)/);
    assert.throws(() => new PbsRM({ PBS_JOBID: '1.x', PBS_NODEFILE: join(dir, 'missing') }), /PBS_NODEFILE=.*missing cannot be read \(ENOENT\)/);
    writeFileSync(join(dir, 'empty'), '\n');
    assert.throws(() => new PbsRM({ PBS_JOBID: '1.x', PBS_NODEFILE: join(dir, 'empty') }), /names no node/);
  });

  it('down nodes: pbsnodes -l states and comments, and nodes PBS released from the job\'s exec_host', async () => {
    const rm = new PbsRM(env);
    assert.deepEqual([...await rm.downNodes()], []);
    fx.markDown('n2', 'Node failed to respond to ping');
    fx.markDown('n4', 'offline bad disk');
    writeFileSync(join(dir, 'released'), 'n3\n');
    assert.deepEqual([...await rm.downNodes()], [
      ['n2', 'PBS state down: Node failed to respond to ping'],
      ['n4', 'PBS state offline: bad disk'],
      ['n3', 'no longer in the job\'s exec_host (PBS released it from the job)'],
    ]);
    const c = calls();
    assert.ok(c.some((x) => x.cmd === 'pbsnodes' && x.args.join(' ') === '-l'));
    assert.ok(c.some((x) => x.cmd === 'qstat' && x.args.join(' ') === `-f ${PBS_JOB_ID}`));
  });

  it('a long exec_host, wrapped by qstat, is read whole: only the released node is missing', async () => {
    const names = [1, 2, 3, 4, 5, 6].map((i) => `compute-node-00000${i}.cluster.example.org`);
    const f2 = pbsFixture(join(dir, 'long'), names);
    writeFileSync(join(dir, 'long', 'released'), `${names[4]}\n`);
    const rm = new PbsRM({ ...env, ...f2.env });
    assert.deepEqual([...await rm.downNodes()], [[names[4], 'no longer in the job\'s exec_host (PBS released it from the job)']]);
    const shown = readFileSync(join(dir, 'long', 'calls.log'), 'utf8');
    assert.ok(shown.includes('"-f"'));
  });

  it('end time and time limit from the walltime; null without a limit', async () => {
    const rm = new PbsRM(env);
    const now = Date.now() / 1000;
    fx.setEnd(now + 3600);
    assert.ok(Math.abs(await rm.endTime() as number - (now + 3600)) <= 2, 'end within 2 s of the walltime\'s end');
    assert.ok(Math.abs(await rm.timeLimit() as number - 3600) <= 2);
    fx.setEnd(null);
    assert.equal(await rm.endTime(), null);
    assert.equal(await rm.timeLimit(), null);
  });

  it('failures name the command and its message: server down, unknown job', async () => {
    fail('qstat');
    await assert.rejects(new PbsRM(env).endTime(), /qstat -f 4242\.pbs-standin failed: Connection refused qstat: cannot connect to server pbs-standin \(errno=111\)/);
    fail('pbsnodes');
    await assert.rejects(new PbsRM(env).downNodes(), /pbsnodes -l failed: Connection refused pbsnodes: cannot connect to server pbs-standin, error=111/);
    fail('');
    await assert.rejects(new PbsRM({ ...env, PBS_JOBID: '99.other' }).endTime(), /qstat -f 99\.other failed: qstat: Unknown Job Id 99\.other/);
  });

  it('launches mpiexec on the chosen nodes with their slots; the ranks run there (stand-in over real Open MPI)', async function () {
    this.timeout(60_000);
    // The stand-in starts the ranks with the real Open MPI (test/fixtures/standin/common/mpmd).
    if (spawnSync('sh', ['-c', 'command -v mpirun.openmpi']).status !== 0) skipBecause(this, 'Open MPI\'s mpirun is not installed (scripts/setup installs it)');
    const out = join(dir, 'ranks');
    const rm = new PbsRM(env);
    const app = [process.execPath, '-e', 'require("fs").appendFileSync(process.env.RANKS_OUT, process.env.SCR_NODE_NAME + "\\n")'];
    const run = rm.launch({ nodes: ['n1', 'n3'], ppn: 2, argv: app, env: { RANKS_OUT: out } });
    assert.deepEqual(await run.done, { code: 0, signal: null });
    const launch = calls().filter((x) => x.cmd === 'mpiexec');
    assert.deepEqual(launch.map((x) => x.args.slice(0, 4)), [['--version'], ['--host', 'n1:2,n3:2', '-np', '4']]);
    assert.deepEqual(readFileSync(out, 'utf8').trim().split('\n').sort(), ['n1', 'n1', 'n3', 'n3']);
  });

  it('the stand-in mpiexec refuses options it does not model, and too many ranks for the slots', async () => {
    const rm = new PbsRM(env);
    assert.equal((await rm.launch({ nodes: ['n1'], ppn: 0, launcherArgs: ['--bind-to', 'core'], argv: ['/bin/true'], env: {} }).done).code, 2);
    assert.equal((await rm.launch({ nodes: ['n1'], ppn: 0, launcherArgs: ['-np', '3'], argv: ['/bin/true'], env: {} }).done).code, 1);
  });

  it('runs a command on each node with pbsdsh -n, SCR_NODE_NAME and SCR_JOB_ID set, the task\'s status kept', async () => {
    fx.markDown('n4', 'Node failed to respond to ping');
    // pbsdsh's task gets the job's environment, not the caller's: SCR_* arrive as env words, other
    // variables of the caller's (OTHER) do not.
    const rm = new PbsRM({ ...env, SCR_PREFIX: '/p q', OTHER: 'x' });
    const argv = [process.execPath, '-e', 'console.log([process.env.SCR_NODE_NAME, process.env.SCR_JOB_ID, process.env.SCR_PREFIX, process.env.OTHER].join("|")); process.exit(process.env.SCR_NODE_NAME === "n2" ? 4 : 0)'];
    const res = await rm.exec(['n1', 'n2', 'n4', 'n9'], argv, 20_000);
    assert.deepEqual(res.map((r) => [r.node, r.code, r.stdout.trim()]), [
      ['n1', 0, `n1|${PBS_JOB_ID}|/p q|`], ['n2', 4, `n2|${PBS_JOB_ID}|/p q|`], ['n4', null, ''], ['n9', null, '']]);
    assert.match(res[2]!.stderr, /error 17000 on spawn/);
    // The command's output came back through the relay: the task's own went to the job's output file.
    assert.ok(!existsSync(join(dir, 'job.o')) || !readFileSync(join(dir, 'job.o'), 'utf8').includes('|'));
    assert.match(res[3]!.stderr, /n9 is not in this job's PBS_NODEFILE/);
    // (in parallel: the log's order is the stand-ins' start order)
    const dsh = calls().filter((x) => x.cmd === 'pbsdsh').sort((a, b) => Number(a.args[1]) - Number(b.args[1]));
    assert.deepEqual(dsh[0]!.args.slice(0, 5), ['-n', '0', '--', '/usr/bin/env', 'SCR_NODE_NAME=n1']);
    assert.ok(dsh[0]!.args.includes(`SCR_JOB_ID=${PBS_JOB_ID}`) && dsh[0]!.args.includes('SCR_PREFIX=/p q'));
    assert.deepEqual(dsh.map((x) => x.args[1]), ['0', '1', '3']);
  });

  it('Torque: pbsdsh -o brings the task\'s stdout back, the status comes from stderr; pbsnodes -l names cut to 20 match', async () => {
    writeFileSync(join(dir, 'pbs'), 'torque\n');
    const rm = new PbsRM(env);
    const argv = [process.execPath, '-e', 'console.log("on " + process.env.SCR_NODE_NAME); process.exit(process.env.SCR_NODE_NAME === "n3" ? 6 : 0)'];
    const res = await rm.exec(['n2', 'n3'], argv, 20_000);
    assert.deepEqual(res.map((r) => [r.node, r.code, r.stdout.trim(), r.stderr.trim()]), [['n2', 0, 'on n2', ''], ['n3', 6, 'on n3', '']]);
    const dsh = calls().filter((x) => x.cmd === 'pbsdsh').sort((a, b) => Number(a.args[2]) - Number(b.args[2]));
    assert.deepEqual(dsh.map((x) => x.args.slice(0, 5)), [['-o', '-n', '1', '--', '/usr/bin/env'], ['-o', '-n', '2', '--', '/usr/bin/env']]);
    assert.equal(calls().filter((x) => x.cmd === 'pbsnodes' && x.args[0] === '--version').length, 1, 'asked once');
    const long = 'compute-node-000017.cluster.example.org';
    const f2 = pbsFixture(join(dir, 'long'), [long, 'n2']);
    writeFileSync(join(dir, 'long', 'pbs'), 'torque\n');
    f2.markDown(long, 'down');
    const rm2 = new PbsRM({ ...env, ...f2.env });
    assert.deepEqual([...await rm2.downNodes()], [[long, 'PBS state down']]);
  });

  it('exec: pbsdsh unable to reach MoM gives no code and its message', async () => {
    fail('pbsdsh');
    const [r] = await new PbsRM(env).exec(['n1'], ['/bin/true'], 10_000);
    assert.equal(r!.code, null);
    assert.match(r!.stderr, /pbsdsh: tm_init failed, rc = TM_ESYSTEM \(17000\)\npbsdsh could not run the command on n1 \(exit 1\)/);
  });

  it('exec through SCR_REMOTE_EXEC when it is set', async () => {
    writeFileSync(join(dir, 'rsh'), `#!/bin/sh\n# A remote shell: the node, then one command line for a shell there.\necho "$*" >> ${dir}/rsh.log\nshift\nexec sh -c "$*"\n`, { mode: 0o755 });
    const rm = new PbsRM(env, `${join(dir, 'rsh')} %h`);
    const [r] = await rm.exec(['n3'], ['sh', '-c', 'echo $SCR_NODE_NAME-$SCR_JOB_ID'], 10_000);
    assert.deepEqual([r!.code, r!.stdout.trim()], [0, `n3-${PBS_JOB_ID}`]);
    assert.match(readFileSync(join(dir, 'rsh.log'), 'utf8'), /^n3 env SCR_NODE_NAME=n3 /);
    assert.ok(!calls().some((x) => x.cmd === 'pbsdsh'));
  });

  it('scr clean\'s queue: qstat -t lists the job; a failing qstat throws its message; no qstat is null', async () => {
    const ids = await manager.liveJobs!(env);
    assert.ok(ids?.has(PBS_JOB_ID) && ids.has(`${PBS_JOB_ID}.example.com`));
    assert.ok(!ids!.has('4243.pbs-standin'));
    assert.deepEqual(calls().at(-1), { cmd: 'qstat', args: ['-t'] });
    fail('qstat');
    await assert.rejects(manager.liveJobs!(env), /qstat failed: Connection refused qstat: cannot connect to server pbs-standin \(errno=111\)/);
    assert.equal(await manager.liveJobs!({ ...env, PATH: '/nonexistent' }), null);
  });

  it('is detected by PBS_JOBID and PBS_NODEFILE (and chosen by SCR_RESOURCE_MANAGER=pbs)', async () => {
    const cfg = (e: NodeJS.ProcessEnv) => loadConfig({ env: { ...e, SCR_SYSTEM_CONF: '/dev/null', SCR_PREFIX: dir }, cwd: dir });
    assert.equal((await detectRM(env, cfg(env)))?.name, 'pbs');
    const { PBS_NODEFILE: _n, ...noFile } = env;
    assert.equal(await detectRM(noFile, cfg(noFile)), null);
    const forced = { ...env, SCR_RESOURCE_MANAGER: 'pbs' };
    assert.equal((await detectRM(forced, cfg(forced)))?.jobId(), PBS_JOB_ID);
  });
});

describe('PBS batch-script commands through the CLI', () => {
  let dir: string;
  let fx: PbsFixture;
  let env: Record<string, string>;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'scr-pbs-cli-'));
    fx = pbsFixture(join(dir, 'state'), ['n1', 'n2', 'n3']);
    env = cleanEnv({
      ...fx.env, PATH: `${fx.path}:${process.env.PATH}`, SCR_SYSTEM_CONF: '/dev/null',
      SCR_PREFIX: join(dir, 'prefix'), SCR_CACHE_BASE: join(dir, 'cache'), SCR_CNTL_BASE: join(dir, 'cntl'),
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('scr env --json reports the PBS job, its nodes, down nodes and end', () => {
    fx.markDown('n2', 'Node failed to respond to ping');
    fx.setEnd(Date.now() / 1000 + 7200);
    const r = scr(['env', '--json'], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(j.rm, 'pbs');
    assert.equal(j.jobid, PBS_JOB_ID);
    assert.equal(j.nodes, 'n[1-3]');
    assert.equal(j.down, 'n2');
    assert.ok(Math.abs((j.remaining as number) - 7200) <= 5, `remaining ${String(j.remaining)}`);
  });

  it('scr list-down-nodes --reason: exit 1 naming the PBS state with a down node, 0 without', () => {
    const none = scr(['list-down-nodes', '--reason'], { cwd: dir, env });
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stdout.trim(), '');
    fx.markDown('n3', 'offline bad disk');
    const one = scr(['list-down-nodes', '--reason'], { cwd: dir, env });
    assert.equal(one.code, 1, one.stderr);
    assert.equal(one.stdout.trim(), 'n3: PBS state offline: bad disk');
  });

  it('scr prerun --json checks each usable node through pbsdsh and records the down one', () => {
    fx.markDown('n2', 'Node failed to respond to ping');
    mkdirSync(join(dir, 'prefix'));
    const r = scr(['prerun', '--json'], { cwd: dir, env });
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { resourceManager: string; jobId: string; nodes: Array<{ node: string; ok: boolean }>; bad: Record<string, string>; usable: string[] };
    assert.equal(j.resourceManager, 'pbs');
    assert.equal(j.jobId, PBS_JOB_ID);
    assert.deepEqual(j.nodes.map((n) => [n.node, n.ok]), [['n1', true], ['n3', true]]);
    assert.deepEqual(j.bad, { n2: 'PBS state down: Node failed to respond to ping' });
    assert.deepEqual(j.usable, ['n1', 'n3']);
    const dsh = readFileSync(join(dir, 'state', 'calls.log'), 'utf8').split('\n').filter((l) => l.includes('"pbsdsh"'));
    assert.equal(dsh.length, 2);
  });
});

conformance('pbs', pbsFixture);
