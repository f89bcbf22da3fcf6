/**
 * More edges of `ops watch --stage` (local/ops/watch.ts): following goes on through polls that find
 * nothing, and a worker line is shown by its event’s key.
 */
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import { deliveryLineOf, watchDeployed } from '../../../local/ops/watch.js';

const logs = mockClient(CloudWatchLogsClient);
const t0 = Date.parse('2026-05-01T12:00:00.000Z');

afterEach(() => {
  logs.reset();
});

describe('ops watch --stage (more edges)', () => {
  it('keeps following through polls that find nothing, and prints what a later poll finds', async () => {
    // Prepare: the first two polls find nothing, the third a delivery
    let polls = 0;
    logs.on(FilterLogEventsCommand).callsFake(() => {
      polls += 1;
      if (polls < 3) return { events: [] };
      const message = JSON.stringify({
        message: 'webhook accepted',
        vendor: 'round0',
        correlation_id: 'round0:evt_1',
      });
      return { events: [{ eventId: 'e1', timestamp: t0 + 1000, message }] };
    });
    const printed: string[] = [];
    const stop = new AbortController();

    // Act
    await watchDeployed({
      logs: new CloudWatchLogsClient({ region: 'us-east-1' }),
      logGroups: { ingest: '/aws/lambda/ingest' },
      since: new Date(t0),
      pollMs: 1,
      now: () => t0 + 5000,
      signal: stop.signal,
      print: (line) => {
        printed.push(line);
        stop.abort();
      },
    });

    // Assess
    expect(polls).toBe(3);
    expect(printed).toEqual([expect.stringMatching(/ingest +round0 .* accepted {2}round0:evt_1$/)]);
  });

  it('shows a line by its event’s key rather than its correlation id when it has both', () => {
    const line = deliveryLineOf(
      JSON.stringify({ message: 'event processed', eventKey: 'round0:evt_1', correlation_id: 'msg-9' }),
      t0,
      'worker',
    );
    expect(line?.key).toBe('round0:evt_1');
  });
});
