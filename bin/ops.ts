/**
 * `npm run ops`: set up a deployed stage and print its webhook URLs, watch deliveries arrive, list and replay
 * parked events, replay the raw event store, redrive the DLQs, show an interview's status, erase a candidate,
 * and diagnose the ATS configuration (see `local/ops.ts`).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { LocalSecretsFileError } from '../local/errors.js';
import { explainAwsError } from '../local/ops/stack-outputs.js';
import { OpsUsageError, opsCommandOf, runOpsCommand } from '../local/ops.js';
import { dataDirFromEnv } from '../local/runtime-info.js';

// The running npm start's data directory, found as `npm start` and `npm run send` find it: `DATA_DIR`, else
// `.data/`.
const dataDir = dataDirFromEnv(process.env);
const argv = process.argv.slice(2);
const onTerminal = process.stdin.isTTY === true && process.stdout.isTTY === true;

/** On a terminal: prints an erase's plan and asks; piped or redirected there is no one to ask. */
const confirm = onTerminal
  ? async (plan: readonly string[]): Promise<boolean> => {
      for (const line of plan) console.log(line);
      const prompt = createInterface({ input: process.stdin, output: process.stdout });
      try {
        const answer = await prompt.question('\nDelete all of the above for good? Type "erase" to confirm: ');
        return answer.trim() === 'erase';
      } finally {
        prompt.close();
      }
    }
  : undefined;

/** On a terminal: asks for a secret; what is typed is not echoed (readline writes its echo nowhere). */
const askSecret = onTerminal
  ? async (question: string): Promise<string> => {
      process.stdout.write(question);
      const nowhere = new Writable({ write: (_chunk, _encoding, done) => done() });
      const prompt = createInterface({ input: process.stdin, output: nowhere, terminal: true });
      try {
        return await prompt.question('');
      } finally {
        prompt.close();
        process.stdout.write('\n');
      }
    }
  : undefined;

// `watch` runs until Ctrl-C, which ends it cleanly. A `redrive` stops between two batches and makes what it
// received visible again (else hidden on the DLQ for its visibility timeout, up to 12 hours); a second Ctrl-C
// quits at once. Every other command keeps Node's default (exit at once).
const interrupt = new AbortController();
const command = opsCommandOf(argv);
if (command === 'watch') process.once('SIGINT', () => interrupt.abort());
if (command === 'redrive') {
  process.once('SIGINT', () => {
    console.error('stopping after this batch (Ctrl-C again quits at once, leaving received messages hidden)');
    interrupt.abort();
    process.once('SIGINT', () => process.exit(130));
  });
}

try {
  const { lines, exitCode } = await runOpsCommand(argv, dataDir, {
    // Long commands (redrive, replay, erase) show their progress: one updating line on a terminal.
    progress: process.stdout,
    print: (line) => console.log(line),
    signal: interrupt.signal,
    color: process.stdout.isTTY === true && process.env.NO_COLOR === undefined,
    ...(confirm === undefined ? {} : { confirm }),
    ...(askSecret === undefined ? {} : { askSecret }),
  });
  for (const line of lines) console.log(line);
  process.exitCode = exitCode;
} catch (error) {
  if (error instanceof OpsUsageError) {
    console.error(error.message);
    process.exit(2);
  }
  // An AWS error the operator caused (a typo'd region, no or expired credentials, a missing permission) and a
  // local secrets file missing or broken are one sentence saying what to check; anything else is a bug,
  // printed with its stack.
  console.error(
    explainAwsError(error, command) ?? (error instanceof LocalSecretsFileError ? error.message : error),
  );
  process.exit(1);
}
