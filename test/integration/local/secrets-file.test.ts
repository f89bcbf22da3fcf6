import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalSecretsFileError } from '../../../local/errors.js';
import { ensureSecretsFile, readSecretsFile } from '../../../local/secrets-file.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'secrets-file-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('local secrets file', () => {
  it('creates the file on first use with random secrets, readable by the owner only', async () => {
    // Prepare
    const path = join(dir, 'secrets.local.json');

    // Act
    const first = await ensureSecretsFile(path);

    // Assess
    expect(first.created).toBe(true);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(first.secrets);
    expect(first.secrets.integration).toEqual({ pseudonymKey: expect.stringMatching(/^[\w-]{43}$/) });
    expect(first.secrets.vendorApi).toEqual({
      round0ApiKey: expect.stringMatching(/^r0_local_[0-9a-f]{32}$/),
      micro1ApiKey: expect.stringMatching(/^m1_local_[0-9a-f]{32}$/),
    });
    expect(first.secrets.webhook.round0SigningSecrets).toEqual([expect.stringMatching(/^whsec_[\w-]{43}$/)]);
    expect(first.secrets.webhook.micro1Tokens).toEqual([expect.stringMatching(/^[\w-]{43}$/)]);
  });

  it('reads an existing file instead of replacing it', async () => {
    // Prepare
    const path = join(dir, 'secrets.local.json');
    const first = await ensureSecretsFile(path);

    // Act
    const second = await ensureSecretsFile(path);

    // Assess
    expect(second.created).toBe(false);
    expect(second.updated).toBe(false);
    expect(second.secrets).toEqual(first.secrets);
  });

  it('makes an existing file readable by the owner only again (a copy, an editor that saved it 0644)', async () => {
    // Prepare
    const path = join(dir, 'secrets.local.json');
    await ensureSecretsFile(path);
    await chmod(path, 0o644);

    // Act
    await ensureSecretsFile(path);

    // Assess
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('upgrades a file of an older version: adds a pseudonymKey, moves the vendor API keys to vendorApi, keeps every other value and 0600', async () => {
    // Prepare
    const path = join(dir, 'secrets.local.json');
    const older = {
      webhook: { round0SigningSecrets: ['whsec_older-secret'], micro1Tokens: ['m'.repeat(43)] },
      integration: { round0ApiKey: 'r0_old', ats: { apiKey: 'lever-key' } },
    };
    await writeFile(path, JSON.stringify(older), { mode: 0o600 });

    // Act
    const upgraded = await ensureSecretsFile(path);
    const again = await ensureSecretsFile(path);

    // Assess
    expect(upgraded).toMatchObject({ created: false, updated: true });
    expect(upgraded.secrets).toEqual({
      webhook: older.webhook,
      integration: { ats: { apiKey: 'lever-key' }, pseudonymKey: expect.stringMatching(/^[\w-]{43}$/) },
      vendorApi: { round0ApiKey: 'r0_old' },
    });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(upgraded.secrets);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(again).toMatchObject({ updated: false, secrets: upgraded.secrets });
  });

  it('moves vendor API keys left in integration without replacing those already in vendorApi', async () => {
    // Prepare
    const path = join(dir, 'secrets.local.json');
    const older = {
      webhook: { round0SigningSecrets: ['whsec_older-secret'], micro1Tokens: ['m'.repeat(43)] },
      integration: { pseudonymKey: 'k'.repeat(43), round0ApiKey: 'r0_old', micro1ApiKey: 'm1_old' },
      vendorApi: { round0ApiKey: 'r0_new', micro1ApiKey: '' },
    };
    await writeFile(path, JSON.stringify(older), { mode: 0o600 });

    // Act
    const upgraded = await ensureSecretsFile(path);

    // Assess
    expect(upgraded.updated).toBe(true);
    expect(upgraded.secrets.integration).toEqual({ pseudonymKey: 'k'.repeat(43) });
    expect(upgraded.secrets.vendorApi).toEqual({ round0ApiKey: 'r0_new', micro1ApiKey: 'm1_old' });
  });

  it('keeps what the schemas do not know when it upgrades a file (a note, a setting of a newer version)', async () => {
    // Prepare
    const path = join(dir, 'secrets.local.json');
    const older = {
      $comment: 'kept by hand',
      webhook: {
        round0SigningSecrets: ['whsec_older-secret'],
        micro1Tokens: ['m'.repeat(43)],
        note: 'rotated in May',
      },
      integration: { round0ApiKey: 'r0_old', slackWebhookNote: 'ask ops', ats: { apiKey: 'lever-key' } },
      vendorApi: { sandbox: true },
      newerSection: { anything: 1 },
    };
    await writeFile(path, JSON.stringify(older), { mode: 0o600 });

    // Act
    const upgraded = await ensureSecretsFile(path);

    // Assess: the file holds every value it held, the moved key in its new place
    expect(upgraded.updated).toBe(true);
    const { round0ApiKey: _, ...integration } = older.integration;
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
      ...older,
      integration: { ...integration, pseudonymKey: expect.stringMatching(/^[\w-]{43}$/) },
      vendorApi: { sandbox: true, round0ApiKey: 'r0_old' },
    });
    expect(upgraded.secrets.vendorApi.round0ApiKey).toBe('r0_old');
  });

  it("creates the file's directory, the owner's only, when it does not exist", async () => {
    // Prepare
    const path = join(dir, 'new', 'nested', 'secrets.local.json');

    // Act
    const created = await ensureSecretsFile(path);

    // Assess
    expect(created.created).toBe(true);
    expect((await stat(join(dir, 'new'))).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, 'new', 'nested'))).mode & 0o777).toBe(0o700);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('says why it cannot create the file (the reason, not only the path)', async () => {
    // Prepare: where its directory should be, a file
    await writeFile(join(dir, 'taken'), '');
    const path = join(dir, 'taken', 'secrets.local.json');

    // Act
    const creating = ensureSecretsFile(path);

    // Assess
    await expect(creating).rejects.toThrow(LocalSecretsFileError);
    await expect(creating).rejects.toThrow(
      `cannot create ${join(dir, 'taken')} (for ${path}): EEXIST: file already exists`,
    );
  });

  it('says why it cannot write the file itself once its directory is there', async () => {
    // Prepare: a name the file system refuses (a permission would not do: the tests may run as root)
    const path = join(dir, 'x'.repeat(300));

    // Act
    const creating = ensureSecretsFile(path);

    // Assess
    await expect(creating).rejects.toThrow(`cannot create ${path}: ENAMETOOLONG`);
  });

  it('says why it cannot update a file of an older version, and leaves the file as it was', async () => {
    // Prepare: a file that needs its upgrade written, under a name the file system takes but not with the
    // suffix of the temporary copy renamed over it (`.<8 hex>.tmp`); a permission would not do: the tests may
    // run as root
    const name = 'x'.repeat(250);
    const path = join(dir, name);
    const older = JSON.stringify({
      webhook: { round0SigningSecrets: ['whsec_older-secret'], micro1Tokens: ['m'.repeat(43)] },
      integration: { round0ApiKey: 'r0_old' },
    });
    await writeFile(path, older, { mode: 0o600 });

    // Act
    const error = await ensureSecretsFile(path).catch((e: unknown) => e);

    // Assess: the path and the reason, never a secret; the file unchanged and no temporary copy left
    expect(error).toBeInstanceOf(LocalSecretsFileError);
    expect((error as Error).message).toBe(`cannot update ${path}: ENAMETOOLONG: name too long`);
    expect(await readFile(path, 'utf8')).toBe(older);
    expect(await readdir(dir)).toEqual([name]);
  });

  it('gives each new file different secrets', async () => {
    // Act
    const a = await ensureSecretsFile(join(dir, 'a.json'));
    const b = await ensureSecretsFile(join(dir, 'b.json'));

    // Assess
    expect(a.secrets.webhook.round0SigningSecrets).not.toEqual(b.secrets.webhook.round0SigningSecrets);
    expect(a.secrets.webhook.micro1Tokens).not.toEqual(b.secrets.webhook.micro1Tokens);
    expect(a.secrets.integration.pseudonymKey).not.toEqual(b.secrets.integration.pseudonymKey);
  });

  it('refuses a pseudonymKey too short to be a key, without echoing it', async () => {
    // Prepare
    const path = join(dir, 'secrets.local.json');
    await writeFile(
      path,
      JSON.stringify({
        webhook: { round0SigningSecrets: ['whsec_older-secret'], micro1Tokens: ['m'.repeat(43)] },
        integration: { pseudonymKey: 'short-key' },
      }),
    );

    // Act
    const reading = readSecretsFile(path);

    // Assess
    await expect(reading).rejects.toThrow(/integration\.pseudonymKey/);
    await expect(reading).rejects.not.toThrow(/short-key/);
  });

  it('refuses a malformed file, naming the path but not the values', async () => {
    // Prepare
    const path = join(dir, 'secrets.local.json');
    await writeFile(path, JSON.stringify({ webhook: { round0SigningSecrets: [], micro1Tokens: ['short'] } }));

    // Act
    const reading = readSecretsFile(path);

    // Assess
    await expect(reading).rejects.toThrow(LocalSecretsFileError);
    await expect(reading).rejects.toThrow(/webhook\.round0SigningSecrets/);
    await expect(reading).rejects.not.toThrow(/short/);
  });

  it('refuses a file that is not JSON without quoting it, nor letting a cause quote it', async () => {
    // Prepare: a value left unquoted by a hand edit (V8's parse error quotes the text around the fault)
    const path = join(dir, 'secrets.local.json');
    await writeFile(path, '{"webhook": {"round0SigningSecrets": [whsec_TOPSECRET]}}');

    // Act
    const error = await readSecretsFile(path).catch((e: unknown) => e);

    // Assess: the message and its whole cause chain
    expect(error).toBeInstanceOf(LocalSecretsFileError);
    expect((error as Error).message).toMatch(/is not valid JSON/);
    const chain: string[] = [];
    for (let at: unknown = error; at instanceof Error; at = at.cause) chain.push(`${at.name}: ${at.message}`);
    // V8 quotes ~10 characters past the fault (`[whsec_TOPS"...`): none of them may show, nor a cause
    expect(chain.join('\n')).not.toMatch(/whsec|TOPS/);
    expect((error as Error).cause).toBeUndefined();
  });
});
