/** `npm run ops`: list and replay parked events, and diagnose the ATS configuration (see `local/ops.ts`). */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { fileURLToPath } from 'node:url';
import { OpsUsageError, runOpsCommand } from '../local/ops.js';

const dataDir = fileURLToPath(new URL('../.data/', import.meta.url));
try {
  const { lines, exitCode } = await runOpsCommand(process.argv.slice(2), dataDir);
  for (const line of lines) console.log(line);
  process.exitCode = exitCode;
} catch (error) {
  console.error(error instanceof OpsUsageError ? error.message : error);
  process.exit(error instanceof OpsUsageError ? 2 : 1);
}
