// Checkpoint interval advice (pure functions; see docs/report.md, "How often to checkpoint").
export { dalyInterval, expectedWaste, youngInterval } from './interval.js';
export { twoLevelAdvice, twoLevelWaste } from './multilevel.js';
export type { TwoLevelAdvice, TwoLevelInput } from './multilevel.js';
