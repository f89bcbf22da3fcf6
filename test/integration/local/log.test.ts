/**
 * `npm start`'s readable logs: the real Powertools Logger and Metrics write their JSON to stdout as
 * deployed, and the local rewriting turns each line into `time LEVEL service message key=value`.
 */

import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { consoleLog, prettyPowertoolsLine, prettyPrintPowertoolsLogs } from '../../../local/log.js';

const clock = String.raw`\d\d:\d\d:\d\d\.\d{3}`;

/**
 * What reaches `stream` (stdout: info and metrics; stderr: warnings and errors) while `act` runs with the
 * rewriting on; nothing reaches the terminal.
 */
const writtenDuring = (act: () => void, stream: NodeJS.WriteStream = process.stdout): string[] => {
  const written: string[] = [];
  const spy = jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(String(chunk));
    return true;
  });
  const restore = prettyPrintPowertoolsLogs([stream]);
  try {
    act();
  } finally {
    restore();
    spy.mockRestore();
  }
  return written;
};

afterEach(() => {
  jest.restoreAllMocks();
});

describe('local log format', () => {
  it('prints a Powertools log entry as one line with its own keys, without the Lambda noise', () => {
    // Prepare
    const logger = new Logger({ serviceName: 'worker' });

    // Act
    const lines = writtenDuring(() =>
      logger.info('event processed', { dedupeKey: 'round0:evt_1', outcome: 'done' }),
    );

    // Assess
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^${clock} INFO  worker   event processed dedupeKey=round0:evt_1 outcome=done\\n$`),
    );
  });

  it('prints an error’s name and message on the line and its stack indented below', () => {
    // Prepare
    const logger = new Logger({ serviceName: 'archive' });

    // Act
    const [text = ''] = writtenDuring(
      () => logger.error('task failed', new Error('segment 404')),
      process.stderr,
    );

    // Assess
    const [line, ...stack] = text.trimEnd().split('\n');
    expect(line).toMatch(new RegExp(`^${clock} ERROR archive  task failed error="Error: segment 404"$`));
    expect(stack.length).toBeGreaterThan(0);
    expect(stack.every((frame) => frame.startsWith('    at '))).toBe(true);
  });

  it('prints an EMF metrics blob as its metric values and dimensions', () => {
    // Prepare
    const metrics = new Metrics({ namespace: 'InterviewSync', serviceName: 'worker' });
    metrics.addDimension('vendor', 'round0');
    metrics.addMetric('EventsProcessed', MetricUnit.Count, 2);

    // Act
    const [line] = writtenDuring(() => metrics.publishStoredMetrics());

    // Assess
    expect(line).toMatch(new RegExp(`^${clock} METRIC worker   EventsProcessed=2 vendor=round0\\n$`));
  });

  it('leaves every other line exactly as written', () => {
    // Act
    const lines = writtenDuring(() => {
      process.stdout.write('plain text\n');
      process.stdout.write('{"not":"a log entry"}\n');
      process.stdout.write('{"level":"INFO","message":"no newline","timestamp":"2026-01-01T00:00:00.000Z"}');
    });

    // Assess
    expect(lines).toEqual([
      'plain text\n',
      '{"not":"a log entry"}\n',
      '{"level":"INFO","message":"no newline","timestamp":"2026-01-01T00:00:00.000Z"}',
    ]);
    expect(prettyPowertoolsLine('{broken json}')).toBeUndefined();
  });

  it('quotes values with spaces and prints objects as JSON', () => {
    // Act
    const line = prettyPowertoolsLine(
      JSON.stringify({
        level: 'WARN',
        message: 'ats call failed',
        timestamp: '2026-01-01T12:00:00.000Z',
        service: 'worker',
        function_request_id: '0123456789abcdef',
        reason: 'greenhouse: unauthorized',
        attempt: { n: 2 },
      }),
    );

    // Assess
    expect(line).toMatch(
      new RegExp(
        `^${clock} WARN  worker   ats call failed reason="greenhouse: unauthorized" attempt=\\{"n":2\\} req=01234567$`,
      ),
    );
  });

  it('prints the local runtime’s own lines in the same format on stderr', () => {
    // Prepare
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);

    // Act
    consoleLog.info('http', { route: 'POST /webhooks/round0', status: 202 });

    // Assess
    expect(spy).toHaveBeenCalledTimes(1);
    expect(String(spy.mock.calls[0]?.[0])).toMatch(
      new RegExp(`^${clock} INFO  local    http route="POST /webhooks/round0" status=202$`),
    );
  });
});
