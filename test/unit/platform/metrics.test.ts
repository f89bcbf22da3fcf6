/**
 * recordMetric publishes each metric of the contract (metric-names.ts) as the contract says: the aggregate
 * with the service dimension only, and for a breakdown one more EMF line with exactly its dimensions, one
 * line per distinct set of dimension values in an invocation.
 */
import {
  type MetricKey,
  type MetricSpec,
  metrics as metricSpecs,
} from '../../../functions/platform/metric-names.js';
import {
  atsWriteActionOf,
  type MetricService,
  recordMetric,
  type ServiceMetrics,
} from '../../../functions/platform/metrics.js';
import { createMetrics } from '../../../functions/platform/observability.js';
import { captureMetrics, emittedMetrics, seriesOf, valuesOf } from './emf.js';

process.env.POWERTOOLS_METRICS_DISABLED = 'false';
delete process.env.POWERTOOLS_SERVICE_NAME;
delete process.env.POWERTOOLS_METRICS_NAMESPACE;

/** Records with a fresh metrics object of `service` and flushes it as the `logMetrics` middleware does. */
const publish = <Service extends MetricService>(
  service: Service,
  record: (metrics: ServiceMetrics<Service>) => void,
) =>
  captureMetrics(async () => {
    const metrics = createMetrics(service);
    record(metrics);
    metrics.publishStoredMetrics();
  });

