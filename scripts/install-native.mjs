#!/usr/bin/env node
// npm's "install" script: when the package is installed into an application (it sits under a
// node_modules directory), builds the native kernels, and the MPI binding against each MPI found,
// where it is installed (docs/building.md#installing-into-an-application).
//   - no C++ compiler or no CMake: fails, naming what to install (the kernels are needed);
//   - no MPI: builds the kernels only and says how to add the binding later; the install succeeds;
//   - MPICC / MPI_HOME: builds against that MPI only; a wrong path fails.
// In a checkout (scripts/setup, `npm ci`, npm's preparation of a git dependency) it builds nothing:
// scripts/setup and `npm run build:native` do. BUILD_SCR_NATIVE=0 never builds, =1 always does.
// Running it again rebuilds (cmake-js reuses build/) and drops bindings of MPIs no longer found.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join, sep } from 'node:path';
import { build, explicitMpi, foundMpis, recordFlavour, root, which } from './build-native.mjs';

const name = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name;
const say = (line) => process.stdout.write(`scr: ${line}\n`);
const warn = (line) => process.stderr.write(`scr: ${line}\n`);
const MPI_PKGS = 'libopenmpi-dev openmpi-bin (Open MPI) or libmpich-dev mpich (MPICH)';
const DEBIAN = `Debian/Ubuntu: apt-get install g++ cmake, and for MPI ${MPI_PKGS}`;
const AGAIN = `then run 'npm rebuild ${name}' in your application's directory (or install it again)`;

function cmakeVersion() {
  if (!which('cmake')) return null;
  const r = spawnSync('cmake', ['--version'], { encoding: 'utf8' });
  const m = /version (\d+)\.(\d+)/.exec(r.stdout ?? '');
  return m ? [Number(m[1]), Number(m[2])] : null;
}

function compiler() {
  const cxx = process.env.CXX?.trim();
  if (cxx) return which(cxx.split(/\s+/)[0]) ? cxx : null;
  return ['c++', 'g++', 'clang++'].find((c) => which(c)) ?? null;
}

function fail(lines) {
  for (const l of lines) warn(l);
  process.exit(1);
}

const setting = process.env.BUILD_SCR_NATIVE?.trim();
const installed = root.split(sep).includes('node_modules');
if (setting === '0') {
  say(`BUILD_SCR_NATIVE=0: native modules not built; build them later with 'npm rebuild ${name}'`);
  process.exit(0);
}
if (!installed && setting !== '1') {
  say('a checkout, not an installed package: native modules not built here (scripts/setup or npm run build:native builds them; BUILD_SCR_NATIVE=1 builds them at npm install)');
  process.exit(0);
}

const cmake = cmakeVersion();
const cxx = compiler();
const cmakeProblem = !cmake ? 'no cmake on PATH (3.18 or newer is needed)'
  : cmake[0] < 3 || (cmake[0] === 3 && cmake[1] < 18) ? `cmake ${cmake.join('.')} is older than 3.18` : null;
const cxxProblem = cxx ? null
  : process.env.CXX ? `no C++ compiler: CXX=${process.env.CXX} is not found` : 'no C++ compiler (looked for c++, g++, clang++; or set CXX)';
if (cmakeProblem || cxxProblem) {
  fail([
    `cannot build the native modules of ${name}: ${[cxxProblem, cmakeProblem].filter(Boolean).join(', and ')}.`,
    `Install a C++17 compiler and CMake >= 3.18 (${DEBIAN}),`,
    `${AGAIN}. The MPI binding is built against the MPI whose mpicc is on PATH, or the one MPICC=/path/to/mpicc or MPI_HOME=/path/to/mpi names.`,
  ]);
}

// An MPI named by MPICC / MPI_HOME that is not there fails before anything is built.
let targets = [];
let explicit = false;
try {
  const asked = explicitMpi();
  explicit = asked !== null;
  targets = asked ? [asked] : foundMpis();
} catch (e) {
  fail([e.message]);
}

try {
  build('kernels', { SCR_TARGET: 'kernels' });
  say('built the native kernels (build/kernels)');
} catch (e) {
  fail([e.message, `${name} needs its native kernels. Check the compiler output above (${DEBIAN}), ${AGAIN}.`]);
}

const built = [];
const failed = [];
for (const t of targets) {
  try {
    build(`mpi-${t.flavour}`, { SCR_TARGET: 'mpi', MPI_C_COMPILER: t.mpicc });
    recordFlavour(t);
    built.push(t.flavour);
    say(`built the MPI binding for ${t.flavour} with ${t.mpicc} (build/mpi-${t.flavour})`);
  } catch (e) {
    failed.push(`${t.flavour} with ${t.mpicc} (${e.message})`);
  }
}
if (failed.length > 0) {
  fail([
    `building the MPI binding failed for ${failed.join('; ')}`,
    `Point MPICC at a working MPI's compiler wrapper (MPICC=/path/to/mpicc, or MPI_HOME=/path/to/mpi for its bin/mpicc), or install its development files (Debian/Ubuntu: apt-get install ${MPI_PKGS}); ${AGAIN}.`,
  ]);
}
// A binding left by an earlier install against an MPI not found now would be loaded and fail.
for (const f of ['openmpi', 'mpich']) {
  if (!built.includes(f) && existsSync(join(root, 'build', `mpi-${f}`))) {
    rmSync(join(root, 'build', `mpi-${f}`), { recursive: true, force: true });
    say(`removed the MPI binding for ${f} an earlier install built: that MPI was not found or not built now`);
  }
}
if (built.length === 0 && !explicit) {
  warn('warning: no MPI found (no mpicc, mpicc.openmpi or mpicc.mpich on PATH; MPICC and MPI_HOME are not set).');
  warn(`the kernels are built and the commands (scr …) work, but the library's init() needs the MPI binding. To build it, install Open MPI or MPICH with its development files (Debian/Ubuntu: apt-get install ${MPI_PKGS}), or set MPICC=/path/to/mpicc or MPI_HOME=/path/to/mpi for another MPI, ${AGAIN}.`);
}
