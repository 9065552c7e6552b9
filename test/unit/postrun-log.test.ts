// `scr postrun` run by hand in a batch script (after a plain mpirun, not `scr srun`): what it
// scavenges is in the job's event log (SCAVENGE, src/rm/events.ts), as the run wrapper's is.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, scr } from '../harness/cli.js';
import { flavoursBuilt } from '../harness/launch.js';
import { cleanup, newSimJob, runOnNodes } from '../harness/sim.js';

const app = join(fileURLToPath(import.meta.url), '..', '..', 'fixtures', 'ckpt-app.js');

describe('scr postrun logs what it scavenged', function () {
  this.timeout(120_000);
  it('one SCAVENGE line for the newest checkpoint, with its bytes and ranks', async () => {
    const job = newSimJob('postrun-log', { SCR_FLUSH: '0', SCR_COPY_TYPE: 'XOR' });
    try {
      mkdirSync(job.prefix, { recursive: true });
      const nodes = ['n0', 'n1', 'n2'];
      const r = await runOnNodes(flavoursBuilt()[0]!, job, nodes, [app, '--ckpts', '2', '--files', '2']);
      assert.equal(r.code, 0, r.stderr);
      const p = scr(['postrun', '--nodes', nodes.join(',')], { env: cleanEnv({ ...job.env, SCR_SYSTEM_CONF: '/dev/null' }) });
      assert.equal(p.code, 0, p.stdout + p.stderr);
      assert.match(p.stdout, /scavenged ckpt\.2: copied rank\(s\) 0,1,2/);
      const lines = readFileSync(join(job.prefix, '.scr', 'log'), 'utf8').trim().split('\n').filter((l) => / SCAVENGE /.test(l));
      assert.equal(lines.length, 1, lines.join('\n'));
      assert.match(lines[0]!, /^\S+ SCAVENGE name=ckpt\.2 id=2 bytes=\d+ seconds=[\d.]+ copied=0,1,2 MiB\/s=[\d.]+$/);
    } finally { cleanup(job); }
  });
});
