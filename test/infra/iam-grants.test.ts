/**
 * The code's AWS calls against the IAM grants, per Lambda. Locally nothing checks IAM (the emulators accept
 * any credentials), so a call added without its grant passes every other test and fails in production with
 * AccessDenied; and a grant can outlive the call that needed it. This test reads what each function's bundle
 * can call (aws-calls.ts: the live code reachable from its entry), turns each call into IAM actions on a
 * resource (the tables below), and compares them with its role's policies in the synthesised template:
 *
 * - every action the code calls is granted on the resource it calls it on;
 * - every granted action is called by the code, or is in an allowance table that says who else uses it
 *   (Lambda's event source mapping, its log and trace delivery, a permission S3 consults).
 *
 * least-privilege.test.ts pins the exact policies; this one says why each grant is there. A change to what
 * the code calls fails here with the call's place, its action and its resource.
 */

import { archiveCompletedEvent } from '../../functions/archive/events.js';
import type { ArchiveTask } from '../../functions/archive/types.js';
import { archiveRoot } from '../../functions/archive/types.js';
import {
  archiveManifestPkPrefix,
  interviewStatePkPrefix,
  parkedPkPrefix,
} from '../../functions/ledger/partitions.js';
import { sqsSafeJson } from '../../functions/queue/event-queue.js';
import { rawEventsPrefix } from '../../functions/queue/raw-events.js';
import type { ServiceFunction } from '../../lib/constructs/service-function.js';
import { resources as settings } from '../../lib/resources.js';
import {
  type AnalysisOptions,
  analyseFunctions,
  type FunctionCode,
  sourceText,
  type TrackedUse,
} from './aws-calls.js';
import {
  logicalIdOf,
  renderedIn,
  type Statement,
  statementsOfFunctionRole,
  synthesizeStage,
} from './synth.js';

const functionNames = ['ingest', 'worker', 'archive'] as const;
type FunctionName = (typeof functionNames)[number];

// ---------------------------------------------------------------------------------------------------------
// 1. What a call asks IAM for.
// ---------------------------------------------------------------------------------------------------------

/** IAM actions of a use: fixed, or read from the use's options (an `Upload`'s settings, a transaction's items). */
type Actions = readonly string[] | ((use: TrackedUse) => readonly string[]);

/** An action no grant can match: the call needs a row (or a closer look) here. */
const unknownAction = (why: string): string => `?${why}`;

/** A transaction asks for the action of each item it holds (there is no TransactWriteItems action). */
const transactWrite: Actions = (use) => {
  const items: Record<string, string> = {
    Put: 'dynamodb:PutItem',
    Update: 'dynamodb:UpdateItem',
    Delete: 'dynamodb:DeleteItem',
    ConditionCheck: 'dynamodb:ConditionCheckItem',
  };
  const actions = use.optionKeys.flatMap((key) => (items[key] === undefined ? [] : [items[key]]));
  return actions.length > 0
    ? actions
    : [unknownAction('TransactWriteItems: its items are not written out at the call')];
};

/**
 * The AWS APIs the functions may use, by package and export, and the IAM actions each needs. A use of an
 * export of a tracked package that is neither here nor in {@link sendsNothing} fails the test until it is
 * classified.
 */