describe('recordMetric', () => {
  it('publishes the aggregate and the breakdown line with exactly the breakdown dimensions', async () => {
    // Act
    const { metrics } = await publish('interview-sync-ingest', (m) =>
      recordMetric(m, metricSpecs.webhookReceived, 1, { vendor: 'round0', eventType: 'interview_ended' }),
    );

    // Assess
    expect(metrics).toEqual([
      {
        namespace: 'InterviewSync',
        name: 'WebhookReceived',
        unit: 'Count',
        dimensions: { service: 'interview-sync-ingest', vendor: 'round0', eventType: 'interview_ended' },
        dimensionNames: ['service', 'vendor', 'eventType'],
        value: 1,
      },
      {
        namespace: 'InterviewSync',
        name: 'WebhookReceived',
        unit: 'Count',
        dimensions: { service: 'interview-sync-ingest' },
        dimensionNames: ['service'],
        value: 1,
      },
    ]);
  });

  it('publishes only the aggregate for a metric without a breakdown', async () => {
    const { metrics } = await publish('interview-sync-worker', (m) => {
      recordMetric(m, metricSpecs.eventRetried, 1);
      recordMetric(m, metricSpecs.eventRetried, 1);
    });
    expect(seriesOf(metrics, 'EventRetried')).toEqual(['service=interview-sync-worker']);
    expect(valuesOf(metrics, 'EventRetried', { service: 'interview-sync-worker' })).toEqual([1, 1]);
  });

  it('publishes the values recorded under the same dimensions on one line, each value kept', async () => {
    // Act: a worker batch's worth of breakdowns
    const { metrics } = await publish('interview-sync-worker', (m) => {
      for (const outcome of ['ran', 'ran', 'found'] as const) {
        recordMetric(m, metricSpecs.atsWrite, 1, { provider: 'lever', action: 'note', outcome });
      }
      recordMetric(m, metricSpecs.endToEndLag, 1200, { vendor: 'round0' });
      recordMetric(m, metricSpecs.endToEndLag, 800, { vendor: 'round0' });
      recordMetric(m, metricSpecs.duplicateEvent, 1, { vendor: 'round0' });
      recordMetric(m, metricSpecs.endToEndLag, 500, { vendor: 'micro1' });
    });

    // Assess: the same series and values as one line per value would give
    const note = { service: 'interview-sync-worker', provider: 'lever', action: 'note' };
    expect(valuesOf(metrics, 'AtsWrite', { ...note, outcome: 'ran' })).toEqual([1, 1]);
    expect(valuesOf(metrics, 'AtsWrite', { ...note, outcome: 'found' })).toEqual([1]);
    expect(valuesOf(metrics, 'AtsWrite', { service: 'interview-sync-worker' })).toEqual([1, 1, 1]);
    const round0 = { service: 'interview-sync-worker', vendor: 'round0' };
    expect(valuesOf(metrics, 'EndToEndLag', round0)).toEqual([1200, 800]);
    expect(valuesOf(metrics, 'DuplicateEvent', round0)).toEqual([1]);
    expect(valuesOf(metrics, 'EndToEndLag', { ...round0, vendor: 'micro1' })).toEqual([500]);
    expect(valuesOf(metrics, 'EndToEndLag', { service: 'interview-sync-worker' }).sort()).toEqual([
      1200, 500, 800,
    ]);
    expect(new Set(seriesOf(metrics, 'EndToEndLag'))).toEqual(
      new Set([
        'service=interview-sync-worker',
        'service=interview-sync-worker,vendor=micro1',
        'service=interview-sync-worker,vendor=round0',
      ]),
    );
  });

  it('writes one line per distinct set of dimension values, metrics of the same set together', async () => {
    // Act
    const { output } = await publish('interview-sync-worker', (m) => {
      for (let event = 0; event < 10; event += 1) {
        recordMetric(m, metricSpecs.eventSynced, 1, { vendor: 'round0', eventType: 'interview_ended' });
        recordMetric(m, metricSpecs.endToEndLag, 100 + event, { vendor: 'round0' });
        recordMetric(m, metricSpecs.duplicateEvent, 1, { vendor: 'round0' });
      }
    });

    // Assess: vendor+eventType, and vendor (two metrics), each carrying the aggregate; not 30 + 1
    const lines = output.split('\n').filter((line) => line.startsWith('{"_aws"'));
    expect(lines).toHaveLength(2);
    const vendorLine = lines.find((line) => line.includes('"DuplicateEvent":'));
    expect(vendorLine).toContain('"EndToEndLag":[100,101,102,103,104,105,106,107,108,109]');
    expect(emittedMetrics(vendorLine ?? '').map((metric) => metric.dimensionNames)).toEqual([
      ['service', 'vendor'],
      ['service', 'vendor'],
      ['service'],
      ['service'],
    ]);
  });

  it('splits a line before Powertools would flush it without its dimensions, and never publishes twice', async () => {
    // Prepare: more values on one line than Powertools keeps (recordMetric never gets there: the aggregate,
    // which takes as many values, flushes everything at 100 first)
    const values = Array.from({ length: 130 }, (_, index) => index);

    // Act: publish twice, as a second flush in one invocation would
    const { metrics } = await captureMetrics(async () => {
      const m = createMetrics('interview-sync-worker');
      for (const value of values)
        m.addBreakdownValue('EndToEndLag', 'Milliseconds', value, { vendor: 'round0' });
      m.addMetric('EventRetried', 'Count', 1);
      m.publishStoredMetrics();
      m.publishStoredMetrics();
    });

    // Assess: every value under its dimensions, once
    expect(valuesOf(metrics, 'EndToEndLag', { service: 'interview-sync-worker', vendor: 'round0' })).toEqual(
      values,
    );
    expect(valuesOf(metrics, 'EndToEndLag', { service: 'interview-sync-worker' })).toEqual(values);
    expect(valuesOf(metrics, 'EventRetried', { service: 'interview-sync-worker' })).toEqual([1]);
  });

  it('writes the aggregate line only when a metric without a breakdown was recorded, and no warning', async () => {
    // Act
    const breakdownsOnly = await publish('interview-sync-ingest', (m) =>
      recordMetric(m, metricSpecs.webhookReceived, 1, { vendor: 'round0', eventType: 'interview_ended' }),
    );
    const withAggregate = await publish('interview-sync-ingest', (m) => {
      recordMetric(m, metricSpecs.webhookReceived, 1, { vendor: 'round0', eventType: 'interview_ended' });
      recordMetric(m, metricSpecs.webhookClaimCheck, 1);
    });
    const nothing = await publish('interview-sync-ingest', () => undefined);

    // Assess
    const lineCount = (output: string) => output.split('\n').filter((line) => line !== '').length;
    expect(lineCount(breakdownsOnly.output)).toBe(1);
    expect(lineCount(withAggregate.output)).toBe(2);
    expect(
      valuesOf(withAggregate.metrics, 'WebhookClaimCheck', { service: 'interview-sync-ingest' }),
    ).toEqual([1]);
    expect(nothing.output).toBe('');
    expect([breakdownsOnly.errors, withAggregate.errors, nothing.errors]).toEqual(['', '', '']);
  });

  it("publishes the spec's dimensions only, whatever else the object carries", async () => {
    // Prepare: not a literal, so TypeScript's excess-property check does not apply
    const dimensions = { vendor: 'micro1', reason: 'token', interviewId: 'int-123' } as const;

    // Act
    const { metrics } = await publish('interview-sync-ingest', (m) =>
      recordMetric(m, metricSpecs.webhookRejected, 1, dimensions),
    );

    // Assess
    expect(seriesOf(metrics, 'WebhookRejected')).toEqual([
      'reason=token,service=interview-sync-ingest,vendor=micro1',
      'service=interview-sync-ingest',
    ]);
  });

  it('publishes an empty dimension value as unknown rather than dropping the dimension', async () => {
    const { metrics } = await publish('interview-sync-worker', (m) =>
      recordMetric(m, metricSpecs.atsWriteFailed, 1, { provider: '' }),
    );
    expect(seriesOf(metrics, 'AtsWriteFailed')).toEqual([
      'provider=unknown,service=interview-sync-worker',
      'service=interview-sync-worker',
    ]);
  });

  it.each(
    (Object.entries(metricSpecs) as Array<[MetricKey, MetricSpec]>).map(
      ([key, spec]) => [key, spec] as const,
    ),
  )('publishes %s with its unit, its service and its breakdown', async (_key, spec) => {
    // Prepare: a value per breakdown dimension
    const dimensions = Object.fromEntries((spec.breakdown ?? []).map((name) => [name, `${name}-value`]));
    // biome-ignore lint/suspicious/noExplicitAny: every spec of the contract at once, typed one by one below
    const record = recordMetric as (...args: any[]) => void;

    // Act
    const { metrics } = await publish(spec.service, (m) =>
      record(m, spec, 7, ...(spec.breakdown === undefined ? [] : [dimensions])),
    );

    // Assess
    expect(new Set(metrics.map((metric) => metric.unit))).toEqual(new Set([spec.unit]));
    expect(valuesOf(metrics, spec.name, { service: spec.service })).toEqual([7]);
    if (spec.breakdown === undefined) {
      expect(metrics).toHaveLength(1);
    } else {
      const [line, ...others] = metrics.filter((metric) => metric.dimensionNames.length > 1);
      expect(others).toEqual([]);
      expect(line?.dimensionNames).toEqual(['service', ...spec.breakdown]);
      expect(line?.dimensions).toEqual({ service: spec.service, ...dimensions });
      expect(line?.value).toBe(7);
    }
  });

  it('is typed by the contract: service, breakdown names and enumerated values', () => {
    const ingest = createMetrics('interview-sync-ingest');
    const worker = createMetrics('interview-sync-worker');
    const checks = () => {
      // @ts-expect-error a worker metric cannot be published by the ingest
      recordMetric(ingest, metricSpecs.eventSynced, 1, { vendor: 'round0', eventType: 'x' });
      // @ts-expect-error a breakdown dimension is missing
      recordMetric(ingest, metricSpecs.webhookRejected, 1, { vendor: 'round0' });
      // @ts-expect-error a dimension the breakdown does not have
      recordMetric(ingest, metricSpecs.webhookAuthFailed, 1, { vendor: 'round0', reason: 'token' });
      // @ts-expect-error a reason outside the enumeration
      recordMetric(ingest, metricSpecs.webhookRejected, 1, { vendor: 'round0', reason: 'teapot' });
      // @ts-expect-error an action outside the enumeration
      recordMetric(worker, metricSpecs.atsWrite, 1, { provider: 'lever', action: 'email', outcome: 'ran' });
      // @ts-expect-error no dimensions on a metric without a breakdown
      recordMetric(worker, metricSpecs.eventRetried, 1, { vendor: 'round0' });
    };
    expect(checks).toBeInstanceOf(Function);
  });
});

describe('atsWriteActionOf', () => {
  it.each([
    ['status:in_progress', 'status'],
    ['status:completed', 'status'],
    ['note', 'note'],
    ['proctoring:62', 'follow-up'],
    ['recording:screen', 'follow-up'],
    ['recording:webcam', 'follow-up'],
    ['archive', 'follow-up'],
    ['links:0123456789ab', 'links'],
    ['stage:stage-screened', 'stage'],
    ['field:score-field:85', 'field'],
    ['notify:completed', 'notify'],
  ])('%s → %s', (key, action) => {
    expect(atsWriteActionOf(key)).toBe(action);
  });
});
