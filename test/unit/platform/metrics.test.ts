/**
 * recordMetric publishes each metric of the contract (metric-names.ts) as the contract says: the aggregate
 * with the service dimension only, and for a breakdown one more EMF line with exactly its dimensions.
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
import { captureMetrics, seriesOf, valuesOf } from './emf.js';

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