const apiActions: Readonly<Record<string, Readonly<Record<string, Actions>>>> = {
  '@aws-sdk/client-sqs': {
    SendMessageCommand: ['sqs:SendMessage'],
    // There is no sqs:SendMessageBatch action: a batch is authorised as SendMessage.
    SendMessageBatchCommand: ['sqs:SendMessage'],
    ReceiveMessageCommand: ['sqs:ReceiveMessage'],
    DeleteMessageCommand: ['sqs:DeleteMessage'],
    DeleteMessageBatchCommand: ['sqs:DeleteMessage'],
    ChangeMessageVisibilityCommand: ['sqs:ChangeMessageVisibility'],
    ChangeMessageVisibilityBatchCommand: ['sqs:ChangeMessageVisibility'],
    GetQueueAttributesCommand: ['sqs:GetQueueAttributes'],
    GetQueueUrlCommand: ['sqs:GetQueueUrl'],
    PurgeQueueCommand: ['sqs:PurgeQueue'],
  },
  '@aws-sdk/client-s3': {
    GetObjectCommand: ['s3:GetObject'],
    // HEAD has no action of its own: S3 authorises it as GetObject.
    HeadObjectCommand: ['s3:GetObject'],
    PutObjectCommand: ['s3:PutObject'],
    // Reads its source and writes its destination (here one key: the object copied onto itself).
    CopyObjectCommand: ['s3:GetObject', 's3:PutObject'],
    // The three steps of a multipart upload are all authorised as PutObject.
    CreateMultipartUploadCommand: ['s3:PutObject'],
    UploadPartCommand: ['s3:PutObject'],
    CompleteMultipartUploadCommand: ['s3:PutObject'],
    AbortMultipartUploadCommand: ['s3:AbortMultipartUpload'],
    // Listing an upload's parts has its own action name.
    ListPartsCommand: ['s3:ListMultipartUploadParts'],
    // Listing is an action on the bucket, not on its objects.
    ListObjectsV2Command: ['s3:ListBucket'],
    DeleteObjectCommand: ['s3:DeleteObject'],
    PutObjectTaggingCommand: ['s3:PutObjectTagging'],
  },
  '@aws-sdk/lib-storage': {
    // One PutObject for a body within one part, else CreateMultipartUpload, UploadPart and
    // CompleteMultipartUpload (all s3:PutObject); AbortMultipartUpload when it fails, unless told to leave
    // the parts; PutObjectTagging only when given tags.
    Upload: (use) => [
      's3:PutObject',
      ...(use.options.leavePartsOnError === 'true' ? [] : ['s3:AbortMultipartUpload']),
      ...(use.options.tags === undefined ? [] : ['s3:PutObjectTagging']),
    ],
  },
  '@aws-sdk/client-dynamodb': {
    GetItemCommand: ['dynamodb:GetItem'],
    PutItemCommand: ['dynamodb:PutItem'],
    UpdateItemCommand: ['dynamodb:UpdateItem'],
    DeleteItemCommand: ['dynamodb:DeleteItem'],
    QueryCommand: ['dynamodb:Query'],
    ScanCommand: ['dynamodb:Scan'],
    paginateQuery: ['dynamodb:Query'],
    paginateScan: ['dynamodb:Scan'],
    // Batches have actions of their own: PutItem and DeleteItem do not allow a BatchWriteItem.
    BatchGetItemCommand: ['dynamodb:BatchGetItem'],
    BatchWriteItemCommand: ['dynamodb:BatchWriteItem'],
    // A transaction is authorised item by item (Get → GetItem, Put → PutItem, ConditionCheck → ConditionCheckItem).
    TransactGetItemsCommand: ['dynamodb:GetItem'],
    TransactWriteItemsCommand: transactWrite,
  },
  '@aws-sdk/lib-dynamodb': {
    GetCommand: ['dynamodb:GetItem'],
    PutCommand: ['dynamodb:PutItem'],
    UpdateCommand: ['dynamodb:UpdateItem'],
    DeleteCommand: ['dynamodb:DeleteItem'],
    QueryCommand: ['dynamodb:Query'],
    ScanCommand: ['dynamodb:Scan'],
    paginateQuery: ['dynamodb:Query'],
    paginateScan: ['dynamodb:Scan'],
    BatchGetCommand: ['dynamodb:BatchGetItem'],
    BatchWriteCommand: ['dynamodb:BatchWriteItem'],
    TransactGetCommand: ['dynamodb:GetItem'],
    TransactWriteCommand: transactWrite,
  },
  '@aws-sdk/client-secrets-manager': {
    GetSecretValueCommand: ['secretsmanager:GetSecretValue'],
    DescribeSecretCommand: ['secretsmanager:DescribeSecret'],
  },
  '@aws-lambda-powertools/parameters': {
    // Its `get` sends GetSecretValue (the secrets provider has no `getMultiple`); `transform: 'json'` is local.
    SecretsProvider: ['secretsmanager:GetSecretValue'],
    getSecret: ['secretsmanager:GetSecretValue'],
  },
  '@aws-lambda-powertools/idempotency': {
    // Its DynamoDB persistence layer reads, writes, updates and deletes its records.
    DynamoDBPersistenceLayer: [
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'dynamodb:DeleteItem',
    ],
  },
};

/** Exports of tracked packages that call no AWS API (clients are inert until sent a command). */
const sendsNothing: Readonly<Record<string, readonly string[]>> = {
  '@aws-sdk/client-sqs': ['SQSClient'],
  // Clients, and errors matched with `instanceof`.
  '@aws-sdk/client-s3': ['S3Client', 'NoSuchKey', 'S3ServiceException'],
  '@aws-sdk/client-dynamodb': ['DynamoDBClient', 'ConditionalCheckFailedException'],
  '@aws-sdk/lib-dynamodb': ['DynamoDBDocumentClient'],
  '@aws-sdk/util-dynamodb': ['marshall', 'unmarshall'],
  // Reads the credentials Lambda puts in the environment.
  '@aws-sdk/credential-provider-env': ['fromEnv'],
  // Signs a request; the hand-signed requests are sent by `exchange` ({@link handSignedRequests}).
  '@smithy/signature-v4': ['SignatureV4'],
  '@smithy/core': ['Hash'],
  // Log lines on stdout.
  '@aws-lambda-powertools/logger': ['Logger', 'LogFormatter', 'LogItem', 'injectLambdaContext'],
  // Embedded metric format: log lines CloudWatch turns into metrics (no PutMetricData).
  '@aws-lambda-powertools/metrics': ['Metrics', 'MetricUnit', 'logMetrics'],
  // The partial batch response goes back to Lambda's poller, which deletes the messages.
  '@aws-lambda-powertools/batch': ['BatchProcessor', 'EventType', 'processPartialResponse'],
  // Segments go over UDP to Lambda's X-Ray daemon, which sends them with the role: the tracing allowance.
  '@aws-lambda-powertools/tracer': ['*', 'Tracer', 'captureLambdaHandler'],
};

