/**
 * The metrics the deployed ingest handler publishes (the EMF lines on stdout), per outcome of a delivery:
 * the aggregate with the service dimension only and the breakdown the contract (metric-names.ts) names.
 * SQS and S3 are mocked as in ingest.test.ts: these tests are about what is counted, not about storage.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { generateWebhookToken } from '../../../functions/vendors/index.js';
import { fixture } from '../../helpers/fixtures.js';
import { micro1Request, round0Request } from '../../helpers/signed-requests.js';
import { captureMetrics, seriesOf, valuesOf } from '../platform/emf.js';
import { httpApiEvent, micro1Event, round0Event } from './http-api-events.js';

// Metrics on (the harness turns them off otherwise), and a small body cap so "too large" stays small.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.MAX_BODY_BYTES = String(64 * 1024);
const { invoke, micro1Token, s3Mock, secret, sqsMock } = await import('./ingest-harness.js');

const service = 'interview-sync-ingest';

/** Invokes the handler once and returns its status and the metrics it published. */
const deliver = async (event: APIGatewayProxyEventV2) => {
  const { result, metrics } = await captureMetrics(() => invoke(event));
  return { status: result.statusCode, metrics };
};

const round0Body = (type: string) => fixture('round0', type).raw;

beforeEach(() => {
  sqsMock.reset();
  s3Mock.reset();
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
  s3Mock.on(PutObjectCommand).resolves({});
});

