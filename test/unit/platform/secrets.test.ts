/**
 * `createSecretReader` (functions/platform/secrets.ts) on the local secrets file: the cache, a read forced
 * past it (rate-limited), and the last good value kept while the source cannot be read.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { createSecretReader, minFreshIntervalMs } from '../../../functions/platform/secrets.js';
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

  const reader = () =>
    createSecretReader({
      localFile: file,
      section: 'webhook',
      schema: webhookSecretsSchema,
      maxAgeSeconds: 300,
    });

  it('reads a rotated secret when asked for a fresh value, at most once per interval', async () => {
    // Prepare
    await write('old-secret-0123456789');
    const read = reader();
    await read();
    await write('new-secret-0123456789');

    // Act
    const cached = await read();
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
    const forcedSoonAfter = await read({ fresh: true });
    jest.setSystemTime(Date.now() + minFreshIntervalMs);
    const later = await read();

    // Assess
    expect(soonAfter.round0SigningSecrets).toEqual(['good-secret-0123456789']);
    expect(forcedSoonAfter.round0SigningSecrets).toEqual(['good-secret-0123456789']);
    expect(later.round0SigningSecrets).toEqual(['back-secret-0123456789']);
  });
});
