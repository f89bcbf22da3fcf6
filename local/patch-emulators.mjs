/**
 * `npm install`'s postinstall: corrects the SQS emulator where it departs from SQS in a way the worker
 * depends on. local-aws-sqs 2.0.2 adds one to a message's `ApproximateReceiveCount` on every
 * `ChangeMessageVisibility`, not only on a receive; the worker changes the visibility of every throttled or
 * held event it gives back, so locally each retry cost two receives, the worker never saw its last receive
 * and the emulator dead-lettered the event without its reason. SQS counts receives only.
 *
 * Why a targeted replace and not patch-package: the emulator ships one minified file whose line is 24 KB, so
 * a patch would be a 48 KB diff nobody can review; this names the one expression it changes. Idempotent; a
 * version whose code differs is left alone with a warning (test/integration/local/emulators.test.ts fails
 * then, saying what to look at).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let file;
try {
  file = require.resolve('local-aws-sqs');
} catch {
  process.exit(0); // installed without dev dependencies: no emulator to correct
}
// In the emulator's private visibility change (`(record, timeout, keepHandle)`), `i` is true when it is
// called from ChangeMessageVisibility (the receipt handle is kept) and false from a receive.
const counted = 'let n=Number(t.record.attributes.ApproximateReceiveCount)+1;';
const receivesOnly = 'let n=Number(t.record.attributes.ApproximateReceiveCount)+(i?0:1);';
const source = readFileSync(file, 'utf8');
if (source.includes(receivesOnly)) process.exit(0);
if (!source.includes(counted) || !source.includes('Wt=function(t,e,i){')) {
  console.warn(`patch-emulators: ${file} is not the local-aws-sqs this corrects; left as it is`);
  process.exit(0);
}
writeFileSync(file, source.replace(counted, receivesOnly));
console.log('patch-emulators: local-aws-sqs counts receives only, as SQS does');
