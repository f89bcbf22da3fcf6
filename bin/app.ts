/**
 * The CDK app: one stage per synth, two stacks per stage (lib/interview-sync-stage.ts):
 * `InterviewSync-<stage>-Stateful` (ledger, bucket, queues, secrets) and `InterviewSync-<stage>-Stateless`
 * (HTTP API, functions, dashboard, alarms). Deploy both with `npm run cdk -- deploy --all -c stage=prod`.
 *
 * Context:
 * - `stage`: the stage to synthesise (default `dev`); several stages can live in one account.
 * - `stages`: per-stage settings, in cdk.json (`"stages": { "prod": { … } }`), validated by the schema of
 *   lib/config/stage-config.ts: a bad value fails the synth with a message naming the key.
 * - any settings key on the command line overrides the stage's value, e.g. `-c rawEventRetentionDays=14`,
 *   objects as JSON. The keys of earlier versions work as before:
 *   - `atsAdapter` (default `log`), `atsConfig` (JSON object, default `{}`), `atsCompletedStageId`,
 *     `atsScoreFieldId` (default: neither), `slackNotifications` (default `false`);
 *   - `round0ApiBaseUrl`, `micro1ApiBaseUrl` (default: the vendors' own);
 *   - `archiveMediaHosts` (JSON object of host lists per vendor, both vendors named, default
 *     `{"micro1":["micro1.ai","*.micro1.ai"],"round0":["storage.round0.io"]}`), `archiveVariants` (`highest`|`all`, default
 *     `highest`), `archiveTransitionAfterDays` (default 90).
 *   New keys: `archiveExpirationDays` (default: never), `rawEventRetentionDays` (30), `ledgerRetentionDays`
 *   (180), `logRetentionDays` (30), `accessLogRetentionDays` (365), `alarmEmail` (none), `alarms` (JSON
 *   object of thresholds), `logLevel` (`INFO`), `tracing` and `sourceMaps` (`true`/`false` or per
 *   function; both off for the ingest, source maps on for the worker and the archive, tracing on for the archive
 *   only), `retain` and `terminationProtection`
 *   (`true`, `false` on the stage `dev`).
 *
 * Nothing here looks anything up in an AWS account: `cdk synth` works offline and `cdk deploy` needs only
 * credentials. Without `CDK_DEFAULT_ACCOUNT` (no credentials) the stacks are environment-agnostic, whatever
 * region the CLI defaults to (`deployEnvironmentOf`).
 */
import { App } from 'aws-cdk-lib';
import { addComplianceChecks } from '../lib/compliance.js';
import { readStageConfig } from '../lib/config/stage-config.js';
import { addInterviewSyncStage, deployEnvironmentOf } from '../lib/interview-sync-stage.js';

const app = new App();

const stageContext = app.node.tryGetContext('stage') as unknown;
const stage = stageContext === undefined ? 'dev' : String(stageContext);
const config = readStageConfig(stage, (key) => app.node.tryGetContext(key) as unknown);

addInterviewSyncStage(app, stage, config, deployEnvironmentOf(process.env));
// cdk-nag: an unacknowledged AWS Solutions finding fails the synth.
addComplianceChecks(app);
