/**
 * `npm run send -- <vendor> <fixture | path> [--url …] [--secret …] [--token …] [--timestamp …]`:
 * posts a vendor webhook (signed like the vendor would) and prints the answer. See `local/send.ts`.
 */
import { runSendCli } from '../local/send.js';

process.exitCode = await runSendCli(process.argv.slice(2));
