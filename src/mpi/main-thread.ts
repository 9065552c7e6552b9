// The MPI binding belongs to the process's main thread: MPI is initialised once per process, and
// the binding's progress and helper threads settle their Promises on the main thread's event loop.
// A worker_threads Worker that uses it gets this Error (the native module refuses to load in a
// Worker as well, so going around this layer fails the same way instead of crashing V8).
import { isMainThread } from 'node:worker_threads';

export function mainThreadOnlyMessage(call: string): string {
  return `${call}: scr's MPI binding belongs to the process's main thread and cannot be used from a worker thread ` +
    `(node:worker_threads). Make the MPI calls on the main thread and pass data to workers with postMessage.`;
}

/** Throws unless called on the process's main thread. */
export function assertMainThread(call: string): void {
  if (!isMainThread) throw new Error(mainThreadOnlyMessage(call));
}
