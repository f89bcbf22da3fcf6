/**
 * The CDK app. One stack per stage, e.g. `npx cdk deploy -c stage=prod`.
 *
 * Context (all optional):
 * - `stage`: suffix of the stack name (default `dev`), so several stages can live in one account.
 * - `atsAdapter`: the worker's ATS adapter (default `log`).
 * - `atsConfig`: the adapter's settings as a JSON object (default `{}`).
 * - `atsCompletedStageId`, `atsScoreFieldId`: stage to move screened applications to, custom field for
 *   the screening score (default: neither).
 * - `slackNotifications`: `true` to post start/completion messages to the Slack webhook in the
 *   integration secret (default `false`).
 * - `round0ApiBaseUrl`, `micro1ApiBaseUrl`: vendor API base URLs (default: the vendors' own).
 * - `archiveMediaHosts`: per vendor, the media hosts the archive may fetch from, as a JSON object of string
 *   lists, e.g. `-c archiveMediaHosts='{"micro1":["micro1.ai","*.micro1.ai"],"round0":["storage.round0.io"]}'`
 *   (default `{"micro1":["micro1.ai","*.micro1.ai"],"round0":[]}`).
 * - `archiveVariants`: `highest` or `all` variants of an HLS recording (default `highest`).
 * - `archiveTransitionAfterDays`: days before archived media moves to Glacier Instant Retrieval (default 90).
 */
import { App, Duration, Tags } from 'aws-cdk-lib';
import { type VendorName, vendorNames } from '../functions/vendors/envelope.js';
import { addComplianceChecks } from '../lib/compliance.js';
import { InterviewSyncStack } from '../lib/interview-sync-stack.js';

const app = new App();

const stage = contextString('stage') ?? 'dev';
const atsConfig = app.node.tryGetContext('atsConfig') as unknown;
const archiveMediaHosts = app.node.tryGetContext('archiveMediaHosts') as unknown;
const archiveVariants = contextString('archiveVariants');
if (archiveVariants !== undefined && archiveVariants !== 'highest' && archiveVariants !== 'all') {
  throw new Error('context "archiveVariants" must be "highest" or "all"');
}
const archiveTransitionAfterDays = contextPositiveInteger('archiveTransitionAfterDays');

const stack = new InterviewSyncStack(app, `InterviewSync-${stage}`, {
  description: `interview-sync (${stage}): vendor webhooks to ATS updates and S3 archives`,
  // Unset when synthesising offline without credentials: the stack is then environment-agnostic.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  atsAdapter: contextString('atsAdapter'),
  atsConfig: atsConfig === undefined ? undefined : parseAtsConfig(atsConfig),
  atsCompletedStageId: contextString('atsCompletedStageId'),
  atsScoreFieldId: contextString('atsScoreFieldId'),
  slackNotifications: contextBoolean('slackNotifications'),
  round0ApiBaseUrl: contextString('round0ApiBaseUrl'),
  micro1ApiBaseUrl: contextString('micro1ApiBaseUrl'),
  archiveMediaHosts: archiveMediaHosts === undefined ? undefined : parseMediaHosts(archiveMediaHosts),
  archiveVariants,
  archiveTransitionAfter:
    archiveTransitionAfterDays === undefined ? undefined : Duration.days(archiveTransitionAfterDays),
});
Tags.of(stack).add('project', 'interview-sync');
Tags.of(stack).add('stage', stage);
// cdk-nag: an unacknowledged AWS Solutions finding fails the synth.
addComplianceChecks(app);

function contextString(key: string): string | undefined {
  const value = app.node.tryGetContext(key) as unknown;
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value === '') {
    throw new Error(`context "${key}" must be a non-empty string`);
  }
  return value;
}

/** `-c key=true` arrives as a string, a value in cdk.json as a boolean. */
function contextBoolean(key: string): boolean | undefined {
  const value = app.node.tryGetContext(key) as unknown;
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new Error(`context "${key}" must be true or false`);
}

/** `-c atsConfig='{"baseUrl":"…"}'` arrives as a string, a value in cdk.json as an object. */
function parseAtsConfig(value: unknown): Record<string, unknown> {
  const parsed = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('context "atsConfig" must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** `-c key=30` arrives as a string, a value in cdk.json as a number. */
function contextPositiveInteger(key: string): number | undefined {
  const value = app.node.tryGetContext(key) as unknown;
  if (value === undefined) return undefined;
  const number = typeof value === 'string' ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isSafeInteger(number) || number <= 0) {
    throw new Error(`context "${key}" must be a positive integer`);
  }
  return number;
}

/**
 * `-c archiveMediaHosts='{"micro1":[…],"round0":[…]}'` arrives as a string, a value in cdk.json as an object.
 * Both vendors must be named, so a typo in a vendor's name cannot silently leave the default in place.
 */
function parseMediaHosts(value: unknown): Record<VendorName, string[]> {
  const parsed = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  const isHostList = (hosts: unknown): hosts is string[] =>
    Array.isArray(hosts) && hosts.every((host) => typeof host === 'string' && host !== '');
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    Array.isArray(parsed) ||
    Object.keys(parsed).sort().join() !== [...vendorNames].sort().join() ||
    !Object.values(parsed).every(isHostList)
  ) {
    throw new Error(
      `context "archiveMediaHosts" must be a JSON object with a list of host names for each of ${vendorNames.join(', ')}`,
    );
  }
  return parsed as Record<VendorName, string[]>;
}
