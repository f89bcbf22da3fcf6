import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { verifyRound0Signature } from '../../../functions/vendors/round0/signature.js';
import { SendUsageError } from '../../../local/errors.js';
import { runtimeInfoFor, writeRuntimeInfo } from '../../../local/runtime-info.js';
import {
  fillMediaPlaceholder,
  fixturesDir,
  listFixtures,
  mediaFixturesDir,
  mediaPlaceholder,
  readFixture,
  runSendCli,
  sendEvent,
  webhookUrl,
} from '../../../local/send.js';

interface CapturedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/** A server that records requests and answers with `status`. */
const startCapture = async (status = 202) => {
  const requests: CapturedRequest[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks),
      });
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
};

/** Collects what the CLI prints. */
const captureOutput = () => {
  const out: string[] = [];
  const err: string[] = [];
  return {
    out,
    err,
    output: { out: (text: string) => out.push(text), err: (text: string) => err.push(text) },
  };
};

const secret = 'whsec_test_secret_value';
const token = 'a'.repeat(43);

describe('sendEvent', () => {
  it('signs a ROUND0 body over the exact bytes it sends', async () => {
    // Prepare
    const capture = await startCapture();
    const body = Buffer.from('{"id":"evt_1", "type":"interview_ended"}\n');

    // Act
    const sent = await sendEvent({
      vendor: 'round0',
      body,
      baseUrl: capture.url,
      secret,
      timestamp: 1_700_000_000,
    });
    await capture.close();

    // Assess
    const [request] = capture.requests;
    expect(sent.status).toBe(202);
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/webhooks/round0');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.body.equals(body)).toBe(true);
    const header = request?.headers['x-webhook-signature'] as string;
    expect(header).toMatch(/^t=1700000000,v1=[0-9a-f]{64}$/);
    expect(
      verifyRound0Signature({ rawBody: body, header, secrets: [secret], nowSeconds: 1_700_000_000 }),
    ).toEqual({ ok: true, timestamp: 1_700_000_000 });
  });

  it('sends no signature header without a secret', async () => {
    // Prepare
    const capture = await startCapture();

    // Act
    await sendEvent({ vendor: 'round0', body: '{}', baseUrl: capture.url });
    await capture.close();

    // Assess
    expect(capture.requests[0]?.headers).not.toHaveProperty('x-webhook-signature');
  });

  it('puts the micro1 token in the path, or uses a full URL as given', async () => {
    // Prepare
    const capture = await startCapture();

    // Act
    await sendEvent({ vendor: 'micro1', body: '{}', baseUrl: `${capture.url}/`, token });
    await sendEvent({ vendor: 'micro1', body: '{}', baseUrl: `${capture.url}/webhooks/micro1/pasted` });
    await capture.close();

    // Assess
    expect(capture.requests.map((request) => request.url)).toEqual([
      `/webhooks/micro1/${token}`,
      '/webhooks/micro1/pasted',
    ]);
    expect(capture.requests[0]?.headers).not.toHaveProperty('x-webhook-signature');
  });

  it('needs a token or a full URL for micro1', () => {
    // Act / Assess
    expect(() => webhookUrl('micro1', 'http://127.0.0.1:3000')).toThrow(SendUsageError);
  });
});

