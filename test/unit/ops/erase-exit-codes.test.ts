/**
 * The exit codes of `npm run ops -- erase` when something goes wrong (aws-sdk-client-mock: a deployed stage
 * named by flags): a declined erase, an erase cut short and a queue whose depth could not be read are never
 * reported with exit code 0, which a script would take for done.
 */
import { GetQueueAttributesCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { DeleteCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { type OpsOptions, runOpsCommand } from '../../../local/ops.js';
import { integrationSecretArn, pseudonymKey } from './deployed-stage.js';
import { mockStageStores, queueUrl } from './erase-factories.js';

const { dynamodb, sqs, stageHolding } = mockStageStores();

/** Every resource of the stage named, the pseudonym key's secret too. */
const flags = [
  ...['--table', 'prod-ledger', '--bucket', 'prod-bucket', '--region', 'eu-west-1'],
  ...['--queue-url', queueUrl('prod-events'), '--archive-queue-url', queueUrl('prod-archive')],
  ...['--dlq-url', queueUrl('prod-events-dlq'), '--archive-dlq-url', queueUrl('prod-archive-dlq')],
  ...['--integration-secret-arn', integrationSecretArn],
];

const eraseJane = (extra: readonly string[], ops: OpsOptions = {}) =>
  runOpsCommand(['erase', '--email', 'jane@example.com', ...extra, ...flags], '/nonexistent', {
    readSecret: async () => JSON.stringify({ pseudonymKey }),
    ...ops,
  });

describe('ops erase: exit codes of an erase not done', () => {
  it('exits 1 when the operator declines the erase, and deletes nothing', async () => {
    // Prepare
    stageHolding();

    // Act
    const { lines, exitCode } = await eraseJane([], { confirm: async () => false });

    // Assess
    expect(lines).toEqual(['not erased']);
    expect(exitCode).toBe(1);
    expect(sqs.commandCalls(ReceiveMessageCommand)).toHaveLength(0);
  });

  it('exits 1 when a delete fails part-way, saying how to finish', async () => {
    // Prepare: an item of a kind the tools do not know, holding Jane's e-mail; the table throttles its delete
    stageHolding([{ pk: 'EXPORT#2026-12', sk: 'row-1', email: 'jane@example.com' }]);
    dynamodb
      .on(DeleteCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    // Act
    const { lines, exitCode } = await eraseJane(['--yes']);

    // Assess
    expect(exitCode).toBe(1);
    expect(lines[0]).toBe(
      'erase stopped before the end (ThrottlingException): part of the plan below may be erased already',
    );
  });

  it('exits 3, not 0, when the depth of the events queue cannot be read: it is never taken for empty', async () => {
    // Prepare: no permission on the events queue's attributes
    stageHolding();
    sqs
      .on(GetQueueAttributesCommand, { QueueUrl: queueUrl('prod-events') })
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDenied' }));

    // Act
    const { lines, exitCode } = await eraseJane(['--yes']);

    // Assess
    expect(exitCode).toBe(3);
    expect(lines.join('\n')).toMatch(/queues: not checked \(could not read events\)/);
    expect(lines.join('\n')).not.toMatch(/nothing to erase|empty now/);
  });
});
