// Mocha reporter for runs under mpirun: rank 0 prints the usual spec output, other ranks print
// only their failures, prefixed with the rank. Each rank writes a JSON report (on every failure
// and at the end) to $SCRTEST_REPORT_DIR/<label>.rank<R>.json, which scripts/test.mjs reads.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Mocha = require('mocha');

const { Base, Spec } = Mocha.reporters;
const rank = Number(process.env.OMPI_COMM_WORLD_RANK ?? process.env.PMI_RANK ?? process.env.PMIX_RANK ?? 0);

class ScrReporter extends Base {
  constructor(runner, options) {
    super(runner, options);
    if (rank === 0) new Spec(runner, options);
    const dir = process.env.SCRTEST_REPORT_DIR;
    const label = process.env.SCRTEST_LABEL || 'tests';
    const failed = [];
    const write = (ended) => {
      if (!dir) return;
      const report = { rank, ended, passes: this.stats.passes, failures: this.stats.failures, pending: this.stats.pending, failed };
      fs.writeFileSync(path.join(dir, `${label}.rank${rank}.json`), JSON.stringify(report));
    };
    runner.on('fail', (test, err) => {
      failed.push({ title: test.fullTitle(), message: String(err && err.message), stack: String(err && err.stack) });
      if (rank !== 0) process.stderr.write(`[rank ${rank}] FAILED: ${test.fullTitle()}\n[rank ${rank}] ${err && err.stack}\n`);
      write(false);
    });
    runner.once('end', () => write(true));
  }
}

module.exports = ScrReporter;
