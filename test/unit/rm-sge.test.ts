// The Grid Engine adapter's parsers, on outputs captured from a real Son of Grid Engine 8.1.9
// (Debian's packages: a private qmaster and exec hosts n1…n4 started as test/harness/sge.ts does),
// trimmed of lines the parsers do not read; and the adapter's construction from a job's variables.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downReason, isGridEngineListing, manager, NO_CELL, parseJobXml, parsePeHostfile, parseQstatF, parseQstatJobs, SgeRM, wallLimit } from '../../src/rm/managers/sge.js';

// `cat $PE_HOSTFILE` in a job of `qsub -pe scr 3` (allocation_rule 1).
const PE_HOSTFILE = 'n2 1 scr.q@n2 UNDEFINED\nn4 1 scr.q@n4 UNDEFINED\nn3 1 scr.q@n3 UNDEFINED\n';

// `qstat -f` with job 2 running on n1 and n2, scr.q@n2 disabled (qmod -d), job 3 pending.
const QSTAT_F = `queuename                      qtype resv/used/tot. load_avg arch          states
---------------------------------------------------------------------------------
scr.q@n1                       BIP   0/2/2          1.69     lx-amd64      
      2 0.60500 job2.sh    root         r     12/06/2026 02:27:27     2        
---------------------------------------------------------------------------------
scr.q@n2                       BIP   0/1/2          1.69     lx-amd64      d
      2 0.60500 job2.sh    root         r     12/06/2026 02:27:27     1        

############################################################################
 - PENDING JOBS - PENDING JOBS - PENDING JOBS - PENDING JOBS - PENDING JOBS
############################################################################
      3 0.50500 sleep      root         qw    12/06/2026 02:27:48     2        
`;

// `qstat -f -q scr.q` in a job on n1-n4 after n3's execd was killed and max_unheard passed.
const QSTAT_F_UNKNOWN = `queuename                      qtype resv/used/tot. load_avg arch          states
---------------------------------------------------------------------------------
scr.q@n1                       BIP   0/1/2          6.68     lx-amd64      
      1 0.55500 job.179652 root         r     12/06/2026 02:59:25     1        
---------------------------------------------------------------------------------
scr.q@n2                       BIP   0/1/2          6.68     lx-amd64      
      1 0.55500 job.179652 root         r     12/06/2026 02:59:25     1        
---------------------------------------------------------------------------------
scr.q@n3                       BIP   0/1/2          -NA-     lx-amd64      u
      1 0.55500 job.179652 root         r     12/06/2026 02:59:25     1        
---------------------------------------------------------------------------------
scr.q@n4                       BIP   0/1/2          6.68     lx-amd64      
      1 0.55500 job.179652 root         r     12/06/2026 02:59:25     1        
`;

// `qstat -j 2 -xml` of a job submitted with -l h_rt=600,s_rt=500 (many elements left out).
const JOB_XML = `<?xml version='1.0'?>
<detailed_job_info  xmlns:xsd="http://arc.liv.ac.uk/repos/darcs/sge/source/dist/util/resources/schemas/qstat/detailed_job_info.xsd">
  <djob_info>
    <element>
      <JB_job_number>2</JB_job_number>
      <JB_submission_time>1796524047</JB_submission_time>
      <JB_hard_resource_list>
        <qstat_l_requests>
          <CE_name>h_rt</CE_name>
          <CE_valtype>3</CE_valtype>
          <CE_stringval>600</CE_stringval>
          <CE_doubleval>600.000000</CE_doubleval>
          <CE_relop>0</CE_relop>
        </qstat_l_requests>
        <qstat_l_requests>
          <CE_name>s_rt</CE_name>
          <CE_valtype>3</CE_valtype>
          <CE_stringval>500</CE_stringval>
          <CE_doubleval>500.000000</CE_doubleval>
          <CE_relop>0</CE_relop>
        </qstat_l_requests>
      </JB_hard_resource_list>
      <JB_ja_tasks>
        <ulong_sublist>
          <JAT_status>128</JAT_status>
          <JAT_task_number>1</JAT_task_number>
          <JAT_task_list>
            <element>
              <PET_submission_time>0</PET_submission_time>
              <PET_start_time>0</PET_start_time>
            </element>
          </JAT_task_list>
          <JAT_start_time>1796524047</JAT_start_time>
        </ulong_sublist>
      </JB_ja_tasks>
    </element>
  </djob_info>
</detailed_job_info>`;

