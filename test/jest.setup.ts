/**
 * Runs before every test file (jest `setupFiles`).
 *
 * The AWS SDK warns once per module registry — so once per test file — that its releases after January 2027
 * need Node ≥ 22 (`NodeVersionSupportWarning`, `@aws-sdk/core` `emitWarningIfUnsupportedVersion`). This
 * machine runs Node 20 on purpose (the toolchain notes); Lambda runs Node 22 and never sees it. The SDK's
 * own switch turns it off for the tests only: the variable is set here and by the local entry points
 * (`bin/start.ts`, `bin/ops.ts`), never in a function's environment.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
