// The Flux adapter (src/rm/managers/flux.ts): its parsers against outputs as flux-core documents
// them, and the adapter, detection and the batch-script commands against the stand-in `flux`
// (test/fixtures/standin/flux/, which cites where each format comes from). No real Flux here:
// Debian has no flux-core package.
// Sources: flux-core doc/man1/flux-resource.rst and src/cmd/flux-resource.py (status lines),
// doc/man1/common/job-constraints.rst (--requires host:), doc/man7/flux-environment.rst (FLUX_URI,
// FLUX_ENCLOSING_ID, F58 ids), flux-framework/flux-core#4409 (an R as Flux prints it).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/resolve.js';
import { parseLauncherArgs } from '../../src/rm/launcher-args.js';
import { FLUX_RUN, FluxRM, isFluxJobId, manager, parseJobIds, parseJobTimes, parseR, parseResourceStatus } from '../../src/rm/managers/flux.js';
import { detectRM } from '../../src/rm/registry.js';
import { cleanEnv, scr } from '../harness/cli.js';
import { conformance } from '../harness/rm-conformance.js';
import { FLUX_BATCH_ID, FLUX_STANDIN, fluxFixture, type FluxFixture } from '../harness/standin-flux.js';

const calls = (state: string) => readFileSync(join(state, 'calls.log'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { cmd: string; args: string[] });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(f: () => T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what} within ${ms / 1000} s`);
    await sleep(50);
  }
}
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe('Flux outputs', () => {
  it('resource status: offline (*), drained, draining, excluded and torpid nodes are down, with the state and drain reason', () => {
    // Lines as `flux resource status -n -o '{state}|{nodelist}|{reason}'` prints them: one per
    // state, online status and reason (flux-resource.py statuslines), "*" when offline.
    const down = parseResourceStatus([
      'avail|n[1-2,9]|', 'avail*|n3|', 'exclude|n4|', 'drained|n[5-6]|bad DIMM | replace', 'draining|n7|nfs hang',
      'drained*|n8|node died', 'torpid|n10|', 'housekeeping|n11|', 'allocated|n12|', ''].join('\n'));
    assert.deepEqual([...down.keys()].sort(), ['n10', 'n3', 'n4', 'n5', 'n6', 'n7', 'n8']);
    assert.equal(down.get('n3'), 'Flux state avail* (offline)');
    assert.equal(down.get('n5'), 'Flux state drained: bad DIMM | replace');
    assert.equal(down.get('n7'), 'Flux state draining: nfs hang');
    assert.equal(down.get('n8'), 'Flux state drained* (offline): node died');
    assert.equal(down.get('n4'), 'Flux state exclude');
    assert.equal(down.get('n10'), 'Flux state torpid');
  });

  it('job times: {expiration}|{duration} as Python floats; 0 or inf is no limit; nothing listed is undefined', () => {
    assert.deepEqual(parseJobTimes('1700003600.0|3600.0\n'), { expiration: 1700003600, duration: 3600 });
    assert.deepEqual(parseJobTimes('0.0|0.0\n'), { expiration: null, duration: null });
    assert.deepEqual(parseJobTimes('inf|0.0'), { expiration: null, duration: null });
    assert.equal(parseJobTimes('\n'), undefined);
  });

  it('R: expiration and starttime in epoch seconds; 0 (no limit) is null; anything else is an error naming it', () => {
    // An R as flux-core prints it (flux-framework/flux-core#4409).
    const r = parseR('{"version": 1, "execution": {"R_lite": [{"rank": "3", "children": {"core": "3"}}], "nodelist": ["fluke9"], "starttime": 1657928772, "expiration": 1658533572}}\n');
    assert.deepEqual(r, { start: 1657928772, expiration: 1658533572 });
    assert.equal(parseR('{"version": 1, "execution": {"R_lite": [], "starttime": 1.5e9, "expiration": 0.0}}').expiration, null);
    assert.throws(() => parseR('flux-kvs: resource.R: No such file or directory'), /resource\.R is not JSON \(flux-kvs: resource\.R/);
    assert.throws(() => parseR('{"version": 1}'), /resource\.R has no execution section/);
  });

  it('job ids: F58 with ƒ or the ASCII f are Flux\'s; digits (Slurm, LSF) and others are not', () => {
    assert.ok(isFluxJobId('ƒJqUHUCzX9'));
    assert.ok(isFluxJobId('fJqUHUCzX9'));
    assert.ok(!isFluxJobId('12345'));
    assert.ok(!isFluxJobId('ƒ0lO'), 'base58 has no 0, l or O');
    assert.ok(!isFluxJobId('nojob-0123456789'));
    assert.deepEqual(parseJobIds('ƒ2BqEUd7fX\n  ƒ3xyz\n\n'), ['ƒ2BqEUd7fX', 'ƒ3xyz']);
  });

  it('flux run: -N/--nodes is taken out; -n, --requires and valued options pass through; the app starts at the first word', () => {
    const syn = { ...FLUX_RUN, name: 'flux' };
    const a = parseLauncherArgs(syn, ['run', '-N', '4', '-n', '8', '--requires', 'host:n[1-8]', '-o', 'cpu-affinity=per-task', '-t', '10m', 'app', '-N', '2']);
    assert.equal(a.nodes, 4);
    assert.deepEqual(a.pass, ['run', '-n', '8', '--requires', 'host:n[1-8]', '-o', 'cpu-affinity=per-task', '-t', '10m']);
    assert.deepEqual(a.app, ['app', '-N', '2']);
    const b = parseLauncherArgs(syn, ['run', '--nodes=3', '-n6', '--exclusive', './a.out']);
    assert.equal(b.nodes, 3);
    assert.deepEqual(b.pass, ['run', '-n6', '--exclusive']);
    assert.throws(() => parseLauncherArgs(syn, ['-N', '2', 'app']), /flux must be followed by run \(got -N\)/);
    assert.throws(() => parseLauncherArgs(syn, ['run', '-N', 'x', 'app']), /flux -N x: expected a number of nodes/);
  });
});

describe('Flux adapter on the stand-in', function () {
  this.timeout(60_000);
  let state: string;
  let fx: FluxFixture;
  let env: NodeJS.ProcessEnv;
  const nodes = ['n1', 'n2', 'n3', 'n4'];
  const make = () => manager.create(env, loadConfig({ env, cwd: state }));
  beforeEach(() => {
    state = mkdtempSync(join(tmpdir(), 'scr-flux-'));
    fx = fluxFixture(state, nodes);
    env = { ...cleanEnv(), ...fx.env, PATH: `${fx.path}:${process.env.PATH}`, SCR_SYSTEM_CONF: '/dev/null' };
  });
  afterEach(() => rmSync(state, { recursive: true, force: true }));

  it('the job id is FLUX_ENCLOSING_ID, else the broker\'s jobid; the nodes are the instance\'s hostlist in rank order', () => {
    let rm = make();
    assert.equal(rm.name, 'flux');
    assert.equal(rm.jobId(), FLUX_BATCH_ID);
    assert.deepEqual(rm.nodes(), nodes);
    assert.deepEqual(calls(state).map((c) => c.args.join(' ')), ['getattr hostlist']);
    // Before flux-core 0.70 the batch script had no FLUX_ENCLOSING_ID: the jobid attribute tells.
    writeFileSync(join(state, 'jobid'), 'ƒ5ZzYxW\n');
    rm = manager.create({ ...env, FLUX_ENCLOSING_ID: undefined }, loadConfig({ env, cwd: state }));
    assert.equal(rm.jobId(), 'ƒ5ZzYxW');
    // An instance Flux did not start as a job has no id; a job's own FLUX_JOB_ID is not an instance.
    rmSync(join(state, 'jobid'));
    assert.throws(() => manager.create({ ...env, FLUX_ENCLOSING_ID: undefined }, loadConfig({ env, cwd: state })), /this Flux instance has no job id .*set SCR_JOB_ID/);
    assert.throws(() => manager.create({ ...env, FLUX_ENCLOSING_ID: undefined, FLUX_JOB_ID: 'ƒAbc' }, loadConfig({ env, cwd: state })), /FLUX_JOB_ID=ƒAbc is a job, not an instance of its own/);
  });

  it('down nodes: drained with the drain reason, offline, excluded; none when all are up', async () => {
    const rm = make();
    assert.deepEqual([...await rm.downNodes()], []);
    fx.markDown('n2', 'bad disk');
    fx.markDown('n4', 'offline');
    fx.markDown('n3', 'exclude');
    const down = await rm.downNodes();
    assert.deepEqual(Object.fromEntries(down), { n2: 'Flux state drained: bad disk', n4: 'Flux state avail* (offline)', n3: 'Flux state exclude' });
    assert.deepEqual(calls(state).at(-1)!.args, ['resource', 'status', '-n', '-o', '{state}|{nodelist}|{reason}']);
  });

  it('end time and time limit from the batch job in the enclosing instance; null when unlimited', async () => {
    const rm = make();
    assert.equal(await rm.endTime(), null);
    assert.equal(await rm.timeLimit!(), null);
    writeFileSync(join(state, 'starttime'), '1900000000\n');
    fx.setEnd(1900003600);
    assert.equal(await rm.endTime(), 1900003600);
    assert.equal(await rm.timeLimit!(), 3600);
    assert.deepEqual(calls(state).at(-1)!.args, ['--parent', 'jobs', '-n', '-o', '{expiration}|{duration}', FLUX_BATCH_ID]);
    // A limit extended while the job runs (flux update) is seen at the next ask.
    fx.setEnd(1900007200);
    assert.equal(await rm.endTime(), 1900007200);
    fx.setEnd(null);
    assert.equal(await rm.endTime(), null);
    // An instance with no Flux job id (SCR_JOB_ID given) has only its R.
    rmSync(join(state, 'jobid'));
    fx.setEnd(1900003600);
    const e = { ...env, FLUX_ENCLOSING_ID: undefined, SCR_JOB_ID: 'mine' };
    const own = manager.create(e, loadConfig({ env: e, cwd: state }));
    assert.equal(own.jobId(), 'mine');
    assert.equal(await own.endTime(), 1900003600);
    assert.equal(await own.timeLimit!(), 3600);
    assert.deepEqual(calls(state).at(-1)!.args, ['kvs', 'get', 'resource.R']);
  });

  it('a batch job the enclosing instance does not list: the end time fails, naming it', async () => {
    const rm = make();
    writeFileSync(join(state, 'jobid'), 'ƒOther1\n');
    await assert.rejects(rm.endTime(), new RegExp(`flux --parent jobs -n -o .* ${FLUX_BATCH_ID} failed: flux-jobs: ERROR: JobID ${FLUX_BATCH_ID} unknown`));
  });

  it('launch: flux run on exactly the chosen nodes (-N and a host constraint), ranks on those nodes only', async () => {
    const rm = make();
    const out = join(state, 'ran');
    const run = rm.launch({ nodes: ['n1', 'n2', 'n4'], ppn: 2, launcher: 'flux', launcherArgs: ['run'], env: { OUT: out },
      argv: ['sh', '-c', 'echo "$SCR_NODE_NAME $SCR_JOB_ID $FLUX_JOB_ID" >> "$OUT"'] });
    assert.deepEqual(await run.done, { code: 0, signal: null });
    const runCall = calls(state).find((c) => c.args[0] === 'run')!;
    assert.deepEqual(runCall.args.filter((a) => !a.startsWith('--job-name=')),
      ['run', '--nodes=3', '--requires=host:n[1-2,4]', '--ntasks=6', 'sh', '-c', 'echo "$SCR_NODE_NAME $SCR_JOB_ID $FLUX_JOB_ID" >> "$OUT"']);
    const ran = readFileSync(out, 'utf8').trim().split('\n').map((l) => l.split(' '));
    assert.deepEqual(ran.map((l) => l[0]).sort(), ['n1', 'n1', 'n2', 'n2', 'n4', 'n4']);
    // The ranks' SCR_JOB_ID is the batch job's, though their FLUX_JOB_ID is their own job's.
    assert.ok(ran.every((l) => l[1] === FLUX_BATCH_ID && l[2] !== FLUX_BATCH_ID && l[2]!.startsWith('ƒ')), JSON.stringify(ran));
    // ppn 0 leaves the task count to the user's options (scr run flux run -n 3 …).
    await rm.launch({ nodes: ['n3'], ppn: 0, launcher: 'flux', launcherArgs: ['run', '-n', '1'], env: {}, argv: ['true'] }).done;
    const second = calls(state).filter((c) => c.args[0] === 'run')[1]!;
    assert.deepEqual(second.args.filter((a) => !a.startsWith('--job-name=')), ['run', '-n', '1', '--nodes=1', '--requires=host:n3', 'true']);
  });

  it('a killed flux run leaves its job running; signalLaunch finds it by name and cancels it', async () => {
    const rm = make();
    const run = rm.launch({ nodes: ['n1', 'n2'], ppn: 1, launcher: 'flux', env: {}, argv: ['sleep', '60'] }) as ReturnType<typeof rm.launch> & { pid(): number | undefined };
    const job = await until(() => {
      try { return JSON.parse(readFileSync(join(state, 'flux-jobs.jsonl'), 'utf8').trim().split('\n')[0]!) as { id: string; name: string; pid: number }; } catch { return undefined; }
    }, 15_000, 'the job started');
    const name = calls(state).find((c) => c.args[0] === 'run')!.args.find((a) => a.startsWith('--job-name='))!.slice('--job-name='.length);
    assert.equal(job.name, name);
    assert.equal(name, `scr.${hostname()}.${process.pid}.1`, 'names the host as well as the pid: two wrappers on two nodes may share a pid');
    // Kill the flux run process alone (its group: the stand-in; the job is in a session of its own).
    await until(() => run.pid(), 5000, 'the launcher started');
    process.kill(-run.pid()!, 'SIGKILL');
    await sleep(300);
    assert.ok(alive(job.pid), 'the job outlives flux run, as in Flux');
    await manager.signalLaunch!({ name }, 'SIGKILL', env);
    await until(() => !alive(job.pid) || undefined, 10_000, 'the job ended');
    const c = calls(state).map((x) => x.args.join(' '));
    assert.ok(c.includes(`jobs -n -c 0 --name=${name} -o {id.f58}`), c.join("\n"));
    assert.ok(c.includes(`cancel ${job.id}`), c.join('\n'));
    await run.done;
    // A launch whose job is gone: nothing to signal, and no flux cancel of a stale id.
    const before = calls(state).length;
    await manager.signalLaunch!({ name }, 'SIGTERM', env);
    assert.deepEqual(calls(state).slice(before).map((x) => x.args[0]), ['jobs']);
  });

  it('kill(SIGTERM) reaches the job through flux job kill; the run ends', async () => {
    const rm = make();
    const run = rm.launch({ nodes: ['n3'], ppn: 1, launcher: 'flux', env: {}, argv: ['sleep', '60'] });
    const job = await until(() => {
      try { return JSON.parse(readFileSync(join(state, 'flux-jobs.jsonl'), 'utf8').trim().split('\n')[0]!) as { id: string; pid: number }; } catch { return undefined; }
    }, 15_000, 'the job started');
    run.kill('SIGTERM');
    const end = await run.done;
    assert.notEqual(end.code, 0);
    assert.ok(!alive(job.pid), 'the job ended');
    assert.ok(calls(state).some((c) => c.args.join(' ') === `job kill --signal=SIGTERM ${job.id}`), JSON.stringify(calls(state)));
  });

  it('exec runs on each node by broker rank, with SCR_NODE_NAME and the job id; a node that cannot answer fails', async () => {
    const rm = make();
    const res = await rm.exec(['n1', 'n3', 'n4'], ['sh', '-c', 'echo "$SCR_NODE_NAME $SCR_JOB_ID"'], 10_000);
    assert.deepEqual(res.map((r) => [r.node, r.code, r.stdout.trim()]), [['n1', 0, `n1 ${FLUX_BATCH_ID}`], ['n3', 0, `n3 ${FLUX_BATCH_ID}`], ['n4', 0, `n4 ${FLUX_BATCH_ID}`]]);
    // (in parallel, so in any order)
    assert.deepEqual(calls(state).filter((c) => c.args[0] === 'exec').map((c) => c.args.slice(0, 5).join(' ')).sort(),
      ['exec -r 0 -n env', 'exec -r 2 -n env', 'exec -r 3 -n env']);
    fx.markDown('n3', 'offline');
    const [bad, other] = await rm.exec(['n3', 'n9'], ['true'], 10_000);
    assert.notEqual(bad!.code, 0);
    assert.match(bad!.stderr, /rank 2 is offline/);
    assert.equal(other!.code, null);
    assert.match(other!.stderr, /n9 is not a node of this Flux instance \(n\[1-4\]\)/);
  });

  it('exec with SCR_REMOTE_EXEC goes through that tool, not flux exec', async () => {
    const onNode = join(FLUX_STANDIN, '..', 'common', 'on-node');
    const e = { ...env, SCR_REMOTE_EXEC: `${onNode} %h` };
    const rm = manager.create(e, loadConfig({ env: e, cwd: state }));
    // (the template's words are quoted for a remote shell: a plain command, so on-node runs it as is)
    const [r] = await rm.exec(['n2'], ['printenv', 'SCR_NODE_NAME', 'SCR_JOB_ID'], 10_000);
    assert.equal(r!.stdout.trim(), `n2\n${FLUX_BATCH_ID}`);
    assert.ok(!calls(state).some((c) => c.args[0] === 'exec'));
  });

  it('an unreachable broker: the adapter cannot be made, queries fail naming the command and Flux\'s message', async () => {
    const rm = make();
    writeFileSync(join(state, 'fail'), 'flux\n');
    await assert.rejects(rm.downNodes(), /flux resource status -n -o .* failed: flux-resource: ERROR: Unable to connect to Flux: broker socket .* was not found/);
    await assert.rejects(rm.endTime(), /flux --parent jobs -n -o \{expiration\}\|\{duration\} ƒ\S+ failed: flux-jobs: ERROR: Unable to connect to Flux/);
    assert.throws(() => make(), /flux getattr hostlist failed: flux-getattr: flux_open: No such file or directory \(FLUX_URI=local:.*: is the instance still running\?\)/);
    assert.throws(() => manager.create({ ...env, PATH: '/nonexistent' }, loadConfig({ env, cwd: state })), /flux getattr hostlist failed: .*ENOENT.*\(is flux on PATH\?\)/);
  });

  it('scr clean: live jobs from the enclosing instance in both F58 spellings; null without flux; an error with Flux\'s message', async () => {
    writeFileSync(join(state, 'parent-jobs'), 'ƒ3Qq9kz\n');
    const ids = await manager.liveJobs!(env);
    assert.ok(ids!.has(FLUX_BATCH_ID) && ids!.has('ƒ3Qq9kz') && ids!.has('f3Qq9kz'));
    assert.deepEqual(calls(state).at(-1)!.args, ['--parent', 'jobs', '-n', '-c', '0', '--filter=pending,running', '-o', '{id.f58}']);
    assert.equal(await manager.liveJobs!({ ...env, PATH: '/nonexistent' }), null);
    writeFileSync(join(state, 'fail'), 'flux\n');
    await assert.rejects(manager.liveJobs!(env), /flux jobs failed: flux-jobs: ERROR: Unable to connect to Flux/);
    assert.equal(manager.queueCommand, 'flux jobs');
  });

  it('detection: FLUX_URI makes it Flux (after Slurm and a hostfile); without it, no manager', async () => {
    const rm = await detectRM(env, loadConfig({ env, cwd: state }));
    assert.ok(rm instanceof FluxRM);
    assert.equal(rm.jobId(), FLUX_BATCH_ID);
    const none = { ...env, FLUX_URI: undefined };
    assert.equal(await detectRM(none, loadConfig({ env: none, cwd: state })), null);
    assert.equal(manager.order, 50);
    assert.equal(manager.title, 'Flux');
  });
});

describe('Flux batch-script commands on the stand-in', function () {
  this.timeout(120_000);
  let dir: string;
  let fx: FluxFixture;
  const env = () => cleanEnv({ ...fx.env, PATH: `${fx.path}:${process.env.PATH}`, SCR_PREFIX: join(dir, 'p'), SCR_CACHE_BASE: join(dir, 'c'),
    SCR_CNTL_BASE: join(dir, 'k'), SCR_SYSTEM_CONF: '/dev/null' });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'scr-fluxcli-'));
    for (const d of ['p', 'state']) mkdirSync(join(dir, d));
    fx = fluxFixture(join(dir, 'state'), ['n1', 'n2', 'n3']);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('scr env --json: rm flux, the batch job id, the instance\'s nodes and end time', () => {
    fx.setEnd(1900000000);
    const r = scr(['env', '--json'], { env: env(), cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const e = JSON.parse(r.stdout);
    assert.equal(e.rm, 'flux');
    assert.equal(e.jobid, FLUX_BATCH_ID);
    assert.equal(e.nodes, 'n[1-3]');
    assert.equal(e.endtime, 1900000000);
  });

  it('scr list-down-nodes --reason: exit 1 with Flux\'s state and drain reason; exit 0 when all are up', () => {
    let r = scr(['list-down-nodes', '--reason'], { env: env(), cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    fx.markDown('n2', 'memory errors');
    r = scr(['list-down-nodes', '--reason'], { env: env(), cwd: dir });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /n2: Flux state drained: memory errors/);
    assert.doesNotMatch(r.stdout, /n1|n3/);
  });

  it('scr prerun --json: every node checked through flux exec; a drained node is bad', () => {
    fx.markDown('n3', 'fan failure');
    const r = scr(['prerun', '--json'], { env: env(), cwd: dir });
    const out = JSON.parse(r.stdout);
    assert.match(JSON.stringify(out.bad), /n3.*Flux state drained: fan failure/);
    assert.ok(!('n1' in (out.bad ?? {})) && !('n2' in (out.bad ?? {})), r.stdout);
    const execs = calls(join(dir, 'state')).filter((c) => c.args[0] === 'exec').map((c) => c.args[2]);
    assert.ok(execs.includes('0') && execs.includes('1'), JSON.stringify(execs));
  });
});

// The behaviour every adapter shares (test/harness/rm-conformance.ts), over the Flux stand-in; in a
// describe of its own so that --grep Flux selects it.
describe('Flux conformance', () => conformance('flux', fluxFixture));
