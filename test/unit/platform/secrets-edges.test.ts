/**
 * Edges of `createSecretReader` (functions/platform/secrets.ts) that secrets.test.ts leaves open: fresh
 * reads asked for together, the source back after an outage, a fresh read that cannot be forced, and the
 * cache’s age in seconds.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createSecretReader, minFreshIntervalMs } from '../../../functions/platform/secrets.js';
import { webhookSecretsSchema } from '../../../functions/platform/secrets-shape.js';

describe('createSecretReader edges (local file)', () => {
  let dir: string;
  let file: string;
  const write = (round0: string) =>
    writeFile(
      file,
      JSON.stringify({ webhook: { round0SigningSecrets: [round0], micro1Tokens: ['t'.repeat(40)] } }),
    );
  const reader = () =>
    createSecretReader({
      localFile: file,
      section: 'webhook',
      schema: webhookSecretsSchema,
      maxAgeSeconds: 300,
    });

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'secrets-edges-'));
    file = join(dir, 'secrets.json');
    jest.useFakeTimers({ now: Date.parse('2026-12-03T08:00:00Z'), doNotFake: ['nextTick', 'setImmediate'] });
  });

  afterEach(async () => {
    jest.useRealTimers();
    await rm(dir, { recursive: true, force: true });
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
    const read = createSecretReader({
      localFile: file,
      section: 'webhook',
      schema: webhookSecretsSchema,
      maxAgeSeconds: 10,
    });
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
