/**
 * The ingest handler routes what API Gateway actually sends: by `routeKey`, with the micro1 token from
 * `pathParameters`, whatever stage or custom-domain base path precedes the route in `rawPath`. Events come
 * from `http-api-events.ts`, shaped after AWS's documented payload-format-2.0 sample.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { generateWebhookToken } from '../../../functions/vendors/index.js';
import { fixture } from '../../helpers/fixtures.js';
import { micro1Request, round0Request } from '../../helpers/signed-requests.js';
import {
  type HttpApiDeployment,
  httpApiDeployments,
  httpApiEvent,
  micro1Event,
  onDefaultRoute,
  round0Event,
} from './http-api-events.js';
import { invoke, micro1Token, s3Mock, secret, sqsMock, withoutLogs } from './ingest-harness.js';

const deployments: HttpApiDeployment[] = Object.values(httpApiDeployments);
const round0Body = fixture('round0', 'interview_started').raw;
const micro1Body = fixture('micro1', 'applicant.created').raw;

/** A genuine delivery from `vendor` through `deployment`, body base64-encoded by API Gateway or not. */
const delivery = (
  vendor: 'round0' | 'micro1',
  deployment: HttpApiDeployment,
  isBase64Encoded: boolean,
): APIGatewayProxyEventV2 =>
  vendor === 'round0'
    ? round0Event(round0Request(round0Body, { secret }), { deployment, isBase64Encoded })
    : micro1Event(micro1Request(micro1Body, micro1Token), micro1Token, { deployment, isBase64Encoded });

/** The vendor each SendMessage was for. */
const queuedVendors = () =>
  sqsMock
    .commandCalls(SendMessageCommand)
    .map((call) => call.args[0].input.MessageAttributes?.vendor?.StringValue);

beforeEach(() => {
  sqsMock.reset();
  s3Mock.reset();
  sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' });
});

describe('ingest handler, payload format 2.0 events', () => {
  const cases = deployments.flatMap((deployment) =>
    (['round0', 'micro1'] as const).flatMap((vendor) =>
      [false, true].map((base64) => [vendor, deployment.name, base64, deployment] as const),
    ),
  );

  it.each(cases)(
    'accepts a %s delivery through the %s (isBase64Encoded %s) by its route key',
    async (vendor, _name, base64, deployment) => {
      // Prepare
      const event = delivery(vendor, deployment, base64);

      // Act
      const result = await withoutLogs(() => invoke(event));

      // Assess
      expect(event.rawPath).toBe(
        `${deployment.pathPrefix}${vendor === 'round0' ? '/webhooks/round0' : `/webhooks/micro1/${micro1Token}`}`,
      );
      expect(result.statusCode).toBe(202);
      expect(queuedVendors()).toEqual([vendor]);
    },
  );

  it.each(cases)(
    'accepts a %s delivery through the %s (isBase64Encoded %s) on a $default route by its path',
    async (vendor, _name, base64, deployment) => {
      // Prepare
      const event = onDefaultRoute(delivery(vendor, deployment, base64));

      // Act
      const result = await withoutLogs(() => invoke(event));

      // Assess
      expect(event).not.toHaveProperty('pathParameters');
      expect(result.statusCode).toBe(202);
      expect(queuedVendors()).toEqual([vendor]);
    },
  );

  it('takes the micro1 token from pathParameters, not from the path', async () => {
    // Prepare: a path that names another token (API Gateway never sends this; it shows the source)
    const event = {
      ...delivery('micro1', httpApiDeployments.defaultStage, false),
      rawPath: `/webhooks/micro1/${generateWebhookToken()}`,
    };

    // Act
    const result = await withoutLogs(() => invoke(event));

    // Assess
    expect(result.statusCode).toBe(202);
  });

  it('accepts a token still percent-encoded in pathParameters (a source that did not decode it)', async () => {
    // Prepare: the first character as %XX, as a client that over-encodes might send it
    const [first = '', ...rest] = micro1Token;
    const encoded = `%${first.charCodeAt(0).toString(16).toUpperCase()}${rest.join('')}`;
    const event = micro1Event(micro1Request(micro1Body, encoded), encoded);

    // Act
    const result = await withoutLogs(() => invoke(event));

    // Assess
    expect(result.statusCode).toBe(202);
  });

  it('answers 401 on the micro1 route when API Gateway gave no token parameter', async () => {
    // Prepare
    const { pathParameters: _pathParameters, ...event } = delivery(
      'micro1',
      httpApiDeployments.namedStage,
      false,
    );

    // Act
    const result = await withoutLogs(() => invoke(event));

    // Assess
    expect(result.statusCode).toBe(401);
    expect(queuedVendors()).toEqual([]);
  });

  it.each([
    ['one of them verifies', ['whsec_someone_else', secret], 202],
    ['none of them verifies', ['whsec_someone_else', 'whsec_another_one'], 401],
  ])(
    'answers repeated X-Webhook-Signature headers, joined by API Gateway, when %s',
    async (_, keys, status) => {
      // Prepare: each header signs the same body; API Gateway hands them over as one comma-joined value
      const signed = keys.map((key) => round0Request(round0Body, { secret: key }));
      const joined = signed.map((request) => request.headers['x-webhook-signature']).join(',');
      const [first] = signed as [(typeof signed)[number]];
      const event = round0Event({ ...first, headers: { ...first.headers, 'x-webhook-signature': joined } });

      // Act
      const result = await withoutLogs(() => invoke(event));

      // Assess
      expect(result.statusCode).toBe(status);
      expect(queuedVendors()).toEqual(status === 202 ? ['round0'] : []);
    },
  );

  it.each([
    ['a method the stack has no route for', 'GET /webhooks/round0', '/webhooks/round0'],
    ['a route the stack does not define', 'POST /webhooks/{vendor}', '/webhooks/round0'],
    ['a greedy proxy route', 'ANY /{proxy+}', '/webhooks/round0'],
    ['$default with a path naming no vendor', '$default', '/prod/webhooks/acme'],
    ['$default with a round0 path carrying a token', '$default', '/v1/webhooks/round0/extra'],
    ['$default with a micro1 path without token', '$default', '/prod/webhooks/micro1'],
  ])('answers 404 for %s (%s %s)', async (_, routeKey, path) => {
    // Prepare
    const request = round0Request(round0Body, { secret });
    const event = httpApiEvent({ routeKey, path, headers: request.headers, body: request.rawBody });

    // Act
    const result = await withoutLogs(() => invoke(event));

    // Assess
    expect(result.statusCode).toBe(404);
    expect(result.headers?.['content-type']).toBe('application/problem+json');
    expect(queuedVendors()).toEqual([]);
  });
});
