/**
 * Adds or replaces a user in a SASL users file (sasl-users.ts), with SCRAM-SHA-256 and
 * SCRAM-SHA-512 credentials derived from a password read from standard input:
 *
 *   printf '%s\n' "$PASSWORD" | npx tsx broker/auth/sasl-user-tool.ts --file users.json --user alice
 *
 * The password is the first line of standard input (never a flag, which `ps` would show). The file
 * is created if missing and replaced atomically (a temporary file in the same directory, then a
 * rename), with mode 0600. Bad usage exits with code 2, any other failure with 1.
 */
import { chmodSync, closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { SaslUsers, withUser } from './sasl-users';

const USAGE = 'usage: sasl-user-tool --file <users.json> --user <name>   (the password is the first line of standard input)';

class UsageError extends Error {}

interface ToolArguments {
  readonly file: string;
  readonly user: string;
}

/** --file and --user, each once, as "--flag value" or "--flag=value". Undefined for --help. */
function parseArguments(argv: readonly string[]): ToolArguments | undefined {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') return undefined;
    const match = /^--(file|user)(?:=(.*))?$/s.exec(arg);
    if (!match) throw new UsageError(`unexpected argument ${JSON.stringify(arg)}; allowed: --file, --user`);
    const name = match[1];
    let value = match[2];
    if (value === undefined) {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      value = argv[++i];
    }
    if (values.has(name)) throw new UsageError(`--${name} is given twice`);
    values.set(name, value);
  }
  const file = values.get('file');
  const user = values.get('user');
  if (!file) throw new UsageError('--file is required');
  if (!user) throw new UsageError('--user is required (a non-empty user name)');
  return { file, user };
}

/** The first line of standard input, without its line ending. Stops reading at the first newline. */
function readPasswordLine(): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (): void => {
      process.stdin.off('data', onData);
      // Not just pause(): an open stdin (a terminal, a pipe still open) would keep the process alive.
      process.stdin.destroy();
      resolve(text.split('\n')[0].replace(/\r$/, ''));
    };
    const onData = (chunk: Buffer | string): void => {
      text += chunk.toString();
      if (text.includes('\n')) finish();
    };
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', onData);
    process.stdin.once('end', finish);
    process.stdin.once('error', reject);
  });
}

/** The file's text, or undefined if it does not exist yet. */
function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Readers see the old file or the new one, never half of one; the credentials are readable by the owner only. */
function writeAtomically(file: string, text: string): void {
  // Next to the file, so that the rename stays on one file system.
  const temporary = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    chmodSync(temporary, 0o600); // whatever the umask
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let toolArguments: ToolArguments | undefined;
  try {
    toolArguments = parseArguments(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`sasl-user-tool: ${error.message}\n${USAGE}\n`);
    return 2;
  }
  if (toolArguments === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const { file, user } = toolArguments;
  const existing = readIfExists(file);
  // Checked here, so that a broken file is reported by its name.
  if (existing !== undefined) SaslUsers.parse(existing, file);
  const password = await readPasswordLine();
  if (password === '') {
    process.stderr.write(`sasl-user-tool: the password (the first line of standard input) is empty\n${USAGE}\n`);
    return 2;
  }
  writeAtomically(file, await withUser(existing, user, password));
  process.stderr.write(`${file}: ${user} has SCRAM-SHA-256 and SCRAM-SHA-512 credentials\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`sasl-user-tool: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
