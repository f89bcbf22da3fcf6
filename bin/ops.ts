/**
 * `npm run ops`: list and replay parked events, replay the raw event store, redrive the DLQs, show an
 * interview's status, erase a candidate, and diagnose the ATS configuration (see `local/ops.ts`).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { OpsUsageError, runOpsCommand } from '../local/ops.js';

const dataDir = fileURLToPath(new URL('../.data/', import.meta.url));

/** On a terminal: prints an erase's plan and asks; piped or redirected there is no one to ask. */
const confirm =
  process.stdin.isTTY && process.stdout.isTTY
    ? async (plan: readonly string[]): Promise<boolean> => {
        for (const line of plan) console.log(line);
        const prompt = createInterface({ input: process.stdin, output: process.stdout });
        try {
          const answer = await prompt.question(
            '\nDelete all of the above for good? Type "erase" to confirm: ',
          );
          return answer.trim() === 'erase';
        } finally {
          prompt.close();
        }
      }
    : undefined;

try {
  const { lines, exitCode } = await runOpsCommand(process.argv.slice(2), dataDir, {
    // Long commands (redrive, replay, erase) show their progress: one updating line on a terminal.
    progress: process.stdout,
    ...(confirm === undefined ? {} : { confirm }),
  });
  for (const line of lines) console.log(line);
  process.exitCode = exitCode;
} catch (error) {
  console.error(error instanceof OpsUsageError ? error.message : error);
  process.exit(error instanceof OpsUsageError ? 2 : 1);
}
