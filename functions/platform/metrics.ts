/**
 * Publishing the metrics of `metric-names.ts` exactly as the contract says: every emission is one call to
 * {@link recordMetric}, which publishes the value under the aggregate (the `service` dimension only) and,
 * for a spec with a `breakdown`, under exactly those dimensions as well. Everything is buffered until the
 * handler's `logMetrics` middleware flushes it at the end of the invocation. The types make the contract hold at
 * compile time: a handler's metrics object is branded with its service, so the ingest cannot publish a
 * worker metric, and the dimensions object must name each breakdown dimension, with the value enumerations
 * below where the contract fixes them.
 */
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricsOptions, MetricUnit } from '@aws-lambda-powertools/metrics/types';
import type { MetricSpec } from './metric-names.js';

/** The service (Powertools `service` dimension) a metric is published by. */
export type MetricService = MetricSpec['service'];

declare const serviceBrand: unique symbol;

/** One breakdown line being gathered: its dimensions and the values of each metric with exactly them. */
interface BreakdownLine {
  readonly dimensions: Readonly<Record<string, string>>;
  readonly metrics: Map<string, { readonly unit: MetricUnit; readonly values: number[] }>;
}

/**
 * Powertools publishes a line on its own once a metric holds 100 values, and drops the dimensions with it;
 * a breakdown line is published in chunks below that.
 */
const maxValuesPerLine = 50;

/**
 * A Powertools `Metrics` that also gathers the breakdown lines of an invocation and publishes them when the
 * aggregate is published (`publishStoredMetrics`, which `logMetrics` calls after the handler and on error).
 *
 * Why not one `singleMetric()` line per value beside the aggregate's line: a line costs ~250 bytes of
 * CloudWatch Logs whatever it carries, and CloudWatch Logs bills by the byte. So:
 * - one line per distinct set of dimension values, with every value of every metric recorded under them
 *   (an EMF line takes a list of values): a worker batch records the same few breakdowns over and over;
 * - each breakdown line carries two dimension sets, the breakdown's and `service` alone (EMF publishes
 *   every metric of a line under each of its sets), so a metric with a breakdown needs no aggregate line:
 *   the aggregate line is written only when a metric without a breakdown was recorded.
 * The series and statistics are the same as with a line per value. As with Powertools' own buffer, an
 * invocation that is killed before its end publishes none of them. The gathered lines belong to the
 * process, as Lambda runs one invocation at a time in it: were two to share one, whichever flushed first
 * would publish both's values, each still once.
 */
export class ContractMetrics extends Metrics {
  readonly #lines = new Map<string, BreakdownLine>();
  /** Publishes the breakdown lines: an instance of its own, so the aggregate's buffer is left alone. */
  readonly #publisher: Metrics;

  constructor(options: MetricsOptions) {
    super(options);
    this.#publisher = new Metrics(options);
  }

  /** Adds `value` of `name` to the line of exactly `dimensions` (the service's added on publishing). */
  addBreakdownValue(
    name: string,
    unit: MetricUnit,
    value: number,
    dimensions: Readonly<Record<string, string>>,
  ): void {
    const key = JSON.stringify(dimensions);
    let line = this.#lines.get(key);
    if (line === undefined) {
      line = { dimensions, metrics: new Map() };
      this.#lines.set(key, line);
    }
    const metric = line.metrics.get(name);
    if (metric === undefined) line.metrics.set(name, { unit, values: [value] });
    else metric.values.push(value);
  }

  override publishStoredMetrics(): this {
    // The map is emptied first: whatever happens while publishing, a line is never published twice.
    const lines = [...this.#lines.values()];
    this.#lines.clear();
    for (const line of lines) this.#publishLine(line);
    // Powertools writes a warning line instead when nothing else was recorded.
    if (this.hasStoredMetrics()) return super.publishStoredMetrics();
    this.clearMetrics();
    this.clearDimensions();
    this.clearMetadata();
    return this;
  }

  /** One breakdown line, split so that no metric carries more than `maxValuesPerLine` values. */
  #publishLine(line: BreakdownLine): void {
    const longest = Math.max(...[...line.metrics.values()].map((metric) => metric.values.length));
    for (let start = 0; start < longest; start += maxValuesPerLine) {
      // The breakdown's set, then a second set of the default dimensions alone (`service`): the aggregate.
      for (const [name, value] of Object.entries(line.dimensions)) this.#publisher.addDimension(name, value);
      this.#publisher.addDimensions({});
      for (const [name, { unit, values }] of line.metrics) {
        for (const value of values.slice(start, start + maxValuesPerLine))
          this.#publisher.addMetric(name, unit, value);
      }
      this.#publisher.publishStoredMetrics();
    }
  }
}

/**
 * The metrics of one service (made by `createMetrics` in `observability.ts`): only that service's specs
 * can be recorded on it.
 */
export type ServiceMetrics<Service extends MetricService = MetricService> = ContractMetrics & {
  readonly [serviceBrand]: Service;
};