/** The local module that sends hand-signed requests, and its exports that send nothing. */
const signedRequestModule = 'functions/platform/signed-request.ts';
// The retry loop and what it throws or reads (a deadline's floor): none sends anything itself.
const signedRequestHelpers = ['keepAliveAgents', 'retrying', 'OutOfTimeError', 'minAttemptMs'];

/**
 * Where `exchange` (the one function that sends a hand-signed request) is called, and the API each of those
 * requests is, proven by a literal of the request at that place.
 */
const handSignedRequests: Readonly<
  Record<string, { evidence: RegExp; expected: string; actions: readonly string[] }>
> = {
  // A SigV4-signed POST whose `x-amz-target` names the operation (SQS's JSON protocol).
  'functions/platform/message-send.ts › createSignedSendMessage': {
    evidence: /^AmazonSQS\.\w+$/,
    expected: 'AmazonSQS.SendMessage',
    actions: ['sqs:SendMessage'],
  },
  // A SigV4-signed `PUT /<key>` with no query string: S3's PutObject.
  'functions/platform/object-put.ts › createSignedPutObject': {
    evidence: /^(GET|HEAD|PUT|POST|DELETE|PATCH)$/,
    expected: 'PUT',
    actions: ['s3:PutObject'],
  },
};

const analysisOptions: AnalysisOptions = {
  trackedPackages: /^@aws-sdk\/|^@aws-lambda-powertools\/|^@smithy\//,
  trackedModules: [signedRequestModule],
};

// ---------------------------------------------------------------------------------------------------------
// 2. Where each call goes.
// ---------------------------------------------------------------------------------------------------------

/** The resources the functions' grants name (a queue, a table's partition, a bucket's prefix, a secret…). */
type ResourceName =
  | 'eventsQueue'
  | 'eventsDeadLetterQueue'
  | 'archiveQueue'
  | 'archiveDeadLetterQueue'
  | 'interviewState'
  | 'parkedEvents'
  | 'archiveManifest'
  | 'claimCheckObjects'
  | 'claimCheckListing'
  | 'rawEventObjects'
  | 'archivedObjects'
  | 'webhookSecret'
  | 'integrationSecret'
  | 'vendorApiSecret'
  | 'ownLogStreams'
  | 'traces';

/**
 * Per function, the resource each place of its code calls AWS on: a key is a site or a prefix of sites
 * (`file`, `file › Class`, `file › outer › inner`); the longest one that fits applies. A call in a place with
 * no key fails the test: say here where it goes.
 */
const callTargets: Readonly<
  Record<FunctionName, Readonly<Record<string, ResourceName | readonly ResourceName[]>>>
> = {
  ingest: {
    // `EventQueue.publish` through `lightWriters` (functions/ingest.ts).
    'functions/platform/message-send.ts › createSignedSendMessage': 'eventsQueue',
    // Its claim checks (`EventQueue.#storeClaimCheck`).
    'functions/platform/object-put.ts › createSignedPutObject': 'claimCheckObjects',
    'functions/platform/secrets.ts': 'webhookSecret',
  },
  worker: {
    // `delayRedelivery` of the message being processed.
    'functions/worker.ts › createWorkerHandler › delayRedelivery': 'eventsQueue',
    'functions/queue/dead-letter.ts': 'eventsDeadLetterQueue',
    'functions/queue/archive-queue.ts': 'archiveQueue',
    // Follows a claim check.
    'functions/queue/queue-message.ts': 'claimCheckObjects',
    // The raw event store's writer (functions/worker.ts `RawEventStore`).
    'functions/platform/clients.ts › sdkPutObject': 'rawEventObjects',
    'functions/ledger/interview-ledger.ts': 'interviewState',
    'functions/ledger/parking-lot.ts': 'parkedEvents',
    'functions/platform/secrets.ts': ['integrationSecret', 'vendorApiSecret'],
  },
  archive: {
    // A busy asset's task sent back to wait, a timed-out one sent again.
    'functions/archive.ts › createArchiveHandler › deferUntil': 'archiveQueue',
    'functions/archive.ts › createArchiveHandler › sendAgain': 'archiveQueue',
    'functions/queue/dead-letter.ts': 'archiveDeadLetterQueue',
    // `archive.completed` through its `EventQueue` (functions/archive.ts), whose claim checks it refuses.
    'functions/platform/clients.ts › sdkSendMessage': 'eventsQueue',
    'functions/archive/manifest.ts': 'archiveManifest',
    'functions/archive/s3-store.ts': 'archivedObjects',
    'functions/ledger/parking-lot.ts': 'parkedEvents',
    'functions/platform/secrets.ts': 'vendorApiSecret',
  },
};