describe('npm run send (runSendCli)', () => {
  it('posts a fixture byte for byte, prints the status and exits 0 on 2xx', async () => {
    // Prepare
    const capture = await startCapture(202);
    const { out, output } = captureOutput();

    // Act
    const code = await runSendCli(
      ['round0', 'interview_ended', '--url', capture.url, '--secret', secret],
      output,
    );
    await capture.close();

    // Assess
    expect(code).toBe(0);
    expect(out[0]).toBe('HTTP 202');
    const fixture = await readFile(join(fixturesDir, 'round0', 'interview_ended.json'));
    expect(capture.requests[0]?.body.equals(fixture)).toBe(true);
  });

  it('exits 1 on a non-2xx answer', async () => {
    // Prepare
    const capture = await startCapture(401);
    const { out, output } = captureOutput();

    // Act
    const code = await runSendCli(
      ['micro1', 'applicant.created', '--url', capture.url, '--token', token],
      output,
    );
    await capture.close();

    // Assess
    expect(code).toBe(1);
    expect(out[0]).toBe('HTTP 401');
  });

  it.each([
    [['nobody', 'interview_ended']],
    [['round0', 'no_such_fixture', '--secret', secret]],
    [['round0']],
    [['round0', 'interview_ended', '--timestamp', 'yesterday', '--secret', secret]],
  ])('exits 2 on a usage error: %j', async (argv) => {
    // Prepare
    const { err, output } = captureOutput();

    // Act
    const code = await runSendCli(argv, output, { PORT: '1' });

    // Assess
    expect(code).toBe(2);
    expect(err.join('\n')).not.toBe('');
  });

  it.each([
    ['neither --url nor PORT says', {}],
    ['PORT is 0 (any free port)', { PORT: '0' }],
  ])('posts to the running pipeline’s API, wherever it listens, when %s', async (_when, environment) => {
    // Prepare: an npm start on another port than 3000 (PORT=0, say) recorded its API's URL
    const capture = await startCapture(202);
    const { out, output } = captureOutput();
    const dataDir = await mkdtemp(join(tmpdir(), 'send-api-'));
    await writeRuntimeInfo(
      dataDir,
      runtimeInfoFor({
        endpoints: { sqs: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:2', s3: 'http://127.0.0.1:3' },
        queueUrls: { events: 'http://127.0.0.1:1/q' },
        url: capture.url,
      }),
    );

    // Act
    const code = await runSendCli(
      ['round0', 'interview_ended', '--secret', secret],
      output,
      environment,
      dataDir,
    );
    await capture.close();
    await rm(dataDir, { recursive: true, force: true });

    // Assess
    expect({ code, out: out[0] }).toEqual({ code: 0, out: 'HTTP 202' });
    expect(capture.requests.map((request) => request.url)).toEqual(['/webhooks/round0']);
  });

  it('finds an npm start run with DATA_DIR and SECRETS_FILE as it does: its API there, signed with its secret', async () => {
    // Prepare: a pipeline with a data directory and secrets file of its own (as `npm run load` starts one)
    const capture = await startCapture(202);
    const { out, output } = captureOutput();
    const dir = await mkdtemp(join(tmpdir(), 'send-own-'));
    const ownSecret = 'whsec_its-own-secret';
    await writeRuntimeInfo(
      dir,
      runtimeInfoFor({
        endpoints: { sqs: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:2', s3: 'http://127.0.0.1:3' },
        queueUrls: { events: 'http://127.0.0.1:1/q' },
        url: capture.url,
      }),
    );
    await writeFile(
      join(dir, 'secrets.json'),
      JSON.stringify({
        webhook: { round0SigningSecrets: [ownSecret], micro1Tokens: [token] },
        integration: {},
      }),
    );

    // Act
    const code = await runSendCli(['round0', 'interview_ended', '--timestamp', '1700000000'], output, {
      PORT: '0',
      DATA_DIR: dir,
      SECRETS_FILE: join(dir, 'secrets.json'),
    });
    await capture.close();
    await rm(dir, { recursive: true, force: true });

    // Assess
    expect({ code, out: out[0] }).toEqual({ code: 0, out: 'HTTP 202' });
    const [request] = capture.requests;
    expect(
      request &&
        verifyRound0Signature({
          rawBody: request.body,
          header: String(request.headers['x-webhook-signature']),
          secrets: [ownSecret],
          nowSeconds: 1_700_000_000,
        }),
    ).toEqual({ ok: true, timestamp: 1_700_000_000 });
  });

  it('reads a relative path from where the user ran npm run send (INIT_CWD), not from the repository root', async () => {
    // Prepare: a payload in the directory npm was started in
    const dir = await mkdtemp(join(tmpdir(), 'send-cwd-'));
    await writeFile(join(dir, 'my-event.json'), '{"mine":true}');
    const before = { INIT_CWD: process.env.INIT_CWD, npm_lifecycle_event: process.env.npm_lifecycle_event };
    Object.assign(process.env, { INIT_CWD: dir, npm_lifecycle_event: 'send' });

    // Act
    const body = await readFixture('round0', './my-event.json').finally(() => {
      for (const [name, value] of Object.entries(before)) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });
    await rm(dir, { recursive: true, force: true });

    // Assess
    expect(body.toString('utf8')).toBe('{"mine":true}');
  });

  it('fills {{media}} in a .local media fixture with the media fake URL of the running pipeline', async () => {
    // Prepare
    const capture = await startCapture(202);
    const { out, output } = captureOutput();
    const dataDir = await mkdtemp(join(tmpdir(), 'send-media-'));
    await writeRuntimeInfo(dataDir, {
      ...runtimeInfoFor({
        endpoints: { sqs: 'http://127.0.0.1:1', dynamodb: 'http://127.0.0.1:2', s3: 'http://127.0.0.1:3' },
        queueUrls: { events: 'http://127.0.0.1:1/q' },
        media: { url: 'http://127.0.0.1:4567' },
      }),
    });

    // Act
    const code = await runSendCli(
      ['micro1', 'interview_recording.completed.local', '--url', capture.url, '--token', token],
      output,
      {},
      dataDir,
    );
    await capture.close();
    await rm(dataDir, { recursive: true, force: true });

    // Assess
    expect({ code, out: out[0] }).toEqual({ code: 0, out: 'HTTP 202' });
    const sent = JSON.parse(capture.requests[0]?.body.toString('utf8') ?? '{}');
    expect(sent).toMatchObject({
      event: 'interview_recording.completed',
      data: { interview_recording_url: 'http://127.0.0.1:4567/micro1/LocalMedia/screen/master.m3u8' },
    });
    expect(capture.requests[0]?.body.toString('utf8')).not.toContain(mediaPlaceholder);
  });

  it('refuses a media fixture, saying why, when no pipeline with a media fake is running', async () => {
    // Prepare
    const { err, output } = captureOutput();
    const dataDir = await mkdtemp(join(tmpdir(), 'send-media-'));

    // Act
    const code = await runSendCli(
      [
        'micro1',
        'interview_webcam_recording.completed.local',
        '--url',
        'http://127.0.0.1:1',
        '--token',
        token,
      ],
      output,
      {},
      dataDir,
    );
    await rm(dataDir, { recursive: true, force: true });

    // Assess
    expect(code).toBe(2);
    expect(err.join('\n')).toContain('npm start');
  });

  it('every media fixture names only the media fake and our own ids, and is valid JSON once filled', async () => {
    // Prepare
    const names = (await listFixtures(mediaFixturesDir)).micro1;

    // Act
    const bodies = await Promise.all(
      names.map(async (name) => (await readFixture('micro1', name)).toString('utf8')),
    );

    // Assess
    expect(names.sort()).toEqual([
      'interview_recording.completed.local',
      'interview_report.created.local',
      'interview_webcam_recording.completed.local',
    ]);
    for (const body of bodies) {
      const filled = JSON.parse(fillMediaPlaceholder(body, 'http://127.0.0.1:4567')) as {
        data: Record<string, unknown>;
      };
      expect(filled.data.report_id).toBe('LocalMedia');
      const mediaUrls = Object.entries(filled.data)
        .filter(([field]) => field.endsWith('_url') && !field.endsWith('player_url'))
        .map(([, url]) => url);
      expect(mediaUrls.length).toBeGreaterThan(0);
      for (const url of mediaUrls) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:4567\/micro1\/LocalMedia\//);
    }
  });

  it('--list prints every fixture of every vendor', async () => {
    // Prepare
    const { out, output } = captureOutput();
    const fixtures = await listFixtures();

    // Act
    const code = await runSendCli(['--list'], output);

    // Assess
    expect(code).toBe(0);
    expect(fixtures.round0).toContain('interview_ended');
    for (const name of [...fixtures.round0, ...fixtures.micro1])
      expect(out.join('\n')).toContain(`  ${name}`);
    expect(out.join('\n')).toContain(
      '  interview_recording.completed.local   (media on the local media fake)',
    );
    expect(out.join('\n')).toContain(
      '  test_interview_ended   (test delivery: answered 202 with "test": true, no effect)',
    );
  });

  it('keeps media fixtures out of the vendor sample lists (tests send every vendor sample)', async () => {
    // Act
    const fixtures = await listFixtures();

    // Assess
    expect([...fixtures.round0, ...fixtures.micro1].filter((name) => name.endsWith('.local'))).toEqual([]);
  });
});
