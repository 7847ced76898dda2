/* UsageError: a problem with what the user asked the command line tool for. */
/** A problem with what the user asked for (flags, files, shapes): one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'UsageError'
  }
}
