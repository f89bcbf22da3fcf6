/**
 * The one audit every fault scenario ends with, once the pipeline has recovered:
 * - nothing in flight: the events and archive queues are empty (visible or received);
 * - zero lost: every delivery the ingest acknowledged (202) is processed (its ledger record is done),
 *   except the ones expected in the DLQ;
 * - zero duplicates: the ATS writes the receiver applied (2xx-answered deliveries, repeats included) are
 *   exactly the expected multiset, and the ledger records exactly those effects done;
 * - the DLQs hold exactly the events (and archive tasks) that fail permanently, and nothing else.
 */

import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { ArchiveTask } from '../../functions/archive/types.js';
import type { GenericAtsEvent } from '../../functions/ats/generic/adapter.js';
import type { QueueMessage } from '../../functions/vendors/envelope.js';
import { resources } from '../../lib/resources.js';
import { localAws } from '../../local/emulators.js';
import { queueDepth } from '../../local/queue-depth.js';
import { eventually } from '../integration/local/factories.js';
import type { FaultsWorld } from './harness.js';

/**
 * An effect key (`<vendor>:<interview key>:<write key>`), or a pattern for one whose key is a hash of what it
 * writes (`links:<hash>`).
 */
export type ExpectedEffect = string | RegExp;

export interface AuditExpectation {
  /** The effects the ATS must have received, each as often as listed. */
  readonly effects: readonly ExpectedEffect[];
  /** Dedupe keys of the events that fail permanently: exactly these are in the events DLQ. @default [] */
  readonly deadLettered?: readonly string[];
  /** Archive tasks that fail permanently, as `<interview key> <asset name>`: exactly these in the archive DLQ. @default [] */
  readonly archiveDeadLettered?: readonly string[];
  /**
   * Count the ATS's effects as a Standard Webhooks receiver keeps them, one per `webhook-id`: a write sent
   * again with the same id after its answer was lost (a 500 after the ATS applied it) is the same write, which
   * the receiver drops. @default false: every delivery answered 2xx counts
   */
  readonly byWebhookId?: boolean;
}

/** What the audit saw, for a scenario's own further checks. */
export interface AuditReport {
  /** Every event record done in the ledger, by dedupe key. */
  readonly processed: ReadonlySet<string>;
}

const sorted = (values: Iterable<string>): string[] => [...values].sort();

/**
 * The difference between the effects seen and the expected multiset: each expected entry takes one seen
 * effect it matches (exact keys first, then patterns). Patterns take distinct keys: two patterns listed for
 * two different writes (`links:<hash>` twice) cannot both take copies of one key written twice, which would
 * hide that duplicate and the missing write together.
 */
export const effectDifference = (seen: readonly string[], expected: readonly ExpectedEffect[]) => {
  const unexpected = sorted(seen);
  const missing: string[] = [];
  const takenByPatterns = new Set<string>();
  const take = (matches: (key: string) => boolean, label: string) => {
    const at = unexpected.findIndex(matches);
    if (at === -1) missing.push(label);
    else unexpected.splice(at, 1);
  };
  for (const key of expected) if (typeof key === 'string') take((seenKey) => seenKey === key, key);
  for (const pattern of expected) {
    if (!(pattern instanceof RegExp)) continue;
    let taken: string | undefined;
    take((seenKey) => {
      const matches = pattern.test(seenKey) && !takenByPatterns.has(seenKey);
      if (matches) taken = seenKey;
      return matches;
    }, String(pattern));
    if (taken !== undefined) takenByPatterns.add(taken);
  }
  return { missing: sorted(missing), unexpected };
};

/** The messages of a queue without taking them (received with a visibility timeout of 0). */
const peek = async (sqs: SQSClient, queueUrl: string): Promise<string[]> => {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
  );
  // local-aws-sqs may return a message more than once in one answer when its visibility timeout is 0.
  return [...new Map(Messages.map((message) => [message.MessageId, message.Body ?? ''])).values()];
};

const dedupeKeyOf = (body: string): string => {
  const message = JSON.parse(body) as QueueMessage;
  return message.kind === 'event' ? message.event.dedupeKey : message.dedupeKey;
};

const archiveTaskOf = (body: string): string => {
  const task = JSON.parse(body) as ArchiveTask;
  return `${task.interviewKey} ${task.asset.name}`;
};

export interface LedgerView {
  readonly doneEvents: Set<string>;
  readonly doneEffects: string[];
}

