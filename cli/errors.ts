// Errors the CLI prints for people. `run()` turns them into `▸ message`, an indented hint and an exit
// code: 1 for a user or API error, 2 for a usage error (bad arguments or options).

export class CliError extends Error {
  readonly exitCode: number = 1;

  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'CliError';
  }
}

/** The command line itself is wrong: unknown command/option, missing or malformed argument. */
export class UsageError extends CliError {
  override readonly exitCode: number = 2;

  /** `command` names the command whose usage line is printed under the error, if any. */
  constructor(message: string, hint?: string, readonly command?: string) {
    super(message, hint);
    this.name = 'UsageError';
  }
}
