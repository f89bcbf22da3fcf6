/**
 * `createSecretReader` (functions/platform/secrets.ts) on the local secrets file: the cache, a read forced
 * past it (rate-limited), the last good value kept while the source cannot be read or holds a malformed
 * value, a fresh read that cannot be answered failing rather than passing the cached value off, fresh
 * reads asked for together, the source back after an outage, and the cache’s age counted in seconds.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import * as v from 'valibot';
import { SecretUnavailableError } from '../../../functions/platform/errors.js';
import {
  createSecretReader,
  ingestFreshEnoughMs,
  minFreshIntervalMs,
} from '../../../functions/platform/secrets.js';
import { webhookSecretsSchema } from '../../../functions/platform/secrets-shape.js';

describe('createSecretReader (local file)', () => {
  let dir: string;
  let file: string;
  const write = (round0: string) =>
    writeFile(
      file,
      JSON.stringify({ webhook: { round0SigningSecrets: [round0], micro1Tokens: ['t'.repeat(40)] } }),
    );

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secrets-test-'));
    file = join(dir, 'secrets.json');
    jest.useFakeTimers({ now: Date.parse('2026-12-03T08:00:00Z'), doNotFake: ['nextTick', 'setImmediate'] });
  });

  afterEach(async () => {
    jest.useRealTimers();
    await rm(dir, { recursive: true, force: true });
  });

  const reader = (options: { freshEnoughMs?: number; maxAgeSeconds?: number } = {}) =>
    createSecretReader({
      localFile: file,
      section: 'webhook',
      schema: webhookSecretsSchema,
      maxAgeSeconds: 300,
      ...options,
    });

  it('refuses a micro1 token longer than a presented token may be (512): configured, it would 401 every delivery', () => {
    // Act
    const tokensOf = (length: number) =>
      v.safeParse(webhookSecretsSchema, {
        round0SigningSecrets: ['whsec_x'.padEnd(8, 'x')],
        micro1Tokens: ['A'.repeat(length)],
      }).success;

    // Assess
    expect([tokensOf(31), tokensOf(32), tokensOf(512), tokensOf(513)]).toEqual([false, true, true, false]);
  });

  it('reads a rotated secret when asked for a fresh value, at most once per interval', async () => {
    // Prepare
    await write('old-secret-0123456789');
    const read = reader();
    await read();
    await write('new-secret-0123456789');

    // Act
    const cached = await read();
    jest.setSystemTime(Date.now() + ingestFreshEnoughMs);
    const fresh = await read({ fresh: true });
    await write('newer-secret-0123456789');
    const tooSoon = await read({ fresh: true });
    jest.setSystemTime(Date.now() + minFreshIntervalMs);
    const later = await read({ fresh: true });

    // Assess
    expect(cached.round0SigningSecrets).toEqual(['old-secret-0123456789']);
    expect(fresh.round0SigningSecrets).toEqual(['new-secret-0123456789']);
    expect(tooSoon.round0SigningSecrets).toEqual(['new-secret-0123456789']);
    expect(later.round0SigningSecrets).toEqual(['newer-secret-0123456789']);
  });

  it('keeps serving the last good value while the source cannot be read, and fails without one', async () => {
    // Prepare
    await write('good-secret-0123456789');
    const read = reader();
    await read();
    await rm(file);

    // Act
    jest.setSystemTime(Date.now() + 301_000);
    const stale = await read();
    const never = reader()();

    // Assess
    expect(stale.round0SigningSecrets).toEqual(['good-secret-0123456789']);
    await expect(never).rejects.toMatchObject({ name: 'SecretUnavailableError' });
  });

  it('asks the source again only 30 s after a failed read, even for a fresh value, serving the last good one meanwhile', async () => {
    // Prepare: the source fails once its cached value is old; then it is back, with a new value
    await write('good-secret-0123456789');
    const read = reader();
    await read();
    await rm(file);
    jest.setSystemTime(Date.now() + 301_000);
    await read();
    await write('back-secret-0123456789');

    // Act
    const soonAfter = await read();
    const forcedSoonAfter = await read({ fresh: true }).catch((error: unknown) => error);
    jest.setSystemTime(Date.now() + minFreshIntervalMs);
    const later = await read();

    // Assess: the fresh value asked for meanwhile is not known (not read, and the last read failed)
    expect(soonAfter.round0SigningSecrets).toEqual(['good-secret-0123456789']);
    expect(forcedSoonAfter).toMatchObject({ name: 'SecretUnavailableError' });
    expect(later.round0SigningSecrets).toEqual(['back-secret-0123456789']);
  });

  it('fails a fresh read the source cannot answer, rather than pass the cached value off as the current one', async () => {
    // Prepare: a value cached a while ago; the source gone (a rotation may have happened meanwhile)
    await write('old-secret-0123456789');
    const read = reader();
    await read();
    await rm(file);
    jest.setSystemTime(Date.now() + ingestFreshEnoughMs);

    // Act
    const fresh = await read({ fresh: true }).catch((error: unknown) => error);
    const freshAgainSoon = await read({ fresh: true }).catch((error: unknown) => error);
    const cached = await read();

    // Assess: the fresh reads cannot tell (503 at the ingest, a retry at the worker); the plain read still
    // authenticates with the last good value
    expect(fresh).toMatchObject({ name: 'SecretUnavailableError' });
    expect(freshAgainSoon).toMatchObject({ name: 'SecretUnavailableError' });
    expect(cached.round0SigningSecrets).toEqual(['old-secret-0123456789']);
  });

  it('keeps the last good value when a malformed one is written, and without one fails as unavailable, not as a configuration error', async () => {
    // Prepare: a good value cached, then a hand-edited one that fails the schema (a secret too short)
    await write('good-secret-0123456789');
    const read = reader();
    await read();
    await write('short');
    jest.setSystemTime(Date.now() + 301_000);

    // Act
    const kept = await read();
    const fresh = await read({ fresh: true }).catch((error: unknown) => error);
    const neverGood = reader()();

    // Assess: the message names the path, never the value
    expect(kept.round0SigningSecrets).toEqual(['good-secret-0123456789']);
    expect(fresh).toBeInstanceOf(SecretUnavailableError);
    await expect(neverGood).rejects.toMatchObject({
      name: 'MalformedSecretError',
      message: 'the webhook secret is malformed at: round0SigningSecrets.0',
    });
    await expect(reader()()).rejects.toBeInstanceOf(SecretUnavailableError);
  });

  it('does not read again for a fresh value a value it read a moment ago (the same request’s own read), when so configured', async () => {
    // Prepare: a cold reader configured as the ingest's; the secret rotated right after its first read
    await write('read-now-0123456789');
    const read = reader({ freshEnoughMs: ingestFreshEnoughMs });
    const workers = reader();
    await workers();
    await read();
    await write('rotated-0123456789');

    // Act
    const sameMoment = await read({ fresh: true });
    const workersSameMoment = await workers({ fresh: true });
    jest.setSystemTime(Date.now() + ingestFreshEnoughMs);
    const aMomentLater = await read({ fresh: true });

    // Assess: one read of the source per request; the next one that asks reads it again. The worker's reader
    // (no such setting) reads it at once.
    expect(sameMoment.round0SigningSecrets).toEqual(['read-now-0123456789']);
    expect(workersSameMoment.round0SigningSecrets).toEqual(['rotated-0123456789']);
    expect(aMomentLater.round0SigningSecrets).toEqual(['rotated-0123456789']);
  });

  it('answers fresh reads asked for while a forced read is under way with what that read finds', async () => {
    // Prepare
    await write('old-secret-0123456789');
    const read = reader();
    await read();
    await write('rotated-secret-0123456789');

    // Act: two requests that failed authentication ask at once
    const [first, second] = await Promise.all([read({ fresh: true }), read({ fresh: true })]);

    // Assess: neither is answered with the value the rotation replaced
    expect(first.round0SigningSecrets).toEqual(['rotated-secret-0123456789']);
    expect(second.round0SigningSecrets).toEqual(['rotated-secret-0123456789']);
  });

  it('answers fresh reads from the cache again once the source is back', async () => {
    // Prepare: a good value, an outage seen by a read, then the source back and read again
    await write('good-secret-0123456789');
    const read = reader();
    await read();
    await rm(file);
    jest.setSystemTime(Date.now() + 301_000);
    await read();
    await write('good-secret-0123456789');
    jest.setSystemTime(Date.now() + minFreshIntervalMs);
    const recovered = await read({ fresh: true });

    // Act: another request asks for a fresh value before the next forced read is allowed
    jest.setSystemTime(Date.now() + 1_000);
    const soonAfter = await read({ fresh: true });

    // Assess: the last read succeeded, so the cached value is the current one (no 503)
    expect(recovered.round0SigningSecrets).toEqual(['good-secret-0123456789']);
    expect(soonAfter.round0SigningSecrets).toEqual(['good-secret-0123456789']);
  });

  it('fails a fresh read that cannot be forced yet and finds the source unreadable, rather than answer with the old value', async () => {
    // Prepare: a cache shorter than the forced-read interval; a forced read, then the source unreadable
    await write('old-secret-0123456789');
    const read = reader({ maxAgeSeconds: 10 });
    await read();
    jest.setSystemTime(Date.now() + minFreshIntervalMs);
    await read({ fresh: true });
    await rm(file);

    // Act: the cached value is past its age, no forced read is allowed yet, and the caller wants a fresh value
    jest.setSystemTime(Date.now() + 15_000);
    const fresh = await read({ fresh: true }).catch((error: unknown) => error);
    const plain = await read();

    // Assess: the fresh read cannot tell; a plain read still gets the last good value
    expect(fresh).toMatchObject({ name: 'SecretUnavailableError' });
    expect(plain.round0SigningSecrets).toEqual(['old-secret-0123456789']);
  });

  it('serves a value from the cache for its whole maxAgeSeconds, counted in seconds', async () => {
    // Prepare
    await write('first-secret-0123456789');
    const read = reader();
    await read();
    await write('second-secret-0123456789');

    // Act
    jest.setSystemTime(Date.now() + 60_000);
    const aMinuteLater = await read();
    jest.setSystemTime(Date.now() + 240_000);
    const pastMaxAge = await read();

    // Assess
    expect(aMinuteLater.round0SigningSecrets).toEqual(['first-secret-0123456789']);
    expect(pastMaxAge.round0SigningSecrets).toEqual(['second-secret-0123456789']);
  });
});
