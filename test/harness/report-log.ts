// A hand-written event log with every kind the library and the run wrapper write, one kind this
// version does not know, a field it does not know and one malformed line (line 26), for the tests
// of scr report. Job 42 (the wrapper): run 1 is killed (node n1), run 2 restarts from the rebuilt
// ckpt.2 and finalizes; then the library alone: run 3 restarts from the file system (FETCH) and
// crashes (no FINALIZE), run 4 restarts from the cache and finalizes. The numbers the tests expect
// are worked out in test/unit/report.test.ts.
export const REPORT_LOG = [
  '2026-12-01T10:00:00.000Z JOB_START job=42 rm=sim nodes=n0,n1,n2,n3 need=2 runs=3',
  '2026-12-01T10:00:00.100Z NODE_DOWN node=n3 why="excluded by SCR_EXCLUDE_NODES"',
  '2026-12-01T10:00:01.000Z RUN run=1 nodes=n0,n1 spares=n2 after=start',
  '2026-12-01T10:00:02.000Z START name=ckpt.1 id=1 flags=C',
  '2026-12-01T10:00:03.000Z CHECKPOINT name=ckpt.1 id=1 bytes=104857600 seconds=1.000 files=2 MiB/s=100.0 write=0.600 redundancy=0.300 blocking=0.400',
  '2026-12-01T10:00:04.000Z FLUSH name=ckpt.1 id=1 bytes=104857600 seconds=2.000 MiB/s=50.0 mode=sync start=0.100 copy=1.800 finish=0.100',
  '2026-12-01T10:00:10.000Z START name=ckpt.2 id=2 flags=C',
  '2026-12-01T10:00:11.000Z CHECKPOINT name=ckpt.2 id=2 bytes=104857600 seconds=0.500 files=2 MiB/s=200.0 write=0.300 redundancy=0.100 blocking=0.200',
  '2026-12-01T10:00:12.000Z PROTECTED name=ckpt.2 id=2 seconds=0.050',
  '2026-12-01T10:00:12.500Z OUTPUT name=out.1 id=3 bytes=1048576 seconds=0.100 files=1 MiB/s=10.0 write=0.100 redundancy=0 blocking=0.100',
  '2026-12-01T10:00:13.000Z FLUSH name=ckpt.2 id=2 bytes=104857600 seconds=4.000 MiB/s=25.0 mode=async',
  '2026-12-01T10:00:20.000Z RUN_END run=1 signal=SIGKILL seconds=19.000',
  '2026-12-01T10:00:20.500Z NODE_DOWN node=n1 why="sim: node failed" run=1',
  '2026-12-01T10:00:21.000Z RUN run=2 nodes=n0,n2 moved=n1→n2 after=failure',
  '2026-12-01T10:00:22.000Z REBUILD name=ckpt.2 id=2 seconds=0.700 rebuilt=1 scheme=XOR',
  '2026-12-01T10:00:22.500Z RESTART name=ckpt.2 id=2',
  '2026-12-01T10:00:25.000Z START name=ckpt.3 id=4 flags=C',
  '2026-12-01T10:00:26.000Z CHECKPOINT name=ckpt.3 id=4 bytes=209715200 seconds=1.000 files=2 MiB/s=200.0 write=0.400 redundancy=0.200 blocking=0.600',
  '2026-12-01T10:00:27.000Z FUTURE_KIND color=blue',
  '2026-12-01T10:00:28.000Z HALT reason="SCR_HALT_SECONDS: 60 s \\"left\\""',
  '2026-12-01T10:00:29.000Z FINALIZE',
  '2026-12-01T10:00:30.000Z RUN_END run=2 exit=0 seconds=9.000 newfield=7',
  '2026-12-01T10:00:31.000Z SCAVENGE name=ckpt.3 id=4 bytes=209715200 seconds=1.000 copied=0,1 MiB/s=200.0',
  '2026-12-01T10:00:31.500Z REQUEUE done=0 why="the sim resource manager cannot requeue a job"',
  '2026-12-01T10:00:32.000Z JOB_END code=finalized runs=2 seconds=32.000 reason="finalize was called: the job finished"',
  'this is not a log line',
  '2026-12-01T11:00:00.000Z FAILED name=ckpt.4 id=5 why="fetching ckpt.4 failed on rank 1: missing"',
  '2026-12-01T11:00:01.000Z FETCH name=ckpt.3 id=4 bytes=209715200 seconds=2.000 MiB/s=100.0',
  '2026-12-01T11:00:02.000Z RESTART name=ckpt.3 id=4',
  '2026-12-01T11:00:05.000Z START name=ckpt.5 id=6 flags=C',
  '2026-12-01T11:00:06.000Z CHECKPOINT name=ckpt.5 id=6 bytes=104857600 seconds=0.250 files=2 MiB/s=400.0 write=0.200 redundancy=0 blocking=0.250',
  '2026-12-01T11:00:08.000Z START name=ckpt.6 id=7 flags=C',
  '2026-12-01T11:00:10.000Z RESTART name=ckpt.5 id=6',
  '2026-12-01T11:00:12.000Z CHECKPOINT name=ckpt.6 id=7 bytes=104857600 seconds=0.500 files=2 MiB/s=200.0 write=0.300 redundancy=0.100 blocking=0.500',
  '2026-12-01T11:00:13.000Z FINALIZE',
  '',
].join('\n');
