import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { AtsTransientError } from '../../../functions/ats/errors.js';
import {
  createGenericAdapter,
  type GenericAtsEvent,
  genericWebhookId,
} from '../../../functions/ats/generic/adapter.js';
import { emailPseudonym } from '../../../functions/ats/pseudonym.js';
import { ConfigurationError } from '../../../functions/platform/errors.js';
import { type FakeWebhookReceiver, startFakeWebhookReceiver } from '../../../local/fakes/webhook-receiver.js';
import { aContext, aScreeningNote, fastHttp, recordingSleep } from './factories.js';

const secret = `whsec_${Buffer.from('a-32-byte-test-signing-secret!!!').toString('base64')}`;

describe('generic adapter against a Standard Webhooks receiver', () => {
  let receiver: FakeWebhookReceiver;
  const pseudonymKey = 'a-test-pseudonym-key-of-32-chars-or-more';
  const adapterFor = (
    signingSecret = secret,
    sleep = recordingSleep().sleep,
    key: string | null = pseudonymKey,
  ) =>
    createGenericAdapter(
      { url: `${receiver.url}/hooks/ats`, http: fastHttp },
      { signingSecret },
      { sleep, ...(key ? { pseudonymKey: key } : {}) },
    );
  const payloads = () => receiver.state.accepted.map((d) => d.payload as GenericAtsEvent);

  beforeEach(async () => {
    receiver = await startFakeWebhookReceiver({ secret });
  });

  afterEach(async () => {
    await receiver.close();
  });

  it('hands the lookup back as the match without a request', async () => {
    // Prepare
    const ats = adapterFor();

    // Act
    const byEmail = await ats.findApplication({ email: 'ada@example.com' });
    const byId = await ats.findApplication({ atsApplicationId: 'app-9' });
    const nothing = await ats.findApplication({});

    // Assess
    expect(byEmail).toEqual({
      candidateId: emailPseudonym('ada@example.com', pseudonymKey),
      email: 'ada@example.com',
    });
    expect(byEmail?.candidateId).toMatch(/^email-hmac:[0-9a-f]{16}$/);
    expect(byId).toEqual({ candidateId: 'app-9', applicationId: 'app-9' });
    expect(nothing).toBeUndefined();
    expect(receiver.state.deliveries).toHaveLength(0);
  });

  it('delivers a signed note that the receiver verifies with the standardwebhooks package', async () => {
    // Prepare
    const ats = adapterFor();
    const match = { candidateId: 'x', email: 'ada@example.com' };

    // Act
    await ats.addNote(match, aScreeningNote(), aContext({ eventKey: 'round0:int-1:note' }));

    // Assess
    const [delivery] = receiver.state.deliveries;
    expect(delivery).toMatchObject({ path: '/hooks/ats', verified: true, status: 204 });
    expect(delivery?.id).toBe(genericWebhookId('round0:int-1:note', 'note'));
    expect(delivery?.payload).toEqual({
      schemaVersion: 1,
      type: 'interview-sync.note',
      eventKey: 'round0:int-1:note',
      vendor: 'round0',
      interviewId: 'int-1',
      candidate: { id: 'x', email: 'ada@example.com' },
      note: { structured: aScreeningNote(), text: expect.stringContaining('ref: interview-sync:evt-1') },
    });
  });

  it('keeps webhook-id stable across a retried effect so the receiver deduplicates it', async () => {
    // Prepare
    const ats = adapterFor();
    const match = { candidateId: 'app-1', applicationId: 'app-1' };

    // Act
    await ats.setStatus(match, 'completed', aContext());
    await ats.setStatus(match, 'completed', aContext());
    await ats.moveStage?.(match, { toStageId: 'stage-2' }, aContext());

    // Assess
    expect(receiver.state.deliveries.map((d) => d.duplicate)).toEqual([false, true, false]);
    expect(payloads().map((p) => p.type)).toEqual(['interview-sync.status', 'interview-sync.stage']);
  });

  it('delivers a stage move with its from and to stage as "moved", and links as their own event', async () => {
    // Prepare
    const ats = adapterFor();
    const match = { candidateId: 'app-1', applicationId: 'app-1' };
    const links = [{ label: 'Recording', url: 'https://media.example.com/rec/1' }];

    // Act
    const outcome = await ats.moveStage?.(
      match,
      { fromStageId: 'stage-1', toStageId: 'stage-2' },
      aContext(),
    );
    await ats.addLinks?.(match, links, aContext({ eventKey: 'evt-links' }));

    // Assess
    expect(outcome).toBe('moved');
    expect(ats.currentStage).toBeUndefined();
    expect(payloads()).toEqual([
      expect.objectContaining({
        type: 'interview-sync.stage',
        stage: { fromStageId: 'stage-1', toStageId: 'stage-2' },
      }),
      expect.objectContaining({ type: 'interview-sync.links', eventKey: 'evt-links', links }),
    ]);
  });

  it('sends no e-mail-derived candidate id without a pseudonym key', async () => {
    // Prepare
    const ats = adapterFor(secret, recordingSleep().sleep, null);
    const match = await ats.findApplication({ email: 'ada@example.com' });
    if (!match) throw new Error('expected a match');

    // Act
    await ats.setStatus(match, 'in_progress', aContext());

    // Assess
    expect(payloads()[0]?.candidate).toEqual({ email: 'ada@example.com' });
    expect(JSON.stringify(payloads())).not.toMatch(/email-(sha256|hmac)/);
  });

  it('is refused by a receiver holding another secret', async () => {
    // Prepare
    const other = `whsec_${Buffer.from('another-32-byte-signing-secret!!').toString('base64')}`;
    const ats = adapterFor(other);

    // Act
    const attempt = ats.setField?.({ candidateId: 'c' }, 'score', '80', aContext());

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'AtsPermanentError', status: 401 });
    expect(receiver.state.accepted).toHaveLength(0);
  });

  it('retries a 500 (deliveries are idempotent) and stops for good on 410 Gone', async () => {
    // Prepare
    const { sleep, calls } = recordingSleep();
    const ats = adapterFor(secret, sleep);
    receiver.failNext({ status: 500 });

    // Act
    await ats.setStatus({ candidateId: 'c' }, 'in_progress', aContext());
    receiver.failNext({ status: 410 });
    const gone = ats.setStatus({ candidateId: 'c' }, 'completed', aContext({ eventKey: 'evt-2' }));

    // Assess
    expect(calls).toHaveLength(1);
    expect(receiver.state.accepted).toHaveLength(1);
    await expect(gone).rejects.toMatchObject({ name: 'AtsPermanentError', reason: 'gone' });
  });

  it('reports a receiver that keeps failing as transient with its Retry-After', async () => {
    // Prepare
    const ats = adapterFor();
    receiver.failNext({ status: 429, headers: { 'retry-after': '120' } });

    // Act
    const attempt = ats.setStatus({ candidateId: 'c' }, 'in_progress', aContext());

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(AtsTransientError);
    await expect(attempt).rejects.toMatchObject({ retryAfterSeconds: 120 });
  });

  it('never re-sends a signed delivery to another origin a redirect names', async () => {
    // Prepare: the receiver answers 307 to another receiver (same host, another port: another origin)
    const elsewhere = await startFakeWebhookReceiver({ secret });
    receiver.failNext({ status: 307, headers: { location: `${elsewhere.url}/hooks/ats` } });
    const ats = adapterFor();

    // Act
    const outcome = await ats
      .addNote({ candidateId: 'x', email: 'ada@example.com' }, aScreeningNote(), aContext())
      .then(
        () => 'delivered',
        (error: Error) => error.message,
      );
    await elsewhere.close();

    // Assess: the candidate's note never left for the other origin
    expect(elsewhere.state.deliveries).toEqual([]);
    expect(outcome).toMatch(/redirect .* refused: the request carries credentials/);
  });

  it('fails a delivery the receiver redirects with 301 (a trailing slash) or answers 304, never taking it for delivered', async () => {
    // Prepare: the POST would be re-sent as a body-less GET to /hooks/ats/, whose 200 said nothing of the note
    receiver.failNext({ status: 301, headers: { location: '/hooks/ats/' } });
    receiver.failNext({ status: 304 });
    const ats = adapterFor();
    const send = () =>
      ats.addNote({ candidateId: 'x', email: 'ada@example.com' }, aScreeningNote(), aContext()).then(
        () => 'delivered',
        (error: Error) => error.name,
      );

    // Act
    const outcomes = [await send(), await send()];

    // Assess: refused for good, not retried, nothing accepted
    expect(outcomes).toEqual(['AtsPermanentError', 'AtsPermanentError']);
    expect(receiver.state.deliveries.filter((delivery) => delivery.path === '/hooks/ats/')).toEqual([]);
    expect(receiver.state.accepted).toEqual([]);
  });

  it('the receiver answers 415 to a signed delivery not sent as application/json, a charset allowed', async () => {
    // Prepare: correctly signed deliveries, so only the Content-Type differs
    const signer = new Webhook(secret);
    const deliver = (id: string, contentType?: string) => {
      const body = JSON.stringify({ id });
      const at = new Date();
      return fetch(`${receiver.url}/hooks/ats`, {
        method: 'POST',
        headers: {
          ...(contentType === undefined ? {} : { 'content-type': contentType }),
          'webhook-id': id,
          'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
          'webhook-signature': signer.sign(id, at, body),
        },
        body,
      });
    };

    // Act: fetch sends a string body as text/plain when no type is given
    const statuses = [
      (await deliver('msg-untyped')).status,
      (await deliver('msg-form', 'application/x-www-form-urlencoded')).status,
      (await deliver('msg-charset', 'application/json; charset=utf-8')).status,
    ];

    // Assess
    expect(statuses).toEqual([415, 415, 204]);
    expect(receiver.state.accepted.map((delivery) => delivery.id)).toEqual(['msg-charset']);
  });

  it('refuses a signing secret that is not a whsec_ secret at creation', () => {
    // Act
    const create = () =>
      createGenericAdapter({ url: 'https://example.com/hook' }, { signingSecret: 'whsec_@@@' });

    // Assess
    expect(create).toThrow(ConfigurationError);
    expect(create).toThrow(/signingSecret/);
  });
});
