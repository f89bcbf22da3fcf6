/**
 * Runs `act` while `client` refuses every park (a PutItem of a `PARKED#` item) with a ValidationException,
 * its other requests untouched: the handlers' clients are made once per module, and DynamoDB's middleware
 * still applies when added after their first use.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

export const whileParksAreRefused = async <T>(client: DynamoDBClient, act: () => Promise<T>): Promise<T> => {
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers?: Record<string, string>; body?: unknown };
      const target = request.headers?.['x-amz-target'] ?? '';
      const body =
        request.body instanceof Uint8Array
          ? Buffer.from(request.body).toString('utf8')
          : String(request.body);
      if (target.endsWith('.PutItem') && body.includes('PARKED#'))
        throw Object.assign(new Error('injected park failure'), {
          name: 'ValidationException',
          $fault: 'client',
        });
      return next(args);
    },
    { step: 'build', name: 'refuseParks' },
  );
  try {
    return await act();
  } finally {
    client.middlewareStack.remove('refuseParks');
  }
};