/** Why a webhook delivery was refused (`WebhookRejected`'s `reason`): one per refusal the intake makes. */
export const webhookRejectedReasons = [
  /** No vendor route at the path (404). */
  'route',
  /** A non-POST request on a catch-all route (405). */
  'method',
  /** The body exceeds the configured cap (413). */
  'size',
  /** ROUND0: missing, malformed, expired or wrong signature (401). */
  'signature',
  /** micro1: missing or wrong path token (401). */
  'token',
  /** The body is not JSON (400). */
  'json',
  /** JSON that violates the vendor's schema, or is absurdly nested (400). */
  'schema',
] as const;
export type WebhookRejectedReason = (typeof webhookRejectedReasons)[number];

/**
 * The kind of ATS write (`AtsWrite`'s `action`), from the effect key (see {@link atsWriteActionOf});
 * `lookup` is the candidate look-up before them, counted only when it fails (a write is then never tried).
 */
export type AtsWriteAction =
  | 'status'
  | 'note'
  | 'follow-up'
  | 'links'
  | 'stage'
  | 'field'
  | 'notify'
  | 'lookup';

/**
 * How an ATS write ended (`AtsWrite`'s `outcome`): the sync's write outcomes (`sync/apply.ts`), and
 * `failed` for a call that threw, so the failure rate's denominator counts every call tried.
 */
export const atsWriteOutcomes = [
  'ran',
  'found',
  'already-there',
  'moved-on',
  'other-plan',
  'uncertain',
  'refused',
  'failed',
] as const;
export type AtsWriteOutcome = (typeof atsWriteOutcomes)[number];

export const isAtsWriteOutcome = (value: string): value is AtsWriteOutcome =>
  (atsWriteOutcomes as readonly string[]).includes(value);

/**
 * The values each breakdown dimension takes. All are short enumerations (the contract forbids ids and
 * anything about a candidate): vendors, event types known to this version (`unknown` otherwise), ATS
 * adapter names (`slack` for notifications) and the unions above.
 */
export interface MetricDimensionValues {
  /** `round0`, `micro1`, or `unknown` when a refused request names no vendor route. */
  readonly vendor: string;
  readonly eventType: string;
  readonly reason: WebhookRejectedReason;
  readonly provider: string;
  readonly action: AtsWriteAction;
  readonly outcome: AtsWriteOutcome;
}

type BreakdownKeys<Spec extends MetricSpec> = Spec extends {
  readonly breakdown: readonly (infer Key extends string)[];
}
  ? Key
  : never;

/** The dimensions object a spec's breakdown needs: exactly its dimension names. */
export type MetricDimensions<Spec extends MetricSpec> = {
  readonly [Key in BreakdownKeys<Spec>]: Key extends keyof MetricDimensionValues
    ? MetricDimensionValues[Key]
    : string;
};

/** The dimensions argument: required for a spec with a breakdown, absent for one without. */
type DimensionsArgument<Spec extends MetricSpec> = [BreakdownKeys<Spec>] extends [never]
  ? []
  : [dimensions: MetricDimensions<Spec>];

/**
 * Records one value of a metric: on the aggregate's line, or for a spec with a breakdown on the breakdown's
 * line, which publishes the aggregate too (`ContractMetrics`).
 *
 * The breakdown is a line of its own with its own dimension sets: added to the aggregate's buffer instead,
 * the dimensions would apply to every metric of the invocation. Only the spec's breakdown
 * dimensions are copied into it, in the spec's order, so an object carrying more properties (TypeScript
 * checks excess properties of literals only) still publishes exactly the contract's set.
 *
 * @example
 * recordMetric(metrics, metricSpecs.webhookRejected, 1, { vendor: 'round0', reason: 'signature' });
 * recordMetric(metrics, metricSpecs.webhookFailed, 1);
 */
export const recordMetric = <Spec extends MetricSpec>(
  metrics: ServiceMetrics<Spec['service']>,
  spec: Spec,
  value: number,
  ...[dimensions]: DimensionsArgument<Spec>
): void => {
  if (spec.breakdown === undefined || dimensions === undefined) {
    metrics.addMetric(spec.name, spec.unit, value);
    return;
  }
  const values = dimensions as Readonly<Record<string, string>>;
  const breakdown: Record<string, string> = {};
  // Powertools drops an empty dimension value (with a warning), which would merge the line into another
  // series: an empty value is published as `unknown` instead.
  for (const name of spec.breakdown) breakdown[name] = values[name] || 'unknown';
  metrics.addBreakdownValue(spec.name, spec.unit, value, breakdown);
};

/**
 * The `action` of an effect key (`sync/plan.ts` names each write by its content): `status:completed` →
 * `status`, `note`, `links:<hash>`, `stage:<id>`, `field:<id>:<value>`, `notify:<status>`; every other key
 * is a part of the note posted late as a follow-up note (`proctoring:<score>`, `recording:screen`,
 * `archive`, and any part added later).
 */
export const atsWriteActionOf = (effectKey: string): AtsWriteAction => {
  const prefix = effectKey.split(':', 1)[0];
  switch (prefix) {
    case 'status':
    case 'note':
    case 'links':
    case 'stage':
    case 'field':
    case 'notify':
      return prefix;
    default:
      return 'follow-up';
  }
};
