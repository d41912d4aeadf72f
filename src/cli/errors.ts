/** Errors the command line reports in one line, without a stack trace. */

/** An operating system error as a person reads it: "no space left on device" (ENOSPC), else Node's message. */
export function systemMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  const known: Record<string, string> = {
    ENOSPC: 'no space left on device',
    EACCES: 'permission denied',
    ENOENT: 'no such file or directory',
    EISDIR: 'is a directory',
    EPIPE: 'broken pipe',
    EIO: 'input/output error',
    EDQUOT: 'disk quota exceeded',
    EROFS: 'read-only file system',
  };
  return (err.code && known[err.code]) ?? (e instanceof Error ? e.message : String(e));
}

/** The answer could not be written: to a file named by -o, or to standard output. */
export class OutputError extends Error {
  constructor(where: string, cause: unknown) {
    super(`cannot write ${where}: ${systemMessage(cause)}`);
  }
}
