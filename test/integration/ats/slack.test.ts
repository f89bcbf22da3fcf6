import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  AtsPermanentError,
  AtsTransientError,
  NotificationUncertainError,
} from '../../../functions/ats/errors.js';
import { defaultSlackDeadlineMs, notifySlack } from '../../../functions/ats/slack.js';
import { type FakeSlack, startFakeSlack } from '../../../local/fakes/slack.js';
import { recordingSleep } from './factories.js';

describe('notifySlack against the Slack fake', () => {
  let slack: FakeSlack;
  const options = (sleep = recordingSleep().sleep) => ({
    sleep,
    minIntervalMs: 0,
    baseDelayMs: 1,
    maxAttempts: 3,
  });

  beforeEach(async () => {
    slack = await startFakeSlack();
  });

  afterEach(async () => {
    await slack.close();
  });

  it('posts text and blocks with the name, job, status and link only', async () => {
    // Act
    await notifySlack(
      slack.webhookUrl,
      {
        candidateName: 'Ada Lovelace',
        jobTitle: 'Backend Engineer',
        status: 'completed',
        link: 'https://ats.example.com/c/1',
      },
      options(),
    );

    // Assess
    expect(slack.state.messages).toEqual([
      {
        text: 'Ada Lovelace (Backend Engineer): AI screening completed',
        blocks: [
          {
            type: 'section',
            text: {
              type: 'mrkdwn',
              text: '*Ada Lovelace* · Backend Engineer\nAI screening completed\n<https://ats.example.com/c/1|Open in ATS>',
            },
          },
        ],
      },
    ]);
  });

  it('retries a 429 after Retry-After', async () => {
    // Prepare
    const { sleep, calls } = recordingSleep();
    slack.failNext({ status: 429, body: 'rate_limited', headers: { 'retry-after': '1' } });

    // Act
    await notifySlack(slack.webhookUrl, { status: 'in_progress' }, options(sleep));

    // Assess
    expect(calls).toEqual([1000]);
    expect(slack.state.messages).toHaveLength(1);
  });

  it('gives up within its deadline when Slack keeps asking to wait, as safe to retry later', async () => {
    // Prepare: 429s asking for 6 s each; a second wait would end past the 15 s deadline
    for (let i = 0; i < 3; i++) {
      slack.failNext({ status: 429, body: 'rate_limited', headers: { 'retry-after': '6' } });
    }
    const startedAt = Date.now();

    // Act
    const error = await notifySlack(
      slack.webhookUrl,
      { status: 'completed' },
      { minIntervalMs: 0, maxAttempts: 4 },
    ).catch((e: unknown) => e);

    // Assess
    expect(error).toBeInstanceOf(AtsTransientError);
    expect(Date.now() - startedAt).toBeLessThan(defaultSlackDeadlineMs);
    expect(slack.state.messages).toHaveLength(0);
  }, 40_000);

  it('posts at most once: a 502 after Slack accepted the message is not retried, and says so', async () => {
    // Prepare
    slack.faults.add({ method: 'POST', status: 502, when: 'after' });

    // Act
    const attempt = notifySlack(slack.webhookUrl, { status: 'completed' }, options());

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(NotificationUncertainError);
    await expect(attempt).rejects.toMatchObject({ channel: 'slack', status: 502 });
    expect(slack.state.messages).toHaveLength(1);
    expect(slack.log.entries.map((e) => e.status)).toEqual([502]);
  });

  it('does not resend after a 500 or a connection reset once the request was sent', async () => {
    // Prepare
    slack.faults.add({ method: 'POST', status: 500, when: 'before' });
    slack.faults.add({ method: 'POST', status: 'reset', when: 'after' });

    // Act
    const results = await Promise.allSettled([
      notifySlack(slack.webhookUrl, { status: 'in_progress' }, options()),
      notifySlack(slack.webhookUrl, { status: 'completed' }, options()),
    ]);

    // Assess
    expect(results).toEqual([
      { status: 'rejected', reason: expect.any(NotificationUncertainError) },
      { status: 'rejected', reason: expect.any(NotificationUncertainError) },
    ]);
    expect(slack.log.entries).toHaveLength(2);
    expect(slack.state.messages).toHaveLength(1);
  });

  it('retries only what Slack certainly did not act on, and reports it as safe to retry later', async () => {
    // Prepare
    const { sleep, calls } = recordingSleep();
    slack.faults.add({ method: 'POST', status: 429, retryAfterSeconds: 1, when: 'before', times: 3 });
    const closed = await startFakeSlack();
    const refusedUrl = closed.webhookUrl;
    await closed.close();

    // Act
    const [limited, refused] = await Promise.allSettled([
      notifySlack(slack.webhookUrl, { status: 'completed' }, options(sleep)),
      notifySlack(refusedUrl, { status: 'completed' }, options(sleep)),
    ]);

    // Assess
    expect(limited).toEqual({ status: 'rejected', reason: expect.any(AtsTransientError) });
    expect(limited).toMatchObject({ reason: { retryAfterSeconds: 1, status: 429 } });
    expect(refused).toEqual({ status: 'rejected', reason: expect.any(AtsTransientError) });
    expect(slack.log.entries).toHaveLength(3);
    expect(calls.filter((ms) => ms === 1000)).toHaveLength(2);
    expect(slack.state.messages).toHaveLength(0);
  });

  it('reports messages whose deadline passed while queued behind a slow one as not delivered, and sends none of them', async () => {
    // Prepare: Slack holds the first message (it was sent); the next two wait their turn behind it
    const held = slack.faults.hold({ method: 'POST' });
    const first = notifySlack(
      slack.webhookUrl,
      { status: 'in_progress' },
      { ...options(), deadlineMs: 5_000 },
    );
    await held.reached;
    const safety = setTimeout(() => held.release(), 2_000);

    // Act
    const queued = await Promise.allSettled([
      notifySlack(slack.webhookUrl, { status: 'completed' }, { ...options(), deadlineMs: 100 }),
      notifySlack(slack.webhookUrl, { status: 'completed' }, { ...options(), deadlineMs: 100 }),
    ]);
    held.release();
    clearTimeout(safety);
    await first;

    // Assess: certainly not delivered (safe to send later), not "may have been delivered" (never again)
    expect(queued).toEqual([
      { status: 'rejected', reason: expect.any(AtsTransientError) },
      { status: 'rejected', reason: expect.any(AtsTransientError) },
    ]);
    expect(String((queued[0] as PromiseRejectedResult).reason)).toContain('(not delivered)');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(slack.state.messages).toHaveLength(1);
  });

  it('treats invalid_payload and no_service as permanent', async () => {
    // Prepare
    slack.failNext({ status: 400, body: 'invalid_payload' });

    // Act
    const [invalid, unknownHook] = await Promise.allSettled([
      notifySlack(slack.webhookUrl, { status: 'completed' }, options()),
      notifySlack(`${slack.url}/services/nope`, { status: 'completed' }, options()),
    ]);

    // Assess
    expect(invalid).toEqual({ status: 'rejected', reason: expect.any(AtsPermanentError) });
    expect(unknownHook).toEqual({ status: 'rejected', reason: expect.any(AtsPermanentError) });
    expect(unknownHook).toMatchObject({ reason: { status: 404 } });
    expect(String((unknownHook as PromiseRejectedResult).reason)).not.toMatch(/services\/nope/);
    expect(slack.state.messages).toHaveLength(0);
  });

  it('spaces messages to one webhook by the configured interval', async () => {
    // Prepare
    const startedAt = Date.now();

    // Act
    await Promise.all([
      notifySlack(slack.webhookUrl, { status: 'in_progress' }, { minIntervalMs: 100 }),
      notifySlack(slack.webhookUrl, { status: 'completed' }, { minIntervalMs: 100 }),
    ]);

    // Assess
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(100);
    expect(slack.state.messages).toHaveLength(2);
  });

  it('keeps to Slack’s one message a second by default, which the fake enforces', async () => {
    // Prepare: a fake at Slack's rate (bursts of two); four messages sent at once, with the default interval
    // and without one
    await slack.close();
    slack = await startFakeSlack({ messagesPerSecond: 1 });
    const statuses = ['in_progress', 'completed', 'in_progress', 'completed'] as const;
    const send = (minIntervalMs?: number) =>
      Promise.all(
        statuses.map((status) =>
          notifySlack(
            slack.webhookUrl,
            { status },
            { baseDelayMs: 1, maxAttempts: 1, ...(minIntervalMs === undefined ? {} : { minIntervalMs }) },
          ).then(
            () => 'sent',
            (error: Error) => error.name,
          ),
        ),
      );

    // Act
    const spaced = await send();
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const unspaced = await send(0);

    // Assess
    expect(spaced).toEqual(['sent', 'sent', 'sent', 'sent']);
    expect(unspaced.filter((outcome) => outcome === 'sent')).toHaveLength(2);
    expect(unspaced.filter((outcome) => outcome === 'AtsTransientError')).toHaveLength(2);
  }, 15_000);

  it('the fake rejects a body without text or blocks, and a section over 3,000 characters', async () => {
    // Act
    const post = (body: unknown) =>
      fetch(slack.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const bare = await post({ attachments: [] });
    const long = await post({
      text: 'x',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }],
    });
    const notJson = await fetch(slack.webhookUrl, { method: 'POST', body: 'text=hi' });

    // Assess
    expect([bare.status, await bare.text()]).toEqual([400, 'no_text']);
    expect([long.status, await long.text()]).toEqual([400, 'invalid_blocks']);
    expect([notJson.status, await notJson.text()]).toEqual([400, 'invalid_payload']);
    expect(slack.state.messages).toHaveLength(0);
  });

  describe('the fake refuses what an incoming webhook refuses', () => {
    const message = {
      text: 'Ada: AI screening completed',
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*Ada*' } }],
    };
    const post = (body: unknown, contentType?: string) =>
      fetch(slack.webhookUrl, {
        method: 'POST',
        ...(contentType === undefined ? {} : { headers: { 'content-type': contentType } }),
        body: JSON.stringify(body),
      });

    it('a JSON message not sent as application/json (invalid_payload), and takes it with a charset', async () => {
      // Act: fetch sends a string body as text/plain when no type is given
      const untyped = await post(message);
      const asForm = await post(message, 'application/x-www-form-urlencoded');
      const withCharset = await post(message, 'application/json; charset=utf-8');

      // Assess
      expect([untyped.status, await untyped.text()]).toEqual([400, 'invalid_payload']);
      expect([asForm.status, await asForm.text()]).toEqual([400, 'invalid_payload']);
      expect([withCharset.status, await withCharset.text()]).toEqual([200, 'ok']);
      expect(slack.state.messages).toEqual([message]);
    });

    it('blocks that are not an array (invalid_payload)', async () => {
      // Act
      const answers = [
        await post({ text: 'x', blocks: message.blocks[0] }, 'application/json'),
        await post({ text: 'x', blocks: JSON.stringify(message.blocks) }, 'application/json'),
      ];

      // Assess
      expect(await Promise.all(answers.map(async (a) => [a.status, await a.text()]))).toEqual([
        [400, 'invalid_payload'],
        [400, 'invalid_payload'],
      ]);
      expect(slack.state.messages).toHaveLength(0);
    });

    it('a section whose text type is neither mrkdwn nor plain_text (invalid_blocks)', async () => {
      // Act
      const section = (text: unknown) => ({ text: 'x', blocks: [{ type: 'section', text }] });
      const answers = [
        await post(section({ type: 'markdown', text: '*Ada*' }), 'application/json'),
        await post(section({ text: '*Ada*' }), 'application/json'),
        await post(section('*Ada*'), 'application/json'),
        await post({ text: 'x', blocks: [{ type: 'section' }] }, 'application/json'),
      ];
      const plain = await post(section({ type: 'plain_text', text: 'Ada' }), 'application/json');

      // Assess
      expect(await Promise.all(answers.map(async (a) => [a.status, await a.text()]))).toEqual([
        [400, 'invalid_blocks'],
        [400, 'invalid_blocks'],
        [400, 'invalid_blocks'],
        [400, 'invalid_blocks'],
      ]);
      expect(plain.status).toBe(200);
      expect(slack.state.messages).toHaveLength(1);
    });
  });

  it('delivers a notification whose name and job title run to thousands of characters', async () => {
    // Act
    await notifySlack(
      slack.webhookUrl,
      { candidateName: 'N'.repeat(4000), jobTitle: 'J'.repeat(4000), status: 'completed' },
      options(),
    );

    // Assess
    expect(slack.state.messages).toHaveLength(1);
  });
});
