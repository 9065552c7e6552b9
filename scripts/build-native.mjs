#!/usr/bin/env node
// Builds the native modules with cmake-js:
//   build/kernels/Release/scr_kernels.node        (no MPI)
//   build/mpi-<flavour>/Release/scr_mpi.node      (one per MPI found: openmpi, mpich)
// Usage: node scripts/build-native.mjs [--target all|kernels|mpi] [--mpi all|openmpi|mpich|none]
//                                      [--mpicc PATH] [--debug]
// Environment: MPICC=/path/to/mpicc or MPI_HOME=/opt/mpi builds against that MPI only
// (its flavour is detected: Open MPI's wrapper answers --showme, MPICH-derived ones do not).
// scripts/install-native.mjs (npm's "install" script) uses the functions exported here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
}
const debug = process.argv.includes('--debug');

export function which(cmd) {
  const r = spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

export function flavourOf(mpicc) {
  const r = spawnSync(mpicc, ['--showme:version'], { encoding: 'utf8' });
  return r.status === 0 && /Open MPI/i.test(r.stdout + r.stderr) ? 'openmpi' : 'mpich';
}

/** Builds build/<name> with cmake-js; throws with cmake-js's output on failure. */
export function build(name, defines) {
  const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');
  const out = join(root, 'build', name);
  // CMake keeps what it found in its cache (FindMPI's libraries for one mpicc): a build directory
  // configured with other settings (another MPICC) is started afresh, not reused.
  const cache = join(out, 'CMakeCache.txt');
  if (existsSync(cache)) {
    const text = readFileSync(cache, 'utf8');
    const stale = Object.entries(defines).some(([k, v]) => {
      const m = new RegExp(`^${k}:[A-Z]+=(.*)$`, 'm').exec(text);
      return m !== null && m[1] !== String(v);
    });
    if (stale) rmSync(out, { recursive: true, force: true });
  }
  mkdirSync(out, { recursive: true });
  const args = [cmakeJs, 'compile', '-d', root, '-O', out, ...(debug ? ['-D'] : [])];
  // CMakeLists.txt asks node-addon-api for its headers with this node, not whichever is on PATH.
  for (const [k, v] of Object.entries({ SCR_NODE: process.execPath, ...defines })) args.push(`--CD${k}=${v}`);
  process.stdout.write(`scr: building ${name} ...\n`);
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) {
    process.stderr.write(r.stdout + r.stderr);
    throw new Error(`native build of ${name} failed (cmake-js exit ${r.status}); see the output above`);
  }
}

/** The MPI named by --mpicc, MPICC or MPI_HOME (throws if its wrapper is missing), or null. */
export function explicitMpi(cli) {
  const { MPICC, MPI_HOME } = process.env;
  const mpicc = cli || MPICC || (MPI_HOME ? join(MPI_HOME, 'bin', 'mpicc') : undefined);
  if (!mpicc) return null;
  const from = cli ? '--mpicc' : MPICC ? `MPICC=${MPICC}` : `MPI_HOME=${MPI_HOME}`;
  const path = mpicc.includes('/') ? mpicc : which(mpicc);
  if (!path || !existsSync(path)) throw new Error(`MPI compiler wrapper ${mpicc} does not exist (from ${from}): point MPICC at your MPI's mpicc, or MPI_HOME at the directory holding bin/mpicc`);
  return { flavour: flavourOf(path), mpicc: path };
}

/** The MPIs on PATH: Debian's side-by-side mpicc.openmpi and mpicc.mpich, else plain mpicc. */
export function foundMpis() {
  const found = [];
  const ompi = which('mpicc.openmpi');
  const mpich = which('mpicc.mpich');
  const generic = which('mpicc');
  if (ompi) found.push({ flavour: 'openmpi', mpicc: ompi });
  if (mpich) found.push({ flavour: 'mpich', mpicc: mpich });
  if (!ompi && !mpich && generic) found.push({ flavour: flavourOf(generic), mpicc: generic });
  return found;
}

/** Writes build/mpi-<flavour>/flavour.json beside a binding just built. */
export function recordFlavour(t) {
  writeFileSync(join(root, 'build', `mpi-${t.flavour}`, 'flavour.json'),
    JSON.stringify({ flavour: t.flavour, mpicc: t.mpicc, builtAt: new Date().toISOString() }, null, 2) + '\n');
}

function mpiTargets() {
  const which_ = arg('--mpi', 'all');
  if (which_ === 'none') return [];
  const explicit = explicitMpi(arg('--mpicc', undefined));
  if (explicit) return [explicit];
  const found = foundMpis();
  const wanted = which_ === 'all' ? found : found.filter((t) => t.flavour === which_);
  if (wanted.length === 0) {
    throw new Error(`no MPI found for --mpi ${which_}: install Open MPI or MPICH (Debian: apt-get install libopenmpi-dev openmpi-bin, or libmpich-dev mpich), or set MPICC=/path/to/mpicc`);
  }
  return wanted;
}

function main() {
  const target = arg('--target', 'all');
  if (!['all', 'kernels', 'mpi'].includes(target)) {
    process.stderr.write(`scr: --target must be all, kernels or mpi, not '${target}'\n`);
    process.exit(2);
  }
  try {
    if (target !== 'mpi') build('kernels', { SCR_TARGET: 'kernels' });
    for (const t of target === 'kernels' ? [] : mpiTargets()) {
      build(`mpi-${t.flavour}`, { SCR_TARGET: 'mpi', MPI_C_COMPILER: t.mpicc });
      recordFlavour(t);
    }
  } catch (e) {
    process.stderr.write(`scr: ${e.message}\n`);
    process.exit(1);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
