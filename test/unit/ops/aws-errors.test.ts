/**
 * The AWS errors an operator causes (a typo'd region, no or expired credentials, a missing permission) are one
 * sentence saying what to check, printed by `npm run ops` without a stack; anything else keeps its stack.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';
import { S3ServiceException } from '@aws-sdk/client-s3';
import { SQSServiceException } from '@aws-sdk/client-sqs';
import { describe, expect, it } from '@jest/globals';
import { explainAwsError } from '../../../local/ops/stack-outputs.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const stackLine = /^ {4}at /m;

/** What bin/ops.ts prints for an error that is not a usage error. */
const printed = (error: unknown, command?: string) => format(explainAwsError(error, command) ?? error);

/** Node's error for a host DNS does not know, as the SDK rethrows it (after its retries). */
const hostNotFound = (hostname: string) =>
  Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
    errno: -3008,
    code: 'ENOTFOUND',
    syscall: 'getaddrinfo',
    hostname,
    $metadata: { attempts: 3, totalRetryDelay: 66 },
  });

/** A service's error as the SDK deserializes it. */
const serviceError = (
  Exception: typeof SQSServiceException | typeof S3ServiceException,
  name: string,
  message: string,
) =>
  new Exception({
    name,
    message,
    $fault: 'client',
    $metadata: { httpStatusCode: 403, requestId: 'r-1', attempts: 1 },
  });

/** Runs `npm run ops` as an operator would, in this sandbox without network (DNS fails at once). */
const runOps = (args: readonly string[], env: NodeJS.ProcessEnv) =>
  new Promise<{ exitCode: number; stderr: string }>((resolve) => {
    execFile(
      'npx',
      ['tsx', 'bin/ops.ts', ...args],
      { cwd: repoRoot, env, timeout: 50_000 },
      (error, _stdout, stderr) => {
        resolve({ exitCode: error === null ? 0 : Number(error.code), stderr });
      },
    );
  });

/** The environment without any AWS setting of this machine (profiles, region, keys) or jest's Node options. */
const cleanEnv = (): NodeJS.ProcessEnv => {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !key.startsWith('AWS_') && key !== 'NODE_OPTIONS'),
  );
  return {
    ...env,
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
};

