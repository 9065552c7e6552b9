// Where the native modules live after `npm run build:native` (see scripts/build-native.mjs).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root: dist/src/native/paths.js is three levels below it. */
export const packageRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export type MpiFlavour = 'openmpi' | 'mpich';
export const MPI_FLAVOURS: readonly MpiFlavour[] = ['openmpi', 'mpich'];

export function kernelsModulePath(): string {
  return join(packageRoot, 'build', 'kernels', 'Release', 'scr_kernels.node');
}

export function mpiModulePath(flavour: MpiFlavour): string {
  return join(packageRoot, 'build', `mpi-${flavour}`, 'Release', 'scr_mpi.node');
}

export function builtFlavours(): MpiFlavour[] {
  return MPI_FLAVOURS.filter((f) => existsSync(mpiModulePath(f)));
}

/**
 * How to build the native modules here: in an application that installed the package (it sits under
 * node_modules), `npm rebuild <name>` re-runs the install-time build; in a checkout, `npm run
 * build:native`.
 */
export function nativeBuildCommand(root: string = packageRoot): string {
  if (!root.split(sep).includes('node_modules')) return 'npm run build:native';
  let name = '@scr-hpc/scr';
  try { name = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { name?: string }).name ?? name; } catch { /* keep the default */ }
  return `npm rebuild ${name}`;
}
