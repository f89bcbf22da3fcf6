import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { AtsPermanentError, AtsTransientError } from '../../../functions/ats/errors.js';
import { notifySlack } from '../../../functions/ats/slack.js';
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

  it('treats invalid_payload and no_service as permanent, 5xx as transient', async () => {
    // Prepare
    slack.failNext({ status: 400, body: 'invalid_payload' });
    slack.failNext({ status: 500, times: 3 });

    // Act
    const invalid = notifySlack(slack.webhookUrl, { status: 'completed' }, options());
    await expect(invalid).rejects.toBeInstanceOf(AtsPermanentError);
    const unavailable = notifySlack(slack.webhookUrl, { status: 'completed' }, options());
    await expect(unavailable).rejects.toBeInstanceOf(AtsTransientError);
    const unknownHook = notifySlack(`${slack.url}/services/nope`, { status: 'completed' }, options());

    // Assess
    await expect(unknownHook).rejects.toBeInstanceOf(AtsPermanentError);
    await expect(unknownHook).rejects.toMatchObject({ status: 404 });
    await expect(unknownHook).rejects.not.toThrow(/services\/nope/);
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

  it('the fake rejects a body without text or blocks', async () => {
    // Act
    const response = await fetch(slack.webhookUrl, {
      method: 'POST',
      body: JSON.stringify({ attachments: [] }),
    });

    // Assess
    expect(response.status).toBe(400);
    expect(await response.text()).toBe('invalid_payload');
  });
});
