/** `npm run ops`: list and replay parked events (see `local/ops.ts`). */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { fileURLToPath } from 'node:url';
import { OpsUsageError, runOps } from '../local/ops.js';

const dataDir = fileURLToPath(new URL('../.data/', import.meta.url));
try {
  for (const line of await runOps(process.argv.slice(2), dataDir)) console.log(line);
} catch (error) {
  console.error(error instanceof OpsUsageError ? error.message : error);
  process.exit(error instanceof OpsUsageError ? 2 : 1);
}