// `qstat -j 3 -xml` of a job with no limit (`qsub -pe scr 2 -b y sleep 60`), running.
const JOB_XML_UNLIMITED = `<detailed_job_info>
  <djob_info>
    <element>
      <JB_job_number>3</JB_job_number>
      <JB_ja_tasks>
        <ulong_sublist>
          <JAT_status>128</JAT_status>
          <JAT_task_number>1</JAT_task_number>
          <JAT_start_time>1796524089</JAT_start_time>
          <JAT_ntix>0.500000</JAT_ntix>
        </ulong_sublist>
      </JB_ja_tasks>
    </element>
  </djob_info>
</detailed_job_info>`;

// `qstat -j 1 -xml` of an array job (-t 1-6 -l h_rt=1:00:00): h_rt in seconds; tasks 1 and 2.
const ARRAY_XML = `<detailed_job_info>
  <djob_info>
    <element>
      <JB_job_number>1</JB_job_number>
      <JB_hard_resource_list>
        <qstat_l_requests>
          <CE_name>h_rt</CE_name>
          <CE_stringval>3600</CE_stringval>
          <CE_doubleval>3600.000000</CE_doubleval>
        </qstat_l_requests>
      </JB_hard_resource_list>
      <JB_ja_tasks>
        <ulong_sublist>
          <JAT_task_number>1</JAT_task_number>
          <JAT_start_time>1796524448</JAT_start_time>
        </ulong_sublist>
        <ulong_sublist>
          <JAT_task_number>2</JAT_task_number>
          <JAT_start_time>1796524460</JAT_start_time>
        </ulong_sublist>
      </JB_ja_tasks>
    </element>
  </djob_info>
</detailed_job_info>`;

// `qstat -u root`: job 2 running, job 3 pending; then an array job's running tasks, and (made
// from the pending format) a pending array's task range.
const QSTAT_U = `job-ID  prior   name       user         state submit/start at     queue                          slots ja-task-ID 
-----------------------------------------------------------------------------------------------------------------
      2 0.60500 job2.sh    root         r     12/06/2026 02:27:27 scr.q@n1                           3        
      3 0.50500 sleep      root         qw    12/06/2026 02:27:48                                    2        
      7 0.55500 job.179652 root         r     12/06/2026 02:34:08 scr.q@n1                           1 1
      7 0.55500 job.179652 root         r     12/06/2026 02:34:08 scr.q@n3                           1 2
      8 0.50500 arr        root         qw    12/06/2026 02:34:10                                    1 4-8:2
`;

