/**
 * The fault switches every local fake shares (local/fakes/fake-server.ts): `before` answers without applying
 * the request, `after` applies it and then answers the fault, `reset` drops the connection; the request log
 * says what the client saw and whether the fake's logic ran.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { startFakeRound0Api } from '../../../local/fakes/round0-api.js';
import { type FakeWebhookReceiver, startFakeWebhookReceiver } from '../../../local/fakes/webhook-receiver.js';

const secret = `whsec_${Buffer.from('a-32-byte-test-signing-secret!!!').toString('base64')}`;

describe('fault injection in front of a fake', () => {
  let receiver: FakeWebhookReceiver;
  const signer = new Webhook(secret);
  const deliver = (id: string, path = '/hooks/ats') => {
    const body = JSON.stringify({ id });
    const at = new Date();
    return fetch(`${receiver.url}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signer.sign(id, at, body),
      },
      body,
    });
  };

  beforeEach(async () => {
    receiver = await startFakeWebhookReceiver({ secret });
  });

  afterEach(async () => {
    await receiver.close();
  });

  it('answers a `before` fault without applying the request, with its Retry-After', async () => {
    // Prepare
    receiver.faults.add({ method: 'POST', status: 429, retryAfterSeconds: 7, when: 'before' });

    // Act
    const faulted = await deliver('msg_1');
    const next = await deliver('msg_2');

    // Assess
    expect([faulted.status, faulted.headers.get('retry-after'), next.status]).toEqual([429, '7', 204]);
    expect(receiver.state.accepted.map((d) => d.id)).toEqual(['msg_2']);
    expect(receiver.log.entries.map(({ status, fault, applied }) => ({ status, fault, applied }))).toEqual([
      { status: 429, fault: 'before', applied: false },
      { status: 204, fault: undefined, applied: true },
    ]);
    expect(receiver.log.count({ method: 'POST' })).toBe(1);
    expect(receiver.log.count({ method: 'POST', applied: false })).toBe(1);
  });

  it('applies the request under an `after` fault and only then answers the fault status', async () => {
    // Prepare
    receiver.faults.add({ path: /^\/hooks\//, status: 502, when: 'after', times: 2 });

    // Act
    const statuses = [
      (await deliver('msg_1')).status,
      (await deliver('msg_1')).status,
      (await deliver('msg_1')).status,
    ];

    // Assess
    expect(statuses).toEqual([502, 502, 204]);
    expect(receiver.state.accepted.map((d) => d.id)).toEqual(['msg_1']);
    expect(receiver.state.deliveries.map((d) => d.duplicate)).toEqual([false, true, true]);
    expect(receiver.faults.pending()).toBe(0);
  });

  it('matches faults by method and path, drops the connection for `reset`, and forgets faults on clear', async () => {
    // Prepare
    receiver.faults.add({ method: 'GET', status: 500, when: 'before' });
    receiver.faults.add({ path: /^\/other$/, status: 'reset', when: 'before' });
    receiver.faults.add({ status: 503, when: 'before' });

    // Act
    const reset = await deliver('msg_1', '/other').then(
      () => 'answered',
      () => 'connection lost',
    );
    const pendingBeforeClear = receiver.faults.pending();
    receiver.faults.clear();
    const afterClear = await deliver('msg_2');

    // Assess
    expect(reset).toBe('connection lost');
    expect(pendingBeforeClear).toBe(2);
    expect(afterClear.status).toBe(204);
    expect(receiver.log.entries.map((e) => [e.path, e.status])).toEqual([
      ['/other', undefined],
      ['/hooks/ats', 204],
    ]);
  });

  it('is available on the vendor API fakes too', async () => {
    // Prepare
    const round0 = await startFakeRound0Api({ apiKey: 'r0-key', interviews: { 'int-1': { id: 'int-1' } } });
    round0.faults.add({ path: /\/interviews\//, status: 504, when: 'after' });
    const get = () =>
      fetch(`${round0.url}/api/v1/interviews/int-1`, { headers: { authorization: 'Bearer r0-key' } });

    // Act
    const statuses = [(await get()).status, (await get()).status];
    await round0.close();

    // Assess
    expect(statuses).toEqual([504, 200]);
    expect(round0.log.entries.map((e) => e.fault)).toStrictEqual(['after', undefined]);
  });
});