describe('ingest handler metrics', () => {
  it('counts an accepted ROUND0 event as received, by vendor and event type', async () => {
    // Act
    const { status, metrics } = await deliver(
      round0Event(round0Request(round0Body('interview_started'), { secret })),
    );

    // Assess
    expect(status).toBe(202);
    expect(valuesOf(metrics, 'WebhookReceived', { service })).toEqual([1]);
    expect(
      valuesOf(metrics, 'WebhookReceived', { service, vendor: 'round0', eventType: 'interview_started' }),
    ).toEqual([1]);
    expect(metrics.map((metric) => metric.name).sort()).toEqual(['WebhookReceived', 'WebhookReceived']);
  });

  it('counts a test delivery as TestDeliveryReceived, by vendor and event type, and never as received', async () => {
    // Act
    const { status, metrics } = await deliver(
      round0Event(round0Request(round0Body('test_interview_ended'), { secret })),
    );

    // Assess
    expect(status).toBe(202);
    expect(seriesOf(metrics, 'TestDeliveryReceived')).toEqual([
      `eventType=interview_ended,service=${service},vendor=round0`,
      `service=${service}`,
    ]);
    expect(metrics.filter((metric) => metric.name !== 'WebhookClaimCheck').map((m) => m.name)).toEqual([
      'TestDeliveryReceived',
      'TestDeliveryReceived',
    ]);
  });

  it('counts an event of an unknown type as received (type `unknown`) and as unknown', async () => {
    // Prepare
    const body = { ...(fixture('round0', 'interview_started').body as object), type: 'interview_paused' };

    // Act
    const { status, metrics } = await deliver(round0Event(round0Request(body, { secret })));

    // Assess: the vendor's unknown type text never becomes a dimension value
    expect(status).toBe(202);
    expect(seriesOf(metrics, 'WebhookReceived')).toEqual([
      `eventType=unknown,service=${service},vendor=round0`,
      `service=${service}`,
    ]);
    expect(seriesOf(metrics, 'WebhookUnknownType')).toEqual([
      `service=${service}`,
      `service=${service},vendor=round0`,
    ]);
  });

  it('counts a claim-checked event', async () => {
    const { status, metrics } = await deliver(
      round0Event(round0Request(round0Body('interview_ended'), { secret })),
    );
    expect(status).toBe(202);
    expect(valuesOf(metrics, 'WebhookClaimCheck', { service })).toEqual([1]);
  });

  const schemaViolation = () => {
    const body = fixture('round0', 'interview_ended').body as {
      data: { responses: Array<{ score: unknown }> };
    };
    const first = body.data.responses[0];
    if (first) first.score = 'eighty-five';
    return round0Event(round0Request(body, { secret }));
  };

  it.each([
    [
      'a bad ROUND0 signature',
      () => round0Event(round0Request(round0Body('interview_ended'), { secret: 'wrong-secret' })),
      401,
      { vendor: 'round0', reason: 'signature' },
      'WebhookAuthFailed',
    ],
    [
      'a wrong micro1 token',
      () => micro1Event(micro1Request('{}', generateWebhookToken()), generateWebhookToken()),
      401,
      { vendor: 'micro1', reason: 'token' },
      'WebhookAuthFailed',
    ],
    ['a schema violation', schemaViolation, 400, { vendor: 'round0', reason: 'schema' }, 'WebhookInvalid'],
    [
      'a signed body that is not JSON',
      () => round0Event(round0Request('{"id": ', { secret })),
      400,
      { vendor: 'round0', reason: 'json' },
      'WebhookInvalid',
    ],
    [
      'an oversized body',
      () => round0Event(round0Request(JSON.stringify({ padding: 'x'.repeat(64 * 1024) }), { secret: 'any' })),
      413,
      { vendor: 'round0', reason: 'size' },
      undefined,
    ],
    [
      'a path naming no vendor',
      () => httpApiEvent({ routeKey: '$default', path: '/webhooks/acme', body: Buffer.from('{}') }),
      404,
      { vendor: 'unknown', reason: 'route' },
      undefined,
    ],
    [
      'a GET on a vendor path of a catch-all route',
      () =>
        httpApiEvent({
          routeKey: '$default',
          path: `/webhooks/micro1/${micro1Token}`,
          method: 'GET',
          body: Buffer.from('{}'),
        }),
      405,
      { vendor: 'micro1', reason: 'method' },
      undefined,
    ],
  ] as const)(
    'counts %s as rejected, by vendor and reason',
    async (_, event, expectedStatus, breakdown, alarmed) => {
      // Act
      const { status, metrics } = await deliver(event());

      // Assess
      expect(status).toBe(expectedStatus);
      expect(seriesOf(metrics, 'WebhookRejected')).toEqual([
        `reason=${breakdown.reason},service=${service},vendor=${breakdown.vendor}`,
        `service=${service}`,
      ]);
      expect(valuesOf(metrics, 'WebhookRejected', { service })).toEqual([1]);
      // Each refusal the alarms watch is counted on its own metric, the other stays silent.
      for (const name of ['WebhookAuthFailed', 'WebhookInvalid']) {
        expect(seriesOf(metrics, name)).toEqual(
          alarmed === name ? [`service=${service}`, `service=${service},vendor=${breakdown.vendor}`] : [],
        );
      }
      expect(seriesOf(metrics, 'WebhookReceived')).toEqual([]);
      expect(seriesOf(metrics, 'WebhookFailed')).toEqual([]);
    },
  );

  it.each([
    [
      'SQS',
      'interview_started',
      () => sqsMock.on(SendMessageCommand).rejects(new Error('ThrottlingException')),
    ],
    // interview_ended with its raw delivery is more than the harness's SQS limit: it needs a claim check.
    ['S3 (claim check)', 'interview_ended', () => s3Mock.on(PutObjectCommand).rejects(new Error('SlowDown'))],
  ] as const)('counts a delivery %s refused as failed (5xx), not as rejected', async (_, type, fault) => {
    // Prepare
    fault();

    // Act
    const { status, metrics } = await deliver(round0Event(round0Request(round0Body(type), { secret })));

    // Assess
    expect(status).toBe(503);
    expect(seriesOf(metrics, 'WebhookFailed')).toEqual([`service=${service}`]);
    expect(seriesOf(metrics, 'WebhookRejected')).toEqual([]);
    expect(seriesOf(metrics, 'WebhookReceived')).toEqual([]);
  });
});