/**
 * Calls that are in a function's live code but are never sent by the deployed function, each with the
 * reason and a test below that holds it to it. Not granted, on purpose.
 */
const neverSent: readonly {
  fn: FunctionName;
  site: string;
  resource: ResourceName;
  action: string;
  reason: string;
}[] = [];

/**
 * Grants no code of the function calls, each with who uses it. The event source mapping's, the log
 * streams' and X-Ray's are derived from the template below (an allowance only where the template has the
 * mapping, the log group, active tracing).
 */
const grantedForOthers: readonly {
  fn: FunctionName;
  resource: ResourceName;
  actions: readonly string[];
  reason: string;
}[] = [
  {
    fn: 'worker',
    resource: 'claimCheckListing',
    actions: ['s3:ListBucket'],
    reason:
      'S3 answers a GET of a missing key with 404 NoSuchKey only to a caller allowed ListBucket (else 403): ' +
      '`readQueueMessage` tells a lost claim check (dead-letter now, with the reason) from an outage that way',
  },
];

/** What Lambda's SQS event source mapping calls with the function's role (AWSLambdaSQSQueueExecutionRole). */
const eventSourceMappingActions = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'];
/** What Lambda calls with the role to deliver the function's logs to its log group. */
const logDeliveryActions = ['logs:CreateLogStream', 'logs:PutLogEvents'];
/** What Lambda's X-Ray daemon calls with the role when active tracing is on (no resource-level permissions). */
const traceDeliveryActions = ['xray:PutTraceSegments', 'xray:PutTelemetryRecords'];

// ---------------------------------------------------------------------------------------------------------
// The comparison.
// ---------------------------------------------------------------------------------------------------------

interface Call {
  readonly site: string;
  readonly api: string;
  readonly actions: readonly string[];
}

/** The AWS calls of a function's live code, and the uses this test cannot classify. */
const callsOf = (code: FunctionCode): { calls: Call[]; unclassified: string[] } => {
  const calls: Call[] = [];
  const unclassified: string[] = [];
  for (const use of code.uses) {
    const api = `${use.from} ${use.name}`;
    if (use.from === signedRequestModule) {
      if (signedRequestHelpers.includes(use.name)) continue;
      const key = Object.keys(handSignedRequests).find((prefix) => withinSite(use.site, prefix));
      const request = key === undefined ? undefined : handSignedRequests[key];
      if (use.name !== 'exchange' || request === undefined) {
        unclassified.push(`${use.site}: ${api} (a hand-signed request this test does not know)`);
        continue;
      }
      calls.push({ site: use.site, api: `hand-signed ${request.expected}`, actions: request.actions });
      continue;
    }
    const actions = apiActions[use.from]?.[use.name];
    if (actions !== undefined) {
      calls.push({ site: use.site, api, actions: typeof actions === 'function' ? actions(use) : actions });
    } else if (!sendsNothing[use.from]?.includes(use.name)) {
      unclassified.push(`${use.site}: ${api}`);
    }
  }
  return { calls, unclassified: [...new Set(unclassified)] };
};

/** Whether `site` is `prefix` or inside it (`file` covers `file › f`, `file › C` covers `file › C.m`). */
const withinSite = (site: string, prefix: string): boolean =>
  site === prefix || site.startsWith(`${prefix} › `) || site.startsWith(`${prefix}.`);

const targetsOf = (fn: FunctionName, site: string): readonly ResourceName[] | undefined => {
  const keys = Object.keys(callTargets[fn]).filter((prefix) => withinSite(site, prefix));
  const longest = keys.sort((a, b) => b.length - a.length)[0];
  if (longest === undefined) return undefined;
  const target = callTargets[fn][longest] as ResourceName | readonly ResourceName[];
  return typeof target === 'string' ? [target] : target;
};

/** A resource as a role's statements name it: what it is, and under which condition. */
interface ResourceRef {
  readonly resource: unknown;
  readonly conditions?: unknown;
}

/** Whether a granted action (perhaps with wildcards) allows `action`; IAM compares them case-insensitively. */
const allows = (pattern: string, action: string): boolean => {
  const literal = (text: string) => text.replace(/[.+^$|()[\]{}\\]/g, (c) => `\\${c}`);
  const source = pattern
    .split('*')
    .map((part) => part.split('?').map(literal).join('.'))
    .join('.*');
  return new RegExp(`^${source}$`, 'i').test(action);
};

const keyOf = (ref: ResourceRef): string => JSON.stringify([ref.resource, ref.conditions ?? null]);

