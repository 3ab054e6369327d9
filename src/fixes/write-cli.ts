// AWS CLI commands, one a line, quoted for a POSIX shell: pasted into a terminal they run as is.

/** A shell variable set by an earlier line (`"$sg"`): the id a create call returned. */
export class ShellVariable {
  constructor(readonly name: string) {}
}

export type Arg = string | number | ShellVariable;

function quoteArg(arg: Arg): string {
  if (arg instanceof ShellVariable) return `"$${arg.name}"`;
  const text = String(arg);
  return /^[A-Za-z0-9_./:=,@%+-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}

/** `aws SERVICE COMMAND ARGS…`, quoted. */
export function awsCommand(service: string, command: string, args: Arg[]): string {
  return ['aws', service, command, ...args].map(quoteArg).join(' ');
}

/** `name=$(aws …)`: the line that captures an id for later lines. */
export function captureInto(name: string, command: string): string {
  return `${name}=$(${command})`;
}

export function writeCli(commands: string[]): string {
  return commands.join('\n');
}
