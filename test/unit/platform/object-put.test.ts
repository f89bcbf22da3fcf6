/**
 * The Signature Version 4 of the ingest's S3 PUT (functions/platform/object-put.ts), against the examples AWS
 * publishes with their expected signatures (Amazon S3 API Reference, "Signature Calculations for the
 * Authorization Header: Transferring Payload in a Single Chunk (AWS Signature Version 4)").
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { signS3Request } from '../../../functions/platform/object-put.js';

const credentials = {
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
};
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const amzDate = '20130524T000000Z';

describe('signS3Request', () => {
  it("signs AWS's PUT Object example as AWS does", () => {
    // Prepare
    const payloadHash = sha256('Welcome to Amazon S3.');

    // Act
    const authorization = signS3Request(
      {
        method: 'PUT',
        canonicalUri: '/test%24file.text',
        headers: {
          date: 'Fri, 24 May 2013 00:00:00 GMT',
          host: 'examplebucket.s3.amazonaws.com',
          'x-amz-content-sha256': payloadHash,
          'x-amz-date': amzDate,
          'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        },
        payloadHash,
        amzDate,
        region: 'us-east-1',
      },
      credentials,
    );

    // Assess
    expect(authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, ' +
        'Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
    );
  });

  it("signs AWS's GET Object example as AWS does (headers given in any order)", () => {
    // Prepare
    const payloadHash = sha256('');

    // Act
    const authorization = signS3Request(
      {
        method: 'GET',
        canonicalUri: '/test.txt',
        headers: {
          'x-amz-date': amzDate,
          range: 'bytes=0-9',
          host: 'examplebucket.s3.amazonaws.com',
          'x-amz-content-sha256': payloadHash,
        },
        payloadHash,
        amzDate,
        region: 'us-east-1',
      },
      credentials,
    );

    // Assess
    expect(authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('derives the signing key through the cache it is given', () => {
    // Prepare
    const scopes: string[] = [];
    const request = {
      method: 'PUT',
      canonicalUri: '/k',
      headers: { host: 'h', 'x-amz-date': amzDate, 'x-amz-content-sha256': sha256('') },
      payloadHash: sha256(''),
      amzDate,
      region: 'eu-west-1',
    };

    // Act
    const direct = signS3Request(request, credentials);
    const cached = signS3Request(request, credentials, (_secret, scope, derive) => {
      scopes.push(scope);
      return derive();
    });

    // Assess
    expect(cached).toBe(direct);
    expect(scopes).toEqual(['20130524/eu-west-1/s3/aws4_request']);
  });
});
