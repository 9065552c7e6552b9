// A file-system error as words for a message: "read-only file system (EROFS): /path", instead of
// Node's "EROFS: read-only file system, mkdir '/path'".

export function fsErrorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (!(e instanceof Error) || typeof err.code !== 'string' || !/^E[A-Z]+$/.test(err.code)) return e instanceof Error ? e.message : String(e);
  const words = err.message.replace(/^E[A-Z]+: /, '').replace(/, \w+ '.*'$/, '');
  return `${words} (${err.code})${err.path ? `: ${err.path}` : ''}`;
}

/** Whether `e` is a file-system error (an errno code such as EROFS, EACCES, ENOSPC). */
export function isFsError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string' && typeof (e as NodeJS.ErrnoException).errno === 'number';
}