/** Every interview item of the ledger: the events done and the effects recorded done. */
export const readLedger = async (world: FaultsWorld): Promise<LedgerView> => {
  const client = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: localAws.region,
      endpoint: world.pipeline.endpoints.dynamodb,
      credentials: localAws.credentials,
    }),
  );
  const doneEvents = new Set<string>();
  const doneEffects: string[] = [];
  try {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: resources.ledgerTable.name,
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const pk = String(item.pk);
        if (!pk.startsWith('INTERVIEW#') || item.sk !== 'STATE') continue;
        const [, vendor, ...rest] = pk.split('#');
        const interviewKey = rest.join('#');
        const events = (item.events ?? {}) as Record<string, { done?: boolean }>;
        for (const [key, record] of Object.entries(events)) if (record.done) doneEvents.add(key);
        const effects = (item.effects ?? {}) as Record<string, { state?: string }>;
        for (const [key, record] of Object.entries(effects)) {
          if (record.state === 'done') doneEffects.push(`${vendor}:${interviewKey}:${key}`);
        }
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
  } finally {
    client.destroy();
  }
  return { doneEvents, doneEffects };
};

/** The effect keys of the deliveries a deduplicating receiver keeps: the first of each `webhook-id`. */
export const acceptedEffects = (world: FaultsWorld): string[] =>
  world.receiver.state.accepted.map((delivery) => (delivery.payload as GenericAtsEvent).eventKey);

/** The effect keys of the deliveries the receiver applied (answered 2xx), repeats included. */
export const appliedEffects = (world: FaultsWorld): string[] =>
  world.receiver.state.deliveries
    .filter((delivery) => delivery.verified && (delivery.status ?? 0) >= 200 && (delivery.status ?? 0) < 300)
    .map((delivery) => (delivery.payload as GenericAtsEvent).eventKey);

/**
 * How long the outcome must stay as expected once reached: longer than the worlds' visibility timeouts (3 s),
 * so that a message still hidden by a receive, or a late effect, shows up before the world is torn down.
 */
const quietMs = 3_500;

/**
 * Waits (up to `timeoutMs`) until the world has settled into exactly the expected outcome, and checks it is
 * still so after {@link quietMs}; fails with the last difference seen otherwise.
 */
export const audit = async (
  world: FaultsWorld,
  expected: AuditExpectation,
  timeoutMs = 30_000,
): Promise<AuditReport> => {
  const check = auditCheck(world, expected);
  await eventually(check, timeoutMs);
  await new Promise((resolve) => setTimeout(resolve, quietMs));
  return check();
};

/** One look at the world: throws (an `expect`) on the first difference from `expected`. */
const auditCheck = (world: FaultsWorld, expected: AuditExpectation) => {
  const { sqs, queueUrls } = world.pipeline;
  const deadLettered = new Set(expected.deadLettered ?? []);
  return async (): Promise<AuditReport> => {
    // Nothing in flight, delayed messages included (a task the archive sent to wait for a busy asset).
    expect({
      events: await queueDepth(sqs, queueUrls.events, { includeDelayed: true }),
      archive: await queueDepth(sqs, queueUrls.archive, { includeDelayed: true }),
    }).toEqual({ events: 0, archive: 0 });

    // The DLQs hold exactly the permanent failures.
    expect(await queueDepth(sqs, queueUrls.deadLetter)).toBe(deadLettered.size);
    expect(sorted((await peek(sqs, queueUrls.deadLetter)).map(dedupeKeyOf))).toEqual(sorted(deadLettered));
    const archiveDeadLettered = expected.archiveDeadLettered ?? [];
    expect(await queueDepth(sqs, queueUrls.archiveDeadLetter)).toBe(archiveDeadLettered.length);
    expect(sorted((await peek(sqs, queueUrls.archiveDeadLetter)).map(archiveTaskOf))).toEqual(
      sorted(archiveDeadLettered),
    );

    // Zero lost: every acknowledged delivery processed (or dead-lettered, when expected).
    const ledger = await readLedger(world);
    const lost = sorted(world.acknowledged).filter(
      (key) => !ledger.doneEvents.has(key) && !deadLettered.has(key),
    );
    expect({ lost }).toEqual({ lost: [] });

    // Zero duplicates: the ATS got each expected effect as often as listed, and the ledger records exactly
    // those effects done.
    const applied = expected.byWebhookId ? acceptedEffects(world) : appliedEffects(world);
    const none = { missing: [], unexpected: [] };
    expect({ ats: effectDifference(applied, expected.effects) }).toEqual({ ats: none });
    expect(sorted(ledger.doneEffects)).toEqual(sorted(new Set(applied)));
    return { processed: ledger.doneEvents };
  };
};
