/** s3rver (S3 on a temporary directory) on a random loopback port with one bucket, for integration tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';

export interface LocalS3 {
  readonly s3: S3Client;
  close(): Promise<void>;
}

/** Starts s3rver and creates `bucket`. Call `close()` in `afterAll`: it removes the directory too. */
export const startS3rver = async (bucket: string): Promise<LocalS3> => {
  const directory = mkdtempSync(join(tmpdir(), `${bucket}-s3-`));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
  const { port } = await server.run();
  const s3 = new S3Client({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    // s3rver accepts only this key pair.
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  return {
    s3,
    close: async () => {
      s3.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
};
