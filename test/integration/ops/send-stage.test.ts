/**
 * `npm run send -- <vendor> <fixture> --stage <stage>`: the URL from the stack outputs and the signing secret
 * or token from the stage's webhook secret (CloudFormation and Secrets Manager through aws-sdk-client-mock),
 * sent over HTTP to a local receiver standing in for the API and checked with the ingest's own verifier.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { verifyRound0Signature } from '../../../functions/vendors/round0/signature.js';
import { runSendCli } from '../../../local/send.js';
import {
  cloudFormation,
  deployStage,
  pseudonymKey,
  region,
  secretsManager,
  stageSecrets,
  statelessOutputs,
} from '../../unit/ops/deployed-stage.js';

const olderSecret = 'whsec_older-round0-secret';
const newestSecret = 'whsec_newest-round0-secret';
const olderToken = 'o'.repeat(43);
const newestToken = 'n'.repeat(43);

const requests: Array<{ url: string; headers: IncomingHttpHeaders; body: Buffer }> = [];
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    requests.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
    res.writeHead(202, { 'content-type': 'application/json' }).end('{"received":true}');
  });
});
let api: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  api = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  deployStage({
    stateless: {
      ...statelessOutputs,
      Round0WebhookUrl: `${api}/webhooks/round0`,
      Micro1WebhookUrl: `${api}/webhooks/micro1`,
    },
  });
});

afterAll(async () => {
  cloudFormation.restore();
  secretsManager.restore();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const quiet = () => {
  const out: string[] = [];
  return { out, output: { out: (text: string) => out.push(text), err: (text: string) => out.push(text) } };
};

describe('npm run send -- --stage', () => {
  it("signs a ROUND0 test event with the stage's newest signing secret and posts it to the stage's URL", async () => {
    // Prepare
    stageSecrets({
      webhook: { round0SigningSecrets: [olderSecret, newestSecret], micro1Tokens: [newestToken] },
      integration: { pseudonymKey },
    });
    requests.length = 0;

    // Act
    const exitCode = await runSendCli(
      ['round0', 'test_interview_ended', '--stage', 'prod', '--region', region],
      quiet().output,
    );

    // Assess
    expect(exitCode).toBe(0);
    const [request] = requests;
    expect(request?.url).toBe('/webhooks/round0');
    const verify = (secret: string) =>
      verifyRound0Signature({
        rawBody: request?.body ?? Buffer.alloc(0),
        header: request?.headers['x-webhook-signature'] as string | undefined,
        secrets: [secret],
      }).ok;
    expect([verify(newestSecret), verify(olderSecret)]).toEqual([true, false]);
  });

  it("posts micro1 to the stage's URL with the newest token", async () => {
    // Prepare
    stageSecrets({
      webhook: { round0SigningSecrets: [newestSecret], micro1Tokens: [olderToken, newestToken] },
      integration: { pseudonymKey },
    });
    requests.length = 0;

    // Act
    const exitCode = await runSendCli(
      ['micro1', 'interview.started', '--stage', 'prod', '--region', region],
      quiet().output,
    );

    // Assess
    expect(exitCode).toBe(0);
    expect(requests.map((request) => request.url)).toEqual([`/webhooks/micro1/${newestToken}`]);
    expect(requests[0]?.headers['x-webhook-signature']).toBeUndefined();
  });

  it('tells to run setup when the stage has no signing secret yet, sending nothing', async () => {
    // Prepare
    stageSecrets({ webhook: { round0SigningSecrets: [], micro1Tokens: [] }, integration: { pseudonymKey } });
    requests.length = 0;
    const { out, output } = quiet();

    // Act
    const exitCode = await runSendCli(
      ['round0', 'interview_ended', '--stage', 'prod', '--region', region],
      output,
    );

    // Assess
    expect(exitCode).toBe(2);
    expect(out).toEqual([
      'the webhook secret of stage prod holds no ROUND0 signing secret yet: run npm run ops -- setup --stage prod',
    ]);
    expect(requests).toHaveLength(0);
  });

  it('names a stage that is not deployed, sending nothing', async () => {
    // Prepare
    const { out, output } = quiet();

    // Act
    const exitCode = await runSendCli(
      ['round0', 'interview_ended', '--stage', 'qa', '--region', region],
      output,
    );

    // Assess
    expect(exitCode).toBe(2);
    expect(out.join('\n')).toMatch(
      /^stack InterviewSync-qa-Stateful does not exist in eu-west-1: deploy the stage first/,
    );
  });
});
