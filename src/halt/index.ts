// Halt: the halt file, the halt conditions it implies, and the checkpoint policy of needCheckpoint.
// No MPI here: rank 0 of the library calls these and broadcasts the answer; commands call them as is.
export { HALT_KIND, haltFilePath, readHalt, updateHalt, clearHalt, requestCheckpointNow, setHaltAside } from './file.js';
export type { HaltRecord } from './file.js';
export { haltReason, runShouldStop, afterCheckpoint } from './conditions.js';
export type { HaltContext } from './conditions.js';
export { CheckpointPolicy } from './policy.js';
export type { PolicyOptions } from './policy.js';
export { announce, clearCommand, leftOver, startJob } from './stale.js';
export type { LeftCondition, LeftOver } from './stale.js';
