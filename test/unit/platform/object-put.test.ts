/**
 * The Signature Version 4 of the ingest's S3 PUT (functions/platform/object-put.ts, the SDK's own signer
 * configured for S3), against the example AWS publishes with its expected signature (Amazon S3 API Reference,
 * "Signature Calculations for the Authorization Header: Transferring Payload in a Single Chunk (AWS Signature
 * Version 4)"), and what a PUT carries. s3rver checks the signatures of real PUTs in
 * test/integration/platform/object-put.test.ts.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { createS3RequestSigner, defaultS3Endpoint } from '../../../functions/platform/object-put.js';

const credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const signingDate = new Date('2013-05-24T00:00:00Z');

describe('createS3RequestSigner', () => {
  it("signs AWS's GET Object example as AWS does (headers given in any order)", async () => {
    // Prepare
    const payloadHash = sha256('');

    // Act
    const headers = await createS3RequestSigner(
      credentials,
      'us-east-1',
    )({
      method: 'GET',
      canonicalUri: '/test.txt',
      headers: { range: 'bytes=0-9', host: 'examplebucket.s3.amazonaws.com' },
      payloadHash,
      signingDate,
    });

    // Assess
    expect(headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
    expect(headers['x-amz-date']).toBe('20130524T000000Z');
    expect(headers['x-amz-content-sha256']).toBe(payloadHash);
  });

  it('signs the payload hash, the content type, SSE and the session token of a PUT', async () => {
    // Prepare
    const payloadHash = sha256('{"a":1}');

    // Act
    const headers = await createS3RequestSigner(
      { ...credentials, sessionToken: 'token-1' },
      'eu-west-1',
    )({
      method: 'PUT',
      canonicalUri: '/claim-checks/2026-12-02/k%3Ax.json',
      headers: {
        'content-type': 'application/json',
        host: 'bucket.s3.eu-west-1.amazonaws.com',
        'x-amz-server-side-encryption': 'AES256',
      },
      payloadHash,
      signingDate,
    });

    // Assess
    expect(headers['x-amz-security-token']).toBe('token-1');
    expect(headers['x-amz-content-sha256']).toBe(payloadHash);
    expect(headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE\/20130524\/eu-west-1\/s3\/aws4_request, SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token;x-amz-server-side-encryption, Signature=[0-9a-f]{64}$/,
    );
  });
});

describe('defaultS3Endpoint', () => {
  it.each([
    ['us-east-1', 'https://s3.us-east-1.amazonaws.com'],
    ['us-gov-west-1', 'https://s3.us-gov-west-1.amazonaws.com'],
    ['cn-north-1', 'https://s3.cn-north-1.amazonaws.com.cn'],
    ['cn-northwest-1', 'https://s3.cn-northwest-1.amazonaws.com.cn'],
  ])('is S3’s regional endpoint in %s', (region, endpoint) => {
    // Act / Assess
    expect(defaultS3Endpoint(region)).toBe(endpoint);
  });
});
