/**
 * `npm run send -- <vendor> <fixture | path> [--stage <stage> [--region <r>]] [--url …] [--secret …]
 * [--token …] [--timestamp …]`: posts a vendor webhook (signed like the vendor would) to the local pipeline
 * or a deployed stage, and prints the answer. See `local/send.ts`.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { runSendCli } from '../local/send.js';

process.exitCode = await runSendCli(process.argv.slice(2));
