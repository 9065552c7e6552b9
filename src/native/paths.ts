// Where the native modules live after `npm run build:native` (see scripts/build-native.mjs).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
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
