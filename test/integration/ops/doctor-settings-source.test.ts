/**
 * `npm run ops -- doctor` says where its ATS settings came from: the flags given (`--adapter`, `--config`,
 * `--completed-stage-id`, `--score-field-id`), and the environment only for the settings it set that no flag
 * gave. Before, `doctor --adapter greenhouse --config {}` printed "settings read from the environment".
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { runOpsCommand } from '../../../local/ops.js';

let dir: string;
let secretsFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ops-doctor-source-'));
  secretsFile = join(dir, 'secrets.local.json');
  await writeFile(
    secretsFile,
    JSON.stringify({
      webhook: { round0SigningSecrets: ['whsec_local-test'], micro1Tokens: ['t'.repeat(43)] },
      integration: {},
    }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The doctor's "settings read from …" line, and its JSON `settingsFrom`, for `flags` and `env`. */
const settingsLine = async (flags: readonly string[], env: Record<string, string>) => {
  const text = await runOpsCommand(['doctor', ...flags], dir, { env, secretsFile });
  const json = await runOpsCommand(['doctor', '--json', ...flags], dir, { env, secretsFile });
  return {
    text: text.lines.find((line) => line.startsWith('settings read from')),
    json: (JSON.parse(json.lines.join('\n')) as { settingsFrom: string }).settingsFrom,
  };
};

describe('npm run ops -- doctor: where the settings came from', () => {
  it('names --adapter/--config when they gave the settings, not the environment', async () => {
    // Act: the reviewer's command, in a shell that sets no ATS_* variable
    const said = await settingsLine(['--adapter', 'greenhouse', '--config', '{}'], {});

    // Assess
    expect(said).toEqual({
      text: 'settings read from --adapter/--config',
      json: '--adapter/--config',
    });
  });

  it('names the environment for what it still set, and the flags for the rest', async () => {
    // Act
    const said = await settingsLine(['--adapter', 'log', '--score-field-id', '9'], {
      ATS_ADAPTER: 'greenhouse',
      ATS_COMPLETED_STAGE_ID: '501',
      ATS_CONFIG: ' ',
    });

    // Assess
    expect(said.text).toBe(
      'settings read from --adapter/--score-field-id, ATS_COMPLETED_STAGE_ID from the environment',
    );
  });

  it('says the environment, as before, when no flag gave a setting', async () => {
    // Act
    const said = await settingsLine([], { ATS_ADAPTER: 'log' });

    // Assess
    expect(said.text).toBe('settings read from the environment');
  });
});
