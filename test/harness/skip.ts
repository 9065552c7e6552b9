// Skipping a test says why, where the user sees it: a pending test in the output is followed by
// the reason, so a run that skipped something can be judged (a missing tool, not root, one rank).
import type { Context } from 'mocha';

/** Prints `skipped: <why>` under the test and skips it (throws, as mocha's skip does). */
export function skipBecause(ctx: Context, why: string): never {
  console.log(`      skipped: ${why}`);
  ctx.skip();
}
