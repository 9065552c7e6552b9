#!/bin/bash
# A Slurm batch script for an application that checkpoints with scr. Copy it and change the
# marked lines. What it does:
#   - 5 nodes: 4 run the job and 1 waits as a spare (-N 4 below). With --no-kill, a node failure
#     does not end the job, so scr srun can relaunch on the nodes left plus the spare.
#   - 5 minutes before the time limit, Slurm sends USR1 to this script. scr srun is exec'd, so it
#     receives the signal. It tells the application to halt: the application checkpoints and exits.
#     scr srun then copies the newest checkpoint from the nodes' cache to $SCR_PREFIX, and
#     requeues the job, which resumes from that checkpoint.
#     scr srun also halts the job on its own SCR_HALT_SECONDS before the end, so it does not
#     depend on the signal (which Slurm may send up to a minute early or late).
#     A job that wrote no new checkpoint, or whose --time is not above SCR_HALT_SECONDS, is not
#     requeued (scr srun says why): requeued, it would only start again from the same point.
#   - If scr srun itself dies (even by SIGKILL), its launch guard ends srun and the ranks.
#   - A failed node is left out of later runs, and its ranks' files are rebuilt from the XOR
#     redundancy the other nodes hold.
#   - To stop the job and keep its work: `scancel --signal=USR1 --batch <job>` (halt, checkpoint,
#     scavenge, requeue) or `scr halt --prefix $SCR_PREFIX`. A plain `scancel <job>` sends SIGTERM:
#     the application writes one more checkpoint and the library flushes it to $SCR_PREFIX before
#     Slurm's SIGKILL (SCR_HALT_ON_TERM=1, the default); the job is not requeued.
# Submit from the scr checkout (after scripts/setup): sbatch examples/sbatch-scr.sh
#SBATCH --job-name=heat
#SBATCH --nodes=5
#SBATCH --time=01:00:00
#SBATCH --no-kill
#SBATCH --requeue
#SBATCH --open-mode=append
#SBATCH --signal=B:USR1@300
#SBATCH --output=heat.%j.log

set -euo pipefail
cd "${SLURM_SUBMIT_DIR:-.}"

# scr: the application's own (npm install @scr-hpc/scr in the submit directory,
# docs/getting-started.md), else one on PATH (npm install -g @scr-hpc/scr), else the checkout
# this script is submitted from.
if [ -x node_modules/.bin/scr ]; then SCR=("$PWD/node_modules/.bin/scr")
elif command -v scr >/dev/null; then SCR=(scr)
else SCR=(node "$PWD/dist/src/cli/main.js"); fi

# Where checkpoints go on the parallel file system (change this).
export SCR_PREFIX=${SCR_PREFIX:-$PWD/heat-run}
# Node-local cache (RAM disk) and redundancy across nodes.
export SCR_CACHE_BASE=${SCR_CACHE_BASE:-/dev/shm} SCR_CNTL_BASE=${SCR_CNTL_BASE:-/dev/shm}
export SCR_COPY_TYPE=${SCR_COPY_TYPE:-XOR}
# Launches per allocation (1 + failures to survive), and the halt margin before the time limit.
export SCR_RUNS=${SCR_RUNS:-3} SCR_HALT_SECONDS=${SCR_HALT_SECONDS:-240}
# prerun checks each node's cache has this much room (about two checkpoints per node).
export SCR_CACHE_NEED=${SCR_CACHE_NEED:-1GiB}
# A hung run (no checkpoint for this many seconds) is killed and relaunched on the same nodes; each
# relaunch counts against SCR_RUNS. Set it well above the time between checkpoints (0 = off):
# export SCR_WATCHDOG_TIMEOUT=1800
# Seconds the job gets to stop cleanly after scancel (SIGTERM) or `scr halt --immediate` before it
# is killed; keep it below Slurm's KillWait / preemption GraceTime:
# export SCR_HALT_GRACE=20
# prerun removes the cache and control directories your earlier jobs left on these nodes (crashed
# or cancelled ones; squeue says which have ended). 0: it only lists them. By hand, on a node:
# scr clean --dry-run, then scr clean.
export SCR_CLEAN_STALE=${SCR_CLEAN_STALE:-1}

mkdir -p "$SCR_PREFIX"
echo "job $SLURM_JOB_ID, start ${SLURM_RESTART_COUNT:-0} on $SLURM_JOB_NODELIST"

# Until scr srun takes over below, a warning signal must not kill this script (bash's default for
# USR1); scr srun still halts the job in time on its own (SCR_HALT_SECONDS).
trap 'echo "USR1 before the run started: scr srun halts on its own SCR_HALT_SECONDS before the end"' USR1

# Checks every node's cache and control directories. A bad node is named and left out. It also
# announces a halt condition or finalize marker an earlier job left in $SCR_PREFIX, with the
# scr halt command that clears it.
"${SCR[@]}" prerun

# The application (change this): 4 nodes, one rank each. Open MPI needs --mpi=pmix, MPICH --mpi=pmi2.
exec "${SCR[@]}" srun --requeue -N 4 --ntasks-per-node=1 --mpi=pmix \
  node "$PWD/dist/examples/heat.js" --steps "${HEAT_STEPS:-100000}" --every 5 --cells 100000
