/**
 * `--stage`: a deployed stage's resources read from its two stacks' outputs, explicit flags overriding them,
 * and the errors an operator gets when a stack or an output is missing (CloudFormation through
 * aws-sdk-client-mock: there is no emulator for it).
 */
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals';
import { readStageOutputs } from '../../../local/ops/stack-outputs.js';
import { resolveStage } from '../../../local/ops/stage.js';
import { OpsUsageError, runOpsCommand } from '../../../local/ops.js';
import { cloudFormation, deployStage, region, statefulOutputs } from './deployed-stage.js';

const noLocalPipeline = '/nonexistent/.data/';

afterAll(() => {
  cloudFormation.restore();
});

describe('--stage', () => {
  beforeEach(() => deployStage());

  it("maps the stacks' outputs to the table, bucket, queues and integration secret, in the stacks' region", async () => {
    // Act
    const stage = await resolveStage({ stage: 'prod', region }, noLocalPipeline);

    // Assess
    expect({
      deployed: stage.deployed,
      region: stage.region,
      table: stage.table,
      bucket: stage.bucket,
      queues: stage.queues,
      integrationSecretArn: stage.integrationSecretArn,
    }).toEqual({
      deployed: true,
      region,
      table: statefulOutputs.LedgerTableName,
      bucket: statefulOutputs.BucketName,
      queues: {
        events: statefulOutputs.EventsQueueUrl,
        deadLetter: statefulOutputs.DeadLetterQueueUrl,
        archive: statefulOutputs.ArchiveQueueUrl,
        archiveDeadLetter: statefulOutputs.ArchiveDeadLetterQueueUrl,
      },
      integrationSecretArn: statefulOutputs.IntegrationSecretsArn,
    });
    expect(await stage.dynamodb.config.region()).toBe(region);
    expect(cloudFormation.calls().map((call) => call.args[0].input)).toEqual([
      { StackName: 'InterviewSync-prod-Stateful' },
      { StackName: 'InterviewSync-prod-Stateless' },
    ]);
    stage.destroy();
  });

  it('lets an explicit flag override its output (scripts)', async () => {
    // Act
    const stage = await resolveStage(
      { stage: 'prod', region, table: 'other-table', 'dlq-url': 'https://sqs/other-dlq' },
      noLocalPipeline,
    );

    // Assess
    expect([stage.table, stage.queues.deadLetter, stage.bucket]).toEqual([
      'other-table',
      'https://sqs/other-dlq',
      statefulOutputs.BucketName,
    ]);
    stage.destroy();
  });

  it('reads the webhook URLs and log groups of the stateless stack', async () => {
    // Act
    const outputs = await readStageOutputs({ stage: 'prod', region });

    // Assess
    expect(outputs.values).toMatchObject({
      round0WebhookUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/round0',
      micro1WebhookUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/webhooks/micro1',
      ingestLogGroup: 'InterviewSync-prod-Stateless-IngestFunctionLogGroup-1',
      workerLogGroup: 'InterviewSync-prod-Stateless-WorkerFunctionLogGroup-2',
    });
  });
});

describe('--stage errors', () => {
  it('names the missing stack, the region, how to deploy and what else to check, without a stack trace', async () => {
    // Prepare
    deployStage({ stateful: null, stateless: null });

    // Act
    const failure = runOpsCommand(
      ['parked', 'failed', '--stage', 'prod', '--region', region],
      noLocalPipeline,
    );

    // Assess
    await expect(failure).rejects.toThrow(OpsUsageError);
    await expect(failure).rejects.toThrow(
      'stack InterviewSync-prod-Stateful does not exist in eu-west-1: deploy the stage first ' +
        '(npm run cdk -- deploy --all -c stage=prod), or check --stage (is "prod" the stage you deployed?) ' +
        'and --region (the stage may live in another region)',
    );
  });

  it('names a stage that does not exist as such (a typo in --stage)', async () => {
    // Prepare
    deployStage();

    // Act
    const failure = runOpsCommand(['urls', '--stage', 'prdo', '--region', region], noLocalPipeline);

    // Assess
    await expect(failure).rejects.toThrow(/stack InterviewSync-prdo-Stateful does not exist in eu-west-1/);
  });

  it('names the stack lacking an output a command needs, and says to deploy again', async () => {
    // Prepare: a stateful stack of a version without the ledger table's output
    const { LedgerTableName: _dropped, ...older } = statefulOutputs;
    deployStage({ stateful: older });

    // Act
    const failure = runOpsCommand(
      ['parked', 'failed', '--stage', 'prod', '--region', region],
      noLocalPipeline,
    );

    // Assess
    await expect(failure).rejects.toThrow(
      'stack InterviewSync-prod-Stateful (UPDATE_COMPLETE, eu-west-1) has no output LedgerTableName: it was ' +
        'deployed by an older version or its last deploy failed; deploy the stage again ' +
        '(npm run cdk -- deploy --all -c stage=prod)',
    );
  });

  it('refuses a stage name no stack can have before asking AWS', async () => {
    // Prepare
    deployStage();

    // Act
    const failure = runOpsCommand(['watch', '--stage', 'prod/../x', '--region', region], noLocalPipeline);

    // Assess
    await expect(failure).rejects.toThrow('--stage "prod/../x" is not a stage name');
    expect(cloudFormation.calls()).toHaveLength(0);
  });
});
