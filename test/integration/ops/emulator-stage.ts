/**
 * The stage `npm run ops` finds while `npm start` runs, without the pipeline: the emulators, a data
 * directory holding their runtime info and a secrets file, and an S3 client on the emulator.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { type LocalEmulators, localAws, startEmulators } from '../../../local/emulators.js';
import { runtimeInfoFor, writeRuntimeInfo } from '../../../local/runtime-info.js';
import { ensureSecretsFile } from '../../../local/secrets-file.js';

export interface EmulatorStage {
  readonly emulators: LocalEmulators;
  /** The data directory to hand to `runOpsCommand`. */
  readonly dataDir: string;
  readonly s3: S3Client;
  close(): Promise<void>;
}

/** Starts the emulators and writes their runtime info in a fresh directory named after `prefix`. */
export const startEmulatorStage = async (prefix: string): Promise<EmulatorStage> => {
  const emulators = await startEmulators();
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  const secretsFile = join(dataDir, 'secrets.local.json');
  await ensureSecretsFile(secretsFile);
  await writeRuntimeInfo(dataDir, runtimeInfoFor({ ...emulators, secretsFile: { path: secretsFile } }));
  const s3 = new S3Client({
    region: localAws.region,
    endpoint: emulators.endpoints.s3,
    forcePathStyle: true,
    credentials: localAws.credentials,
  });
  return {
    emulators,
    dataDir,
    s3,
    close: async () => {
      s3.destroy();
      await emulators.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
};