describe('Grid Engine adapter: parsers (outputs of a real SGE 8.1.9)', () => {
  it('PE_HOSTFILE: hosts in order with their slots and queue instances', () => {
    assert.deepEqual(parsePeHostfile(PE_HOSTFILE), [
      { host: 'n2', slots: 1, queue: 'scr.q@n2' }, { host: 'n4', slots: 1, queue: 'scr.q@n4' }, { host: 'n3', slots: 1, queue: 'scr.q@n3' },
    ]);
    // A host with slots in two queues keeps its first place.
    assert.deepEqual(parsePeHostfile('a 2 q1@a UNDEFINED\nb 1 q1@b UNDEFINED\na 2 q2@a UNDEFINED\n').map((h) => [h.host, h.slots]), [['a', 4], ['b', 1]]);
    assert.throws(() => parsePeHostfile('\n'), /names no host/);
    assert.throws(() => parsePeHostfile('n1 x\n', 'F'), /F, line 1: "n1 x" is not "host slots queue processors"/);
  });

  it('qstat -f: each queue instance\'s states; job lines and rules are not queue instances', () => {
    assert.deepEqual([...parseQstatF(QSTAT_F)], [['scr.q@n1', ''], ['scr.q@n2', 'd']]);
    assert.deepEqual([...parseQstatF(QSTAT_F_UNKNOWN)], [['scr.q@n1', ''], ['scr.q@n2', ''], ['scr.q@n3', 'u'], ['scr.q@n4', '']]);
  });

  // (u and d were seen on the real qmaster; the other letters are those qstat(1) documents.)
  it('down states: u, d, E (and the suspended ones) are down, with what they mean; a load alarm is not', () => {
    assert.equal(downReason('scr.q@n1', ''), undefined);
    assert.equal(downReason('scr.q@n1', 'a'), undefined);
    assert.equal(downReason('scr.q@n2', 'd'), 'Grid Engine queue scr.q@n2 state d (disabled)');
    assert.equal(downReason('scr.q@n4', 'au'), 'Grid Engine queue scr.q@n4 state au (unknown: its execd does not answer)');
    assert.match(downReason('scr.q@n3', 'E')!, /state E \(error/);
    assert.match(downReason('q@x', 'S')!, /suspended by a subordinate queue/);
  });

  it('qstat -j -xml: h_rt and s_rt from the hard resource list, the start time from the task', () => {
    const t = parseJobXml(JOB_XML);
    assert.deepEqual(t, { start: 1796524047, hrt: 600, srt: 500 });
    assert.equal(wallLimit(t), 500, 's_rt comes first: its SIGUSR1 ends the job');
    assert.deepEqual(parseJobXml(JOB_XML_UNLIMITED), { start: 1796524089, hrt: null, srt: null });
    assert.equal(wallLimit(parseJobXml(JOB_XML_UNLIMITED)), null);
    assert.deepEqual(parseJobXml(ARRAY_XML, 2), { start: 1796524460, hrt: 3600, srt: null });
    assert.equal(parseJobXml(ARRAY_XML, 5).start, null, 'a task that has not started');
  });

  it('qstat -u: job numbers, and job.task for array tasks (ranges expanded)', () => {
    assert.deepEqual([...parseQstatJobs(QSTAT_U)].sort(), ['2', '3', '7', '7.1', '7.2', '8', '8.4', '8.6', '8.8']);
    assert.deepEqual([...parseQstatJobs('')], []);
  });

  it('a listing of PBS\'s qstat (the same command name) is not taken for Grid Engine\'s', () => {
    assert.equal(isGridEngineListing(QSTAT_U), true);
    assert.equal(isGridEngineListing(''), true, 'no jobs: Grid Engine prints nothing');
    // The column header OpenPBS's qstat prints (written here from its format, not captured).
    assert.equal(isGridEngineListing('Job id            Name             User              Time Use S Queue\n----------------  ---------------- ----------------  -------- - -----\n12.pbs01          job.sh           root                     0 R workq\n'), false);
  });

  it('a client with no cell configured is no Grid Engine to ask (Debian\'s qstat, measured)', () => {
    assert.match('error: fopen("/var/lib/gridengine/default/common/act_qmaster") failed: No such file or directory\nerror: unable to read qmaster name: can\'t open "/var/lib/gridengine/default/common/act_qmaster" for reading qmaster hostname', NO_CELL);
    assert.doesNotMatch('error: commlib error: got select error (Connection refused)\nunable to contact qmaster using port 6444 on host "master"', NO_CELL);
  });
});

describe('Grid Engine adapter: the job\'s variables', () => {
  let dir = '';
  before(() => { dir = mkdtempSync(join(tmpdir(), 'scr-sge-unit-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('detects a parallel job by JOB_ID, SGE_ROOT and PE_HOSTFILE; JOB_ID alone is not Grid Engine', () => {
    const cfg = undefined as never;
    assert.equal(manager.detect({ JOB_ID: '5', SGE_ROOT: '/x', PE_HOSTFILE: '/f' }, cfg), true);
    assert.equal(manager.detect({ JOB_ID: '5', PE_HOSTFILE: '/f' }, cfg), false);
    assert.equal(manager.detect({ JOB_ID: '5', SGE_ROOT: '/x' }, cfg), false);
    assert.equal(manager.ownsJobId!('12'), true);
    assert.equal(manager.ownsJobId!('12.3'), true);
    assert.equal(manager.ownsJobId!('nojob-abc'), false);
  });

  it('nodes from PE_HOSTFILE; an array task\'s id is job.task; missing variables are named', () => {
    const f = join(dir, 'pe_hostfile');
    writeFileSync(f, PE_HOSTFILE);
    const rm = new SgeRM({ JOB_ID: '9', SGE_ROOT: '/x', PE_HOSTFILE: f, SGE_TASK_ID: 'undefined' });
    assert.deepEqual(rm.nodes(), ['n2', 'n4', 'n3']);
    assert.equal(rm.jobId(), '9');
    assert.equal(new SgeRM({ JOB_ID: '9', SGE_ROOT: '/x', PE_HOSTFILE: f, SGE_TASK_ID: '3' }).jobId(), '9.3');
    assert.throws(() => new SgeRM({ JOB_ID: '9' }), /\(SGE_ROOT, PE_HOSTFILE not set\): run this in a job script submitted with qsub -pe/);
    assert.throws(() => new SgeRM({ JOB_ID: '9', SGE_ROOT: '/x', PE_HOSTFILE: join(dir, 'none') }), /cannot be read \(ENOENT\)/);
  });
});