/** A role's grants, per resource and condition: the shape CDK merged statements into does not matter. */
const grantsOf = (
  statements: readonly Statement[],
): Map<string, { ref: ResourceRef; actions: Set<string> }> => {
  const grants = new Map<string, { ref: ResourceRef; actions: Set<string> }>();
  for (const statement of statements) {
    if (statement.effect !== 'Allow') continue;
    for (const resource of statement.resources) {
      const ref = {
        resource,
        ...(statement.conditions === undefined ? {} : { conditions: statement.conditions }),
      };
      const entry = grants.get(keyOf(ref)) ?? { ref, actions: new Set<string>() };
      for (const action of statement.actions) entry.actions.add(action);
      grants.set(keyOf(ref), entry);
    }
  }
  return grants;
};

interface Comparison {
  /** Calls the role does not allow: AccessDenied in production. */
  readonly missing: string[];
  /** Grants no code calls and no allowance explains. */
  readonly unused: string[];
  /** Uses of tracked packages this test cannot map to IAM actions, and calls with no target. */
  readonly unknown: string[];
  /** Per resource, the actions the code calls (for the report). */
  readonly called: Map<ResourceName, Set<string>>;
}

interface FunctionContext {
  readonly fn: FunctionName;
  readonly code: FunctionCode;
  readonly statements: readonly Statement[];
  readonly catalog: Readonly<Record<ResourceName, ResourceRef>>;
  /** The role's policies other than its inline statements (managed ones): grants this test cannot read. */
  readonly otherPolicies: readonly string[];
  /** Allowances the template implies: the event source mapping's queue, the log group, tracing. */
  readonly templateAllowances: readonly {
    resource: ResourceName;
    actions: readonly string[];
    reason: string;
  }[];
}

const compare = (context: FunctionContext): Comparison => {
  const { fn, code, statements, catalog } = context;
  const grants = grantsOf(statements);
  const { calls, unclassified } = callsOf(code);
  const missing: string[] = [];
  const unknown = unclassified.map((text) => `${fn}: ${text}: not in apiActions or sendsNothing`);
  const called = new Map<ResourceName, Set<string>>();

  for (const call of calls) {
    const targets = targetsOf(fn, call.site);
    if (targets === undefined) {
      unknown.push(
        `${fn}: ${call.site} calls ${call.api} (${call.actions.join(', ')}): no resource in callTargets`,
      );
      continue;
    }
    for (const target of targets) {
      for (const action of call.actions) {
        if (!called.has(target)) called.set(target, new Set());
        called.get(target)?.add(action);
        const granted = [...(grants.get(keyOf(catalog[target]))?.actions ?? [])].some((pattern) =>
          allows(pattern, action),
        );
        const exempt = neverSent.some(
          (entry) =>
            entry.fn === fn &&
            withinSite(call.site, entry.site) &&
            entry.resource === target &&
            entry.action === action,
        );
        if (!granted && !exempt) {
          missing.push(`${fn}: ${call.site} calls ${call.api}: ${action} on ${target} is not granted`);
        }
      }
    }
  }

  const allowed = new Map<ResourceName, Set<string>>();
  for (const { resource, actions } of [
    ...context.templateAllowances,
    ...grantedForOthers.filter((entry) => entry.fn === fn),
  ]) {
    if (!allowed.has(resource)) allowed.set(resource, new Set());
    for (const action of actions) allowed.get(resource)?.add(action);
  }
  const unused: string[] = [];
  const names = Object.keys(catalog) as ResourceName[];
  for (const { ref, actions } of grants.values()) {
    const name = names.find((candidate) => keyOf(catalog[candidate]) === keyOf(ref));
    for (const action of [...actions].sort()) {
      if (/[*?]/.test(action)) {
        unused.push(
          `${fn}: ${action} is granted on ${name ?? keyOf(ref)}: a wildcard, write out the actions`,
        );
      } else if (name === undefined) {
        unused.push(`${fn}: ${action} is granted on ${keyOf(ref)}, which no call of the code targets`);
      } else if (!called.get(name)?.has(action) && !allowed.get(name)?.has(action)) {
        unused.push(
          `${fn}: ${action} on ${name} is granted, but no code calls it and no allowance explains it`,
        );
      }
    }
  }
  for (const policy of context.otherPolicies) {
    unused.push(`${fn}: its role has ${policy}, whose grants this test cannot see`);
  }
  return { missing: missing.sort(), unused: unused.sort(), unknown: unknown.sort(), called };
};

// ---------------------------------------------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------------------------------------------

const entries: Record<FunctionName, string> = {
  ingest: settings.ingest.entry,
  worker: settings.worker.entry,
  archive: settings.archive.entry,
};

