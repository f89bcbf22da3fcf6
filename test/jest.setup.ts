/**
 * Runs before every test file (jest `setupFiles`).
 *
 * The AWS SDK warns once per module registry — so once per test file — that its releases after January 2027
 * need Node ≥ 22 (`NodeVersionSupportWarning`, `@aws-sdk/core` `emitWarningIfUnsupportedVersion`). This
 * machine runs Node 20 on purpose (the toolchain notes); Lambda runs Node 22 and never sees it. The SDK's
 * own switch turns it off for the tests only: the variable is set here and by the local entry points
 * (`bin/start.ts`, `bin/ops.ts`), never in a function's environment.
 */
import fc from 'fast-check';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/**
 * Property tests draw from one fixed seed, so `npm test` (and CI) is repeatable: a generator that can,
 * rarely, build a case the product rightly refuses fails every run or none, never one CI run in fifty.
 * `FC_SEED=<n>` replays a reported failure; `FC_SEED=random` explores new inputs (fast-check prints the
 * seed of any failure it finds).
 */
const seedSetting = process.env.FC_SEED ?? '20261205';
if (seedSetting !== 'random') {
  const seed = Number(seedSetting);
  if (!Number.isSafeInteger(seed))
    throw new Error(`FC_SEED must be an integer or "random", got ${seedSetting}`);
  fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
}
