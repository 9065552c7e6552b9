// Errors a command reports as one clean line (no stack trace): the user's mistake or a state
// of the world, with an optional hint. Anything else is a bug and keeps its stack.

export class UserError extends Error {
  readonly code = 'ERR_SCR_USAGE';
  constructor(message: string, readonly opts: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = 'UserError';
  }
}

/** Error codes of the domain modules that describe a user-facing problem, not a bug. */
const USER_CODES = /^(ERR_SCR_|ERR_META_|ERR_LOCK_|ERR_HOSTLIST|ERR_UNSAFE_DIR|ENOENT$|EACCES$|EPERM$|ENOTDIR$|EISDIR$|ENOSPC$|EROFS$|EDQUOT$)/;

export function isUserError(e: unknown): e is Error & { code: string } {
  return e instanceof Error && typeof (e as { code?: unknown }).code === 'string' && USER_CODES.test((e as unknown as { code: string }).code);
}

/** Exit codes shared by every command (docs/commands.md). */
export const EXIT = { OK: 0, FAILED: 1, USAGE: 2, BUG: 70 } as const;
