/**
 * The stateless stack's resources and every documented default, asserted on one in-process synth of a stage
 * (not `dev`) with an empty configuration. Expected values are written out literally (not read back from
 * `lib/`), so a drifting default fails here. Values of the stateful stack are expected as the stateless
 * template renders them (`Fn::ImportValue` of the stateful stack's exports).
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { type MetricSpec, metrics } from '../../functions/platform/metric-names.js';
import type { InterviewSyncStatefulStack } from '../../lib/stateful-stack.js';
import type { InterviewSyncStatelessStack } from '../../lib/stateless-stack.js';
import { stageOutputs, stageStackNames } from '../../local/ops/stack-outputs.js';
import {
  type DashboardWidget,
  dashboardWidgets,
  environmentOf,
  logicalIdOf,
  placeholderOf,
  renderedIn,
  synthesizeStage,
} from './synth.js';

describe('stateless stack with the default configuration', () => {
  let stack: InterviewSyncStatelessStack;
  let state: InterviewSyncStatefulStack;
  let template: Template;
  let statefulTemplate: Template;
  const id = (construct: Parameters<typeof logicalIdOf>[1]): string => logicalIdOf(stack, construct);
  const getAtt = (construct: Parameters<typeof logicalIdOf>[1], attribute: string) => ({
    'Fn::GetAtt': [id(construct), attribute],
  });
  /** A stateful value as this stack renders it. */
  const ref = (token: string) => renderedIn(stack, token);

  beforeAll(() => {
    // Prepare & Act
    ({
      stateless: stack,
      stateful: state,
      statelessTemplate: template,
      statefulTemplate,
    } = synthesizeStage());
  });

  it('runs the code and watches it: API, three functions, their event sources, alarms, topic, dashboard', () => {
    // Assess
    expect(stack.stackName).toBe('InterviewSync-test-Stateless');
    template.resourceCountIs('AWS::Lambda::Function', 3);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.resourceCountIs('AWS::ApiGatewayV2::Route', 3);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 24);
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    template.resourceCountIs('AWS::SNS::Topic', 1);
    template.resourceCountIs('AWS::KMS::Key', 1);
    for (const type of [
      'AWS::SQS::Queue',
      'AWS::S3::Bucket',
      'AWS::DynamoDB::Table',
      'AWS::SecretsManager::Secret',
    ])
      template.resourceCountIs(type, 0);
  });

  it('is not termination-protected (it holds no data) and depends on the stateful stack', () => {
    // Assess
    expect(stack.terminationProtection).toBe(false);
    expect(stack.dependencies).toEqual([state]);
  });

  it("reads the stateful resources through imports of the stateful stack's exports", () => {
    // Assess
    expect(ref(state.events.queue.queueUrl)).toEqual({
      'Fn::ImportValue': expect.stringMatching(/^InterviewSync-test-Stateful:ExportsOutputRefEventsQueue/),
    });
  });

  describe('functions', () => {
    it.each([
      ['ingest', 512, 15, 'off'],
      ['worker', 512, 60, 'off'],
      ['archive', 2048, 900, 'on'],
    ] as const)(
      '%s: nodejs22.x on arm64, %i MB, %i s, tracing %s by default, ESM handler',
      (name, memory, timeout, tracing) => {
        // Prepare
        const fn = stack[name].function;

        // Assess
        template.hasResourceProperties('AWS::Lambda::Function', {
          FunctionName: Match.absent(),
          Role: getAtt(fn.role as NonNullable<typeof fn.role>, 'Arn'),
          Runtime: 'nodejs22.x',
          Architectures: ['arm64'],
          MemorySize: memory,
          Timeout: timeout,
          TracingConfig: tracing === 'on' ? { Mode: 'Active' } : Match.absent(),
          Handler: 'index.handler',
          LoggingConfig: { LogGroup: { Ref: Match.anyValue() } },
        });
      },
    );

    it.each(['ingest', 'worker', 'archive'] as const)(
      '%s logs to its own log group kept one month, retained with the stack',
      (name) => {
        // Prepare
        const resources = template.toJSON().Resources;
        const logGroupRef = resources[id(stack[name].function)].Properties.LoggingConfig.LogGroup
          .Ref as string;

        // Assess
        expect(resources[logGroupRef]).toMatchObject({
          Type: 'AWS::Logs::LogGroup',
          Properties: { RetentionInDays: 30 },
          DeletionPolicy: 'Retain',
        });
      },
    );

    it('ingest: environment is exactly the queue, bucket, webhook secret and limits', () => {
      // Assess
      expect(environmentOf(stack, template, stack.ingest.function)).toEqual({
        QUEUE_URL: ref(state.events.queue.queueUrl),
        BUCKET_NAME: ref(state.storage.bucket.bucketName),
        WEBHOOK_SECRETS_ARN: ref(state.secrets.webhook.secretArn),
        MAX_BODY_BYTES: String(4 * 1024 * 1024),
        SQS_MAX_MESSAGE_BYTES: String(256 * 1024),
        SIGNATURE_TOLERANCE_SECONDS: '300',
        POWERTOOLS_SERVICE_NAME: 'interview-sync-ingest',
        POWERTOOLS_METRICS_NAMESPACE: 'InterviewSync/test',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        // Tracing and source maps off by default: no Tracer, no source map to load at cold start.
        POWERTOOLS_TRACE_ENABLED: 'false',
      });
    });

    it('worker: environment has the tables, bucket, integration and vendor API secrets and documented defaults', () => {
      // Assess
      expect(environmentOf(stack, template, stack.worker.function)).toEqual({
        LEDGER_TABLE_NAME: ref(state.storage.ledgerTable.tableName),
        BUCKET_NAME: ref(state.storage.bucket.bucketName),
        INTEGRATION_SECRETS_ARN: ref(state.secrets.integration.secretArn),
        VENDOR_API_SECRETS_ARN: ref(state.secrets.vendorApi.secretArn),
        LEDGER_RETENTION_SECONDS: String(180 * 24 * 3600),
        CLAIM_LEASE_SECONDS: '120',
        UNANSWERED_SETTLE_SECONDS: '30',
        QUEUE_VISIBILITY_TIMEOUT_SECONDS: '361',
        QUEUE_MAX_RECEIVE_COUNT: '10',
        ATS_ADAPTER: 'log',
        // as many as the event source runs at once (the next test): each takes a fifth of the ATS's rate
        ATS_RATE_SHARE: '5',
        ATS_CONFIG: '{"path":"stdout"}',
        ROUND0_API_BASE_URL: 'https://rz-app-omega.vercel.app',
        MICRO1_API_BASE_URL: 'https://public.api.micro1.ai',
        SLACK_NOTIFICATIONS: 'false',
        DEAD_LETTER_QUEUE_URL: ref(state.events.deadLetterQueue.queueUrl),
        QUEUE_URL: ref(state.events.queue.queueUrl),
        ARCHIVE_QUEUE_URL: ref(state.archive.queue.queueUrl),
        POWERTOOLS_SERVICE_NAME: 'interview-sync-worker',
        POWERTOOLS_METRICS_NAMESPACE: 'InterviewSync/test',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_TRACE_ENABLED: 'false',
        NODE_OPTIONS: '--enable-source-maps',
      });
    });

    it('worker: consumes the events queue in batches of 10, 1 s window, at most 5 at once, partial failures', () => {
      // Assess
      template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
        EventSourceArn: ref(state.events.queue.queueArn),
        FunctionName: { Ref: id(stack.worker.function) },
        BatchSize: 10,
        MaximumBatchingWindowInSeconds: 1,
        ScalingConfig: { MaximumConcurrency: 5 },
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      });
    });

    it('archive: environment has the table, bucket, queues, vendor API secret and documented defaults', () => {
      // Assess
      expect(environmentOf(stack, template, stack.archive.function)).toEqual({
        LEDGER_TABLE_NAME: ref(state.storage.ledgerTable.tableName),
        BUCKET_NAME: ref(state.storage.bucket.bucketName),
        QUEUE_URL: ref(state.events.queue.queueUrl),
        ARCHIVE_QUEUE_MAX_RECEIVE_COUNT: '5',
        ARCHIVE_QUEUE_URL: ref(state.archive.queue.queueUrl),
        ARCHIVE_DEAD_LETTER_QUEUE_URL: ref(state.archive.deadLetterQueue.queueUrl),
        VENDOR_API_SECRETS_ARN: ref(state.secrets.vendorApi.secretArn),
        ROUND0_API_BASE_URL: 'https://rz-app-omega.vercel.app',
        ARCHIVE_MEDIA_HOSTS: '{"micro1":["micro1.ai","*.micro1.ai"],"round0":["storage.round0.io"]}',
        ARCHIVE_VARIANTS: 'highest',
        POWERTOOLS_SERVICE_NAME: 'interview-sync-archive',
        POWERTOOLS_METRICS_NAMESPACE: 'InterviewSync/test',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        POWERTOOLS_TRACE_ENABLED: 'true',
        NODE_OPTIONS: '--enable-source-maps',
      });
    });

    it("warns at synth that a vendor's recordings will be refused while it has no media host (both have one by default)", () => {
      // Act: the construct's warnings (the synth printed them; the temporary output is gone)
      const warningsOf = (archive: InterviewSyncStatelessStack['archive']) =>
        archive.node.metadata
          .filter((entry) => entry.type === 'aws:cdk:warning')
          .map((entry) => String(entry.data));
      const { stateless: withoutRound0Host } = synthesizeStage({
        config: { archiveMediaHosts: { micro1: ['micro1.ai'], round0: [] } },
      });

      // Assess: both vendors have hosts by default; an empty list is said at synth
      expect(warningsOf(stack.archive)).toEqual([]);
      expect(warningsOf(withoutRound0Host.archive)).toEqual([
        expect.stringMatching(/^archiveMediaHosts\.round0 is empty: every round0 recording will be refused/),
      ]);
    });

    it('archive: consumes the archive queue one asset at a time, at most 4 at once, partial failures', () => {
      // Assess
      const mappings = template.findResources('AWS::Lambda::EventSourceMapping', {
        Properties: { EventSourceArn: ref(state.archive.queue.queueArn) },
      });
      expect(
        Object.values(mappings).map(({ Properties: { Tags: _tags, ...properties } }) => properties),
      ).toEqual([
        {
          EventSourceArn: ref(state.archive.queue.queueArn),
          FunctionName: { Ref: id(stack.archive.function) },
          BatchSize: 1,
          ScalingConfig: { MaximumConcurrency: 4 },
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        },
      ]);
    });
  });

  describe('HTTP API', () => {
    it.each(['POST /webhooks/round0', 'POST /webhooks/micro1/{token}', '$default'])(
      'routes %s to the ingest Lambda',
      (routeKey) => {
        // Assess
        template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
          ApiId: { Ref: id(stack.ingest.api) },
          RouteKey: routeKey,
          AuthorizationType: 'NONE',
          Target: Match.anyValue(),
        });
      },
    );

    it('integrates the ingest Lambda with payload format 2.0', () => {
      // Assess
      template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
        IntegrationType: 'AWS_PROXY',
        IntegrationUri: getAtt(stack.ingest.function, 'Arn'),
        PayloadFormatVersion: '2.0',
      });
    });

    it('routes every other path and method to the ingest too ($default), which refuses them with a problem', () => {
      // Assess: one integration for all three routes, so a wrong URL reaches the ingest's 404/405
      const routes = Object.values(template.findResources('AWS::ApiGatewayV2::Route'));
      expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(
        ['$default', 'POST /webhooks/micro1/{token}', 'POST /webhooks/round0'].sort(),
      );
      expect(new Set(routes.map((route) => JSON.stringify(route.Properties.Target))).size).toBe(1);
    });

    it('throttles every route of the $default stage to 100 rps with bursts of 200', () => {
      // Assess
      template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        ApiId: { Ref: id(stack.ingest.api) },
        StageName: '$default',
        AutoDeploy: true,
        DefaultRouteSettings: { ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200 },
      });
    });

    it('writes JSON access logs with the route key, never the path (the micro1 path holds the token)', () => {
      // Prepare
      const stage = template.toJSON().Resources[id(stack.ingest.stage)];
      const { DestinationArn, Format } = stage.Properties.AccessLogSettings;

      // Assess
      expect(DestinationArn).toEqual(getAtt(stack.ingest.accessLogGroup, 'Arn'));
      const fields = JSON.parse(Format) as Record<string, string>;
      expect(fields).toMatchObject({
        requestId: '$context.requestId',
        ip: '$context.identity.sourceIp',
        routeKey: '$context.routeKey',
        status: '$context.status',
        latency: '$context.responseLatency',
        responseLength: '$context.responseLength',
      });
      expect(Format).not.toMatch(/path/i);
    });

    it('keeps access logs one month', () => {
      // Assess
      expect(template.toJSON().Resources[id(stack.ingest.accessLogGroup)]).toMatchObject({
        Properties: { RetentionInDays: 30 },
        DeletionPolicy: 'Retain',
      });
    });
  });

  describe('alarm topic', () => {
    it('encrypts with a rotated customer-managed key that only this account’s CloudWatch alarms may use, and deletes the key with the stack', () => {
      // Prepare
      const key = template.toJSON().Resources[id(stack.alarmTopic.key)];

      // Assess
      template.hasResourceProperties('AWS::SNS::Topic', {
        KmsMasterKeyId: getAtt(stack.alarmTopic.key, 'Arn'),
      });
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(key.Properties.PendingWindowInDays).toBe(7);
      expect(key.DeletionPolicy).toBe('Delete');
      expect(key.Properties.KeyPolicy.Statement).toContainEqual({
        Sid: 'AllowCloudWatchAlarmsToPublish',
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
        Condition: {
          ArnLike: {
            'aws:SourceArn': {
              'Fn::Join': [
                '',
                [
                  'arn:',
                  { Ref: 'AWS::Partition' },
                  ':cloudwatch:',
                  { Ref: 'AWS::Region' },
                  ':',
                  { Ref: 'AWS::AccountId' },
                  ':alarm:*',
                ],
              ],
            },
          },
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
        },
      });
    });

    it("denies publishing without TLS and lets only this account's CloudWatch alarms publish", () => {
      // Prepare
      const policy = Object.values(template.findResources('AWS::SNS::TopicPolicy'))[0];
      const statements = policy?.Properties.PolicyDocument.Statement as Record<string, unknown>[];

      // Assess
      expect(statements).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
      expect(statements).toContainEqual(
        expect.objectContaining({
          Sid: 'AllowCloudWatchAlarmsToPublish',
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: 'sns:Publish',
          Condition: {
            ArnLike: { 'aws:SourceArn': expect.anything() },
            StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          },
        }),
      );
    });

    it('has no subscription unless an alarm e-mail is configured, and says so at synth', () => {
      // Prepare
      const warningsOf = (topic: InterviewSyncStatelessStack['alarmTopic']) =>
        topic.node
          .findAll()
          .flatMap((construct) => construct.node.metadata)
          .filter((entry) => entry.type === 'aws:cdk:warning')
          .map((entry) => String(entry.data));
      const { stateless: withEmail } = synthesizeStage({ config: { alarmEmail: 'oncall@example.com' } });

      // Assess
      template.resourceCountIs('AWS::SNS::Subscription', 0);
      expect(warningsOf(stack.alarmTopic)).toEqual([
        expect.stringMatching(/^no alarmEmail or alarmWebhookUrls: the alarms go to an SNS topic nobody/),
      ]);
      expect(warningsOf(withEmail.alarmTopic)).toEqual([]);
    });
  });

  describe('dashboard', () => {
    let widgets: DashboardWidget[];
    /** Every metric line of every graph, as JSON text (`["Namespace","Metric","Dim","Value",{…}]` or `[{expression}]`). */
    let lines: string[];
    const titles = () => widgets.map((widget) => widget.properties.title ?? widget.properties.markdown ?? '');

    beforeAll(() => {
      // Prepare
      widgets = dashboardWidgets(template);
      lines = widgets.flatMap((widget) =>
        (widget.properties.metrics ?? []).map((line) => JSON.stringify(line)),
      );
    });

    it('is named after the stage', () => {
      // Assess
      // Dashboards are global to the account: the region tells one stage's two regions apart
      template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: { 'Fn::Join': ['', ['InterviewSync-test-', { Ref: 'AWS::Region' }]] },
      });
    });

    it('opens with the status of every alarm', () => {
      // Assess
      expect(widgets[0]).toMatchObject({ type: 'alarm', properties: { title: 'Alarms' } });
      expect(widgets[0]?.properties.alarms).toEqual(
        stack.alarms.alarms.map((alarm) => `<ref:${id(alarm)}.Arn>`),
      );
    });

    it.each((Object.values(metrics) as MetricSpec[]).map((spec) => [spec.name, spec.service, spec] as const))(
      'graphs the aggregate of %s (service %s)',
      (name, service) => {
        // Assess
        expect(lines).toContainEqual(
          expect.stringContaining(`["InterviewSync/test","${name}","service","${service}",`),
        );
      },
    );

    it.each(
      (Object.values(metrics) as MetricSpec[])
        .filter((spec) => spec.breakdown !== undefined)
        .map((spec) => [spec.name, spec.breakdown?.join(', '), spec] as const),
    )('breaks %s down by %s with a SEARCH over exactly those dimensions', (name, dimensions, spec) => {
      // Prepare
      const schema = ['InterviewSync/test', 'service', ...(spec.breakdown ?? [])]
        .map((d) => `"${d}"`)
        .join(',');
      const statistic = spec.unit === 'Milliseconds' ? 'p90' : 'Sum';
      const expression = `SEARCH('{${schema}} "service"="${spec.service}" MetricName="${name}"', '${statistic}', 300)`;

      // Assess
      expect(titles()).toContain(`${name} by ${dimensions}`);
      expect(lines).toContainEqual(JSON.stringify([{ label: ' ', expression }]));
    });

    it("shows EndToEndLag p50, p90 and p99, and the ATS failure rate with the alarm's minimum volume", () => {
      // Assess
      for (const statistic of ['p50', 'p90', 'p99']) {
        expect(lines).toContainEqual(
          expect.stringContaining(
            `"EndToEndLag","service","interview-sync-worker",{"label":"EndToEndLag ${statistic}","stat":"${statistic}"}`,
          ),
        );
      }
      expect(lines).toContainEqual(
        expect.stringContaining('"expression":"IF(writes >= 5, 100 * FILL(failed, 0) / writes, 0)"'),
      );
      // Over the alarm's 15 minutes, which its minimum volume is counted in.
      const rateLines = lines.filter(
        (line) => /"AtsWrite(Failed)?","service"/.test(line) && line.includes('"visible":false'),
      );
      expect(rateLines).toHaveLength(2);
      for (const line of rateLines) expect(JSON.parse(line).at(-1)).toMatchObject({ period: 900 });
    });

    it("shows the API's requests, 4xx, 5xx and latency", () => {
      // Prepare
      const api = `<ref:${id(stack.ingest.api)}>`;

      // Assess
      for (const metric of ['Count', '4xx', '5xx', 'Latency'])
        expect(lines).toContainEqual(
          expect.stringContaining(`["AWS/ApiGateway","${metric}","ApiId","${api}"`),
        );
    });

    it.each(['ingest', 'worker', 'archive'] as const)(
      "shows the %s function's errors, throttles, duration and concurrency, and no iterator age",
      (name) => {
        // Prepare
        const fn = `<ref:${id(stack[name].function)}>`;

        // Assess
        for (const metric of ['Errors', 'Throttles', 'Duration', 'ConcurrentExecutions'])
          expect(lines).toContainEqual(
            expect.stringContaining(`["AWS/Lambda","${metric}","FunctionName","${fn}"`),
          );
        expect(lines).not.toContainEqual(expect.stringContaining(`"IteratorAge","FunctionName","${fn}"`));
      },
    );

    it.each([
      ['events queue', 'events', 'queue'],
      ['events DLQ', 'events', 'deadLetterQueue'],
      ['archive queue', 'archive', 'queue'],
      ['archive DLQ', 'archive', 'deadLetterQueue'],
    ] as const)('shows the %s depth and oldest-message age', (_name, owner, member) => {
      // Prepare
      const queueName = placeholderOf(ref(state[owner][member].queueName));

      // Assess
      for (const metric of ['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage'])
        expect(lines).toContainEqual(
          expect.stringContaining(`["AWS/SQS","${metric}","QueueName","${queueName}"`),
        );
    });

    it("shows the ledger table's throttled requests", () => {
      // Prepare
      const table = placeholderOf(ref(state.storage.ledgerTable.tableName));

      // Assess
      expect(lines.filter((line) => line.includes('AWS/DynamoDB') && line.includes(table)).join()).toMatch(
        /Throttl/,
      );
    });
  });

  describe('outputs', () => {
    const outputValue = (name: string): string => JSON.stringify(template.findOutputs(name)[name]?.Value);

    it('outputs the ROUND0 webhook URL', () => {
      // Assess
      expect(outputValue('Round0WebhookUrl')).toContain(id(stack.ingest.api));
      expect(outputValue('Round0WebhookUrl')).toMatch(/\/webhooks\/round0"/);
    });

    it('outputs the micro1 webhook URL base and says the token must be appended', () => {
      // Assess
      expect(outputValue('Micro1WebhookUrl')).toMatch(/\/webhooks\/micro1"/);
      template.hasOutput('Micro1WebhookUrl', { Description: Match.stringLikeRegexp('append /\\{token\\}') });
    });

    it("outputs the dashboard URL in the stack's region", () => {
      // Assess
      template.hasOutput('DashboardUrl', {
        Value: {
          'Fn::Join': [
            '',
            [
              'https://console.aws.amazon.com/cloudwatch/home?region=',
              { Ref: 'AWS::Region' },
              '#dashboards:name=InterviewSync-test-',
              { Ref: 'AWS::Region' },
            ],
          ],
        },
      });
    });

    it('outputs the alarm topic', () => {
      // Assess
      template.hasOutput('AlarmTopicArn', { Value: { Ref: id(stack.alarmTopic.topic) } });
    });

    it.each([
      ['IngestLogGroupName', 'ingest'],
      ['WorkerLogGroupName', 'worker'],
      ['ArchiveLogGroupName', 'archive'],
    ] as const)("outputs %s: the %s function's own log group (ops watch, the runbook)", (name, fn) => {
      // Prepare
      const resources = template.toJSON().Resources;
      const logGroupRef = resources[id(stack[fn].function)].Properties.LoggingConfig.LogGroup.Ref as string;

      // Assess
      expect(resources[logGroupRef].Type).toBe('AWS::Logs::LogGroup');
      template.hasOutput(name, { Value: { Ref: logGroupRef } });
    });

    it('outputs the API access log group the runbook queries', () => {
      // Assess
      template.hasOutput('ApiAccessLogGroupName', { Value: { Ref: id(stack.ingest.accessLogGroup) } });
    });

    it('has every output npm run ops reads, on the stacks it describes', () => {
      // Prepare
      const templates = { stateful: statefulTemplate, stateless: template };
      const stacks = { stateful: state, stateless: stack };

      // Assess
      expect(stageStackNames('test')).toEqual({
        stateful: state.stackName,
        stateless: stack.stackName,
      });
      for (const { stack: which, name } of Object.values(stageOutputs)) {
        // The stack's name in the value, so a failure says which stack lacks which output.
        expect({ [stacks[which].stackName]: Object.keys(templates[which].findOutputs(name)) }).toEqual({
          [stacks[which].stackName]: [name],
        });
      }
    });
  });
});