describe('IAM grants against the AWS calls of each function', () => {
  let stage: ReturnType<typeof synthesizeStage>;
  let code: Record<FunctionName, FunctionCode>;
  let contexts: Record<FunctionName, FunctionContext>;

  const contextFor = (
    fn: FunctionName,
    functionCode: FunctionCode,
    statements?: readonly Statement[],
  ): FunctionContext => {
    const { stateless: stack, stateful: state, statelessTemplate: template } = stage;
    const lambda: ServiceFunction = stack[fn].function;
    const ref = (token: string) => renderedIn(stack, token);
    const objects = (prefix: string) => ({
      'Fn::Join': ['', [ref(state.storage.bucket.bucketArn), `/${prefix}*`]],
    });
    const ledgerItems = (prefix: string) => ({
      resource: ref(state.storage.ledgerTable.tableArn),
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${prefix}*`] } },
    });
    const catalog: Record<ResourceName, ResourceRef> = {
      eventsQueue: { resource: ref(state.events.queue.queueArn) },
      eventsDeadLetterQueue: { resource: ref(state.events.deadLetterQueue.queueArn) },
      archiveQueue: { resource: ref(state.archive.queue.queueArn) },
      archiveDeadLetterQueue: { resource: ref(state.archive.deadLetterQueue.queueArn) },
      // The ledger's items by partition-key prefix (functions/ledger/partitions.ts).
      interviewState: ledgerItems(interviewStatePkPrefix),
      parkedEvents: ledgerItems(parkedPkPrefix),
      archiveManifest: ledgerItems(archiveManifestPkPrefix),
      claimCheckObjects: { resource: objects(settings.bucket.claimCheckPrefix) },
      claimCheckListing: {
        resource: ref(state.storage.bucket.bucketArn),
        conditions: { StringLike: { 's3:prefix': `${settings.bucket.claimCheckPrefix}*` } },
      },
      rawEventObjects: { resource: objects(rawEventsPrefix) },
      archivedObjects: { resource: objects(archiveRoot) },
      webhookSecret: { resource: ref(state.secrets.webhook.secretArn) },
      integrationSecret: { resource: ref(state.secrets.integration.secretArn) },
      vendorApiSecret: { resource: ref(state.secrets.vendorApi.secretArn) },
      ownLogStreams: { resource: ref(lambda.logGroup.logGroupArn) },
      traces: { resource: '*' },
    };

    const resourcesJson = template.toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    const functionId = logicalIdOf(stack, lambda);
    const templateAllowances: FunctionContext['templateAllowances'][number][] = [
      { resource: 'ownLogStreams', actions: logDeliveryActions, reason: 'Lambda delivers its logs' },
    ];
    for (const mapping of Object.values(resourcesJson)) {
      if (mapping.Type !== 'AWS::Lambda::EventSourceMapping') continue;
      if (JSON.stringify(mapping.Properties.FunctionName) !== JSON.stringify({ Ref: functionId })) continue;
      const queue = (Object.keys(catalog) as ResourceName[]).find(
        (name) => keyOf(catalog[name]) === keyOf({ resource: mapping.Properties.EventSourceArn }),
      );
      if (queue === undefined)
        throw new Error(
          `${fn}: event source ${JSON.stringify(mapping.Properties.EventSourceArn)} not in the catalog`,
        );
      templateAllowances.push({
        resource: queue,
        actions: eventSourceMappingActions,
        reason: 'its event source mapping',
      });
    }
    const tracing = resourcesJson[functionId]?.Properties.TracingConfig as { Mode?: string } | undefined;
    if (tracing?.Mode === 'Active') {
      templateAllowances.push({
        resource: 'traces',
        actions: traceDeliveryActions,
        reason: 'active tracing',
      });
    }
    const roleId = lambda.role === undefined ? undefined : logicalIdOf(stack, lambda.role);
    const role = roleId === undefined ? undefined : resourcesJson[roleId];
    const otherPolicies = [
      ...((role?.Properties.ManagedPolicyArns as unknown[] | undefined) ?? []).map(
        (arn) => `the managed policy ${JSON.stringify(arn)}`,
      ),
      ...((role?.Properties.Policies as unknown[] | undefined) ?? []).map(
        (policy) => `the inline policy ${JSON.stringify(policy).slice(0, 80)}`,
      ),
      ...Object.entries(resourcesJson)
        .filter(
          ([, resource]) =>
            resource.Type === 'AWS::IAM::ManagedPolicy' &&
            JSON.stringify(resource.Properties.Roles ?? []).includes(JSON.stringify({ Ref: roleId })),
        )
        .map(([id]) => `the managed policy ${id}`),
    ];
    return {
      fn,
      code: functionCode,
      statements: statements ?? statementsOfFunctionRole(stack, template, lambda),
      catalog,
      otherPolicies,
      templateAllowances,
    };
  };

  beforeAll(() => {
    // Prepare & Act
    stage = synthesizeStage();
    code = analyseFunctions(entries, analysisOptions);
    contexts = Object.fromEntries(
      functionNames.map((fn) => [fn, contextFor(fn, code[fn])]),
    ) as typeof contexts;
  });

  describe.each(functionNames)('%s', (fn) => {
    it('uses no AWS API this test cannot map to IAM actions, and each call has its resource', () => {
      // Act
      const { unknown } = compare(contexts[fn]);

      // Assess
      expect(unknown).toEqual([]);
    });

    it('is granted every action its code calls, on the resource it calls it on', () => {
      // Act
      const { missing } = compare(contexts[fn]);

      // Assess
      expect(missing).toEqual([]);
    });

    it('is granted nothing its code does not call, but what an allowance explains', () => {
      // Act
      const { unused } = compare(contexts[fn]);

      // Assess
      expect(unused).toEqual([]);
    });

    it('has no stale entry in the tables (each names a place of its live code, or a grant it has)', () => {
      // Prepare
      const sites = code[fn].uses.map((use) => use.site);
      const grants = grantsOf(contexts[fn].statements);

      // Act
      const stale = [
        ...Object.keys(callTargets[fn])
          .filter((prefix) => !sites.some((site) => withinSite(site, prefix)))
          .map((prefix) => `callTargets.${fn}: ${prefix}`),
        ...neverSent
          .filter((entry) => entry.fn === fn && !sites.some((site) => withinSite(site, entry.site)))
          .map((entry) => `neverSent: ${entry.site}`),
        ...grantedForOthers
          .filter((entry) => entry.fn === fn)
          .filter((entry) => {
            const granted = grants.get(keyOf(contexts[fn].catalog[entry.resource]))?.actions;
            return !entry.actions.every((action) => granted?.has(action));
          })
          .map((entry) => `grantedForOthers: ${entry.resource} ${entry.actions.join(', ')}`),
      ];

      // Assess
      expect(stale).toEqual([]);
    });
  });

  it('reads the code per method: the worker bundles ParkingLot, but only its `park` can run there', () => {
    // Assess: `get`, `list` and `remove` (GetItem, Query, DeleteItem) are `npm run ops`'s, not the worker's
    expect(code.worker.files).toContain('functions/ledger/parking-lot.ts');
    expect(code.worker.live.filter((name) => name.includes(' › ParkingLot.'))).toEqual([
      'functions/ledger/parking-lot.ts › ParkingLot.park',
    ]);
  });

  it('each hand-signed request is the API its table row says (its operation literal at the call)', () => {
    // Act
    const found = functionNames.flatMap((fn) =>
      code[fn].uses
        .filter((use) => use.from === signedRequestModule && use.name === 'exchange')
        .map((use) => {
          const key = Object.keys(handSignedRequests).find((prefix) => withinSite(use.site, prefix));
          const request = key === undefined ? undefined : handSignedRequests[key];
          return {
            site: use.site,
            operations:
              request === undefined ? [] : use.siteLiterals.filter((text) => request.evidence.test(text)),
            expected: request === undefined ? [] : [request.expected],
          };
        }),
    );

    // Assess: the ingest sends both; each names exactly its one operation
    expect(found.map((entry) => entry.site).sort()).toEqual([
      'functions/platform/message-send.ts › createSignedSendMessage › attempt',
      'functions/platform/object-put.ts › createSignedPutObject › attempt',
    ]);
    for (const entry of found) expect(entry.operations).toEqual(entry.expected);
  });

  it('archive.completed fits an SQS message by far, so the archive never stores a claim check', () => {
    // Prepare: ids four times the longest a vendor may send (255 characters, vendors/schema-parts.ts), for
    // the keys the worker builds from several of them
    const id = 'x'.repeat(1024);
    const task: ArchiveTask = {
      schemaVersion: 1,
      vendor: 'round0',
      interviewKey: id,
      interviewId: id,
      batchId: id,
      batchAssets: [id],
      candidate: `email-hmac:${'0'.repeat(16)}`,
      asset: { kind: 'file', name: id, key: id, sourceUrl: `https://${id}`, contentType: 'audio/mpeg' },
    };

    // Act: the message the archive's EventQueue would send
    const event = archiveCompletedEvent(
      task,
      { bucket: 'b'.repeat(63), region: 'ap-southeast-2' },
      new Date(),
    );
    const bytes = Buffer.byteLength(sqsSafeJson({ kind: 'event', event }));

    // Assess: a tenth of the 256 KiB above which EventQueue stores a claim check (its default: functions/archive.ts
    // gives no maxMessageBytes)
    expect(bytes).toBeLessThan((256 * 1024) / 10);
  });

  it('no resource a function calls is encrypted with a KMS key (so no role needs a kms: grant)', () => {
    // Prepare: the stateful resources and how each is encrypted
    const { stateful: state, statefulTemplate } = stage;
    const json = statefulTemplate.toJSON().Resources as Record<
      string,
      { Properties: Record<string, unknown> }
    >;
    const props = (construct: Parameters<typeof logicalIdOf>[1]) =>
      json[logicalIdOf(state, construct)]?.Properties ?? {};
    const bucketAlgorithms = (
      (
        props(state.storage.bucket).BucketEncryption as {
          ServerSideEncryptionConfiguration?: { ServerSideEncryptionByDefault?: { SSEAlgorithm?: string } }[];
        }
      )?.ServerSideEncryptionConfiguration ?? []
    ).map((rule) => rule.ServerSideEncryptionByDefault?.SSEAlgorithm);

    // Act
    const keys = {
      // SQS-managed SSE (no KmsMasterKeyId): SQS encrypts without the caller's KMS permissions.
      queues: [
        state.events.queue,
        state.events.deadLetterQueue,
        state.archive.queue,
        state.archive.deadLetterQueue,
      ].map((queue) => props(queue).KmsMasterKeyId ?? null),
      // SSE-S3 (AES256), not SSE-KMS.
      bucket: bucketAlgorithms,
      // An AWS-owned key (no SSESpecification, or SSE off).
      table:
        (props(state.storage.ledgerTable).SSESpecification as { SSEEnabled?: boolean } | undefined)
          ?.SSEEnabled ?? false,
      // The account's aws/secretsmanager key (no KmsKeyId): Secrets Manager decrypts on the caller's behalf.
      secrets: [state.secrets.webhook, state.secrets.integration, state.secrets.vendorApi].map(
        (secret) => props(secret).KmsKeyId ?? null,
      ),
    };

    // Assess
    expect(keys).toEqual({
      queues: [null, null, null, null],
      bucket: ['AES256'],
      table: false,
      secrets: [null, null, null],
    });
  });

  describe('can fail', () => {
    it('on a new SDK call without its grant (a GetQueueUrl added to the dead-letter module, in a copy)', () => {
      // Prepare: the module with one more call at its top level (the sources are not touched)
      const path = 'functions/queue/dead-letter.ts';
      const probe =
        "import { GetQueueUrlCommand as ProbeCommand, SQSClient as ProbeClient } from '@aws-sdk/client-sqs';\n" +
        "await new ProbeClient({}).send(new ProbeCommand({ QueueName: 'probe' }));\n";
      const changed = analyseFunctions(entries, {
        ...analysisOptions,
        overrides: { [path]: probe + sourceText(path) },
      });

      // Act
      const { missing } = compare(contextFor('worker', changed.worker, contexts.worker.statements));

      // Assess
      expect(missing).toEqual([
        'worker: functions/queue/dead-letter.ts › (module) calls @aws-sdk/client-sqs GetQueueUrlCommand: sqs:GetQueueUrl on eventsDeadLetterQueue is not granted',
      ]);
    });

    it('on a grant taken away (the worker’s SendMessage to its dead-letter queue)', () => {
      // Prepare
      const deadLetterQueue = keyOf(contexts.worker.catalog.eventsDeadLetterQueue);
      // The dead-letter queue's ARN taken out of each statement that allows SendMessage (CDK merges it with
      // the archive queue's), and given back the statement's other actions.
      const statements = contexts.worker.statements.flatMap((statement): Statement[] => {
        const onQueue = (resource: unknown) =>
          keyOf({
            resource,
            ...(statement.conditions === undefined ? {} : { conditions: statement.conditions }),
          }) === deadLetterQueue;
        if (!statement.actions.includes('sqs:SendMessage') || !statement.resources.some(onQueue))
          return [statement];
        const others = statement.resources.filter((resource) => !onQueue(resource));
        const rest = statement.actions.filter((action) => action !== 'sqs:SendMessage');
        return [
          ...(others.length === 0 ? [] : [{ ...statement, resources: others }]),
          ...(rest.length === 0
            ? []
            : [{ ...statement, actions: rest, resources: statement.resources.filter(onQueue) }]),
        ];
      });

      // Act
      const { missing } = compare(contextFor('worker', code.worker, statements));

      // Assess
      expect(missing).toEqual([
        'worker: functions/queue/dead-letter.ts › sendToDeadLetterQueue calls @aws-sdk/client-sqs SendMessageCommand: sqs:SendMessage on eventsDeadLetterQueue is not granted',
      ]);
    });

    it('on a grant no code calls (GetQueueUrl on the events queue)', () => {
      // Prepare
      const statements: Statement[] = [
        ...contexts.ingest.statements,
        {
          effect: 'Allow',
          actions: ['sqs:GetQueueUrl'],
          resources: [contexts.ingest.catalog.eventsQueue.resource],
          otherKeys: [],
        },
      ];

      // Act
      const { unused } = compare(contextFor('ingest', code.ingest, statements));

      // Assess
      expect(unused).toEqual([
        'ingest: sqs:GetQueueUrl on eventsQueue is granted, but no code calls it and no allowance explains it',
      ]);
    });
  });
});