describe('explainAwsError', () => {
  it('names --region when an AWS endpoint host does not exist (a typo like eu-west1)', () => {
    // Prepare
    const error = hostNotFound('sqs.eu-west1.amazonaws.com');

    // Act
    const sentence = explainAwsError(error, 'redrive');

    // Assess
    expect(sentence).toContain('--region');
    expect(sentence).toContain('sqs.eu-west1.amazonaws.com');
  });

  it('leaves a host that is not an AWS endpoint to its stack (ENOTFOUND of a vendor API is no region typo)', () => {
    // Act
    const sentence = explainAwsError(hostNotFound('api.example.com'), 'doctor');

    // Assess
    expect(sentence).toBeUndefined();
  });

  it('says to sign in when the SDK finds no credentials, without a stack', () => {
    // Prepare: the credential chain's error (@smithy/property-provider)
    const error = Object.assign(new Error('Could not load credentials from any providers'), {
      name: 'CredentialsProviderError',
      tryNextLink: false,
    });

    // Act
    const output = printed(error, 'redrive');

    // Assess
    expect(output).toMatch(
      /^no usable AWS credentials \(Could not load credentials from any providers\): sign in/,
    );
    expect(output).toContain('aws sso login');
    expect(output).not.toMatch(stackLine);
  });

  it.each([
    [
      'SQS, DynamoDB, Logs (ExpiredTokenException)',
      serviceError(
        SQSServiceException,
        'ExpiredTokenException',
        'The security token included in the request is expired',
      ),
    ],
    [
      'S3 (ExpiredToken)',
      serviceError(S3ServiceException, 'ExpiredToken', 'The provided token has expired.'),
    ],
  ])('says the credentials expired and to sign in again: %s', (_service, error) => {
    // Act
    const output = printed(error, 'replay');

    // Assess
    expect(output).toMatch(
      /^the AWS credentials have expired \(ExpiredToken(Exception)?\): sign in again \(aws sso login\)/,
    );
    expect(output).not.toMatch(stackLine);
  });

  it.each([
    [
      'SQS (InvalidClientTokenId)',
      serviceError(
        SQSServiceException,
        'InvalidClientTokenId',
        'The security token included in the request is invalid.',
      ),
    ],
    [
      'SQS, DynamoDB, Logs over JSON (UnrecognizedClientException)',
      serviceError(
        SQSServiceException,
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      ),
    ],
    [
      'S3 (InvalidAccessKeyId)',
      serviceError(
        S3ServiceException,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
      ),
    ],
  ])(
    'says AWS does not know the access key in use and to sign in, without a stack: %s',
    (_service, error) => {
      // Act
      const output = printed(error, 'replay');

      // Assess
      expect(output).toBe(
        `AWS does not know the access key in use (${error.name}): sign in (aws sso login, or AWS_PROFILE=<profile>) ` +
          'or set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY',
      );
    },
  );

  it('names the refused action and resource of an SQS AccessDenied, and the command', () => {
    // Prepare
    const error = serviceError(
      SQSServiceException,
      'AccessDenied',
      'User: arn:aws:iam::123456789012:user/ops is not authorized to perform: sqs:receivemessage on resource: ' +
        'arn:aws:sqs:eu-west-1:123456789012:events-dlq because no identity-based policy allows the sqs:receivemessage action',
    );

    // Act
    const output = printed(error, 'redrive');

    // Assess
    expect(output).toBe(
      'not allowed to sqs:receivemessage on arn:aws:sqs:eu-west-1:123456789012:events-dlq (ops redrive): ' +
        "give it to the role in use, or use credentials of the stage's account",
    );
  });

  it('names the refused action of an AccessDenied whose message names no resource, and the command', () => {
    // Prepare
    const error = serviceError(
      SQSServiceException,
      'AccessDenied',
      'User: arn:aws:iam::123456789012:user/ops is not authorized to perform: sqs:ReceiveMessage ' +
        'because no identity-based policy allows the sqs:ReceiveMessage action',
    );

    // Act
    const output = printed(error, 'redrive');

    // Assess
    expect(output).toBe(
      "not allowed to sqs:ReceiveMessage (ops redrive): give it to the role in use, or use credentials of the stage's account",
    );
  });

  it('names the command and the permissions table when a refusal does not name its action (S3 "Access Denied")', () => {
    // Act
    const output = printed(serviceError(S3ServiceException, 'AccessDenied', 'Access Denied'), 'erase');

    // Assess
    expect(output).toBe(
      'not allowed (ops erase): AccessDenied: Access Denied; give the role in use the actions the command needs (README, Permissions)',
    );
  });

  it('leaves an unexpected TypeError (a bug) to be printed with its stack', () => {
    // Prepare
    const error = new TypeError("Cannot read properties of undefined (reading 'Body')");

    // Act
    const output = printed(error, 'replay');

    // Assess
    expect(explainAwsError(error, 'replay')).toBeUndefined();
    expect(output).toContain("TypeError: Cannot read properties of undefined (reading 'Body')");
    expect(output).toMatch(stackLine);
  });
});

describe('npm run ops on an AWS error', () => {
  it("prints the --region sentence for a typo'd region, no stack, exit code 1", async () => {
    // Act
    const { exitCode, stderr } = await runOps(
      ['redrive', 'events', '--dlq-url', 'https://sqs.eu-west1.amazonaws.com/123/x', '--region', 'eu-west1'],
      { ...cleanEnv(), AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'y' },
    );

    // Assess
    expect({ exitCode, stderr }).toEqual({
      exitCode: 1,
      stderr: expect.stringMatching(/^no AWS endpoint sqs\.eu-west1\.amazonaws\.com: check --region/),
    });
    expect(stderr).not.toMatch(stackLine);
  });

  it('prints the credentials sentence when there are none, no stack, exit code 1', async () => {
    // Act
    const { exitCode, stderr } = await runOps(
      [
        'redrive',
        'events',
        '--dlq-url',
        'https://sqs.eu-west-1.amazonaws.com/123/x',
        '--region',
        'eu-west-1',
      ],
      cleanEnv(),
    );

    // Assess
    expect({ exitCode, stderr }).toEqual({
      exitCode: 1,
      stderr: expect.stringMatching(/^no usable AWS credentials \(.*\): sign in \(aws sso login/),
    });
    expect(stderr).not.toMatch(stackLine);
  });
});
