/**
 * `npm run ops -- erase --email` against a deployed stage named by flags (aws-sdk-client-mock: no emulator
 * for a deployed stage's permissions). Past the raw events' 30 days an interview holds the e-mail only as its
 * keyed pseudonym, so an erase by e-mail without the pseudonym key would find nothing and say "nothing held":
 * it is refused before anything is read, and runs once the key's secret is named.
 */
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { runOpsCommand } from '../../../local/ops.js';
import { integrationSecretArn, pseudonymKey } from './deployed-stage.js';
import { mockStageStores, queueUrl } from './erase-factories.js';

const { dynamodb, s3, sqs, stageHolding } = mockStageStores();

/** The events and archive queues (the dead-letter queues are in {@link stageFlags}). */
const queueFlags = ['--queue-url', queueUrl('prod-events'), '--archive-queue-url', queueUrl('prod-archive')];

const stageFlags = [
  '--table',
  'prod-ledger',
  '--bucket',
  'prod-bucket',
  '--dlq-url',
  queueUrl('prod-events-dlq'),
  '--archive-dlq-url',
  queueUrl('prod-archive-dlq'),
  '--region',
  'eu-west-1',
];

/** An empty stage: no ledger item, no object, empty dead-letter queues. */
const emptyStage = () => stageHolding();

/** `ops erase --email jane@example.com --yes` on the stage `flags` name, its pseudonym key's secret named. */
const eraseJane = (flags: readonly string[], readSecret: (arn: string) => Promise<string>) =>
  runOpsCommand(
    [
      'erase',
      '--email',
      'jane@example.com',
      '--yes',
      ...flags,
      '--integration-secret-arn',
      integrationSecretArn,
    ],
    '/nonexistent',
    { readSecret },
  );

const calls = () => dynamodb.calls().length + s3.calls().length + sqs.calls().length;

describe('ops erase --email against a deployed stage', () => {
  it('is refused without the pseudonym key, naming the flags that give it, before anything is read', async () => {
    // Prepare
    emptyStage();

    // Act
    const erase = runOpsCommand(
      ['erase', '--email', 'jane@example.com', '--yes', ...stageFlags],
      '/nonexistent',
    );

    // Assess: a usage error, not "nothing held on this candidate" with exit code 0
    await expect(erase).rejects.toThrow(
      /needs the pseudonym key: pass --stage <stage> or --integration-secret-arn/,
    );
    expect(calls()).toBe(0);
  });

  it('runs once the integration secret (the pseudonym key) is named', async () => {
    // Prepare
    emptyStage();
    const readSecret = async (arn: string) => {
      expect(arn).toBe(integrationSecretArn);
      return JSON.stringify({ pseudonymKey });
    };

    // Act
    const { lines, exitCode } = await eraseJane([...stageFlags, ...queueFlags], readSecret);

    // Assess
    expect(lines[0]).toBe('nothing held on this candidate: nothing to erase');
    expect(exitCode).toBe(0);
    expect(dynamodb.commandCalls(ScanCommand).length).toBeGreaterThan(0);
    // Every queue's depth read: the two named by queueFlags among them
    const read = new Set(
      sqs.commandCalls(GetQueueAttributesCommand).map((call) => call.args[0].input.QueueUrl),
    );
    expect(read).toEqual(
      new Set([...queueFlags, ...stageFlags].filter((flag) => flag.startsWith('https://'))),
    );
    // Where it looked: the stage the flags name, its region and resources (not the local npm start)
    expect(lines.at(-1)).toBe(
      'on: the stage named by resource flags (region eu-west-1, bucket prod-bucket, table prod-ledger)',
    );
  });

  it('exits 3, not 0, when the events or archive queue was not named: their messages were never looked at', async () => {
    // Prepare: the dead-letter queues named, not the events and archive queues
    emptyStage();
    const readSecret = async () => JSON.stringify({ pseudonymKey });

    // Act
    const { lines, exitCode } = await eraseJane(stageFlags, readSecret);

    // Assess: "run it again", saying which queues it could not look at; never "empty now"
    expect(exitCode).toBe(3);
    expect(lines.join('\n')).toMatch(
      /queues: not checked \(could not read events \(no URL given\), archive \(no URL given\)\)/,
    );
    expect(lines.join('\n')).not.toMatch(/empty now/);
  });

  it('refuses to erase by candidate id without it too: the e-mails that id leads to are looked for as pseudonyms', async () => {
    // Prepare
    emptyStage();

    // Act
    const erase = runOpsCommand(
      ['erase', '--candidate-id', 'cand-1', '--yes', ...stageFlags],
      '/nonexistent',
    );

    // Assess: a usage error, not "nothing to erase" with exit code 0 (an archive known by pseudonym missed)
    await expect(erase).rejects.toThrow(
      /erase --candidate-id against a deployed stage needs the pseudonym key/,
    );
    expect(calls()).toBe(0);
  });
});
