/**
 * Publishing the metrics of `metric-names.ts` exactly as the contract says: every emission is one call to
 * {@link recordMetric}, which adds the aggregate (the `service` dimension only, buffered until the handler's
 * `logMetrics` middleware flushes it) and, for a spec with a `breakdown`, one single-metric EMF line with
 * exactly those dimensions. The types make the contract hold at compile time: a handler's metrics object
 * is branded with its service, so the ingest cannot publish a worker metric, and the dimensions object
 * must name each breakdown dimension, with the value enumerations below where the contract fixes them.
 */
import type { Metrics } from '@aws-lambda-powertools/metrics';
import type { MetricSpec } from './metric-names.js';

/** The service (Powertools `service` dimension) a metric is published by. */
export type MetricService = MetricSpec['service'];

declare const serviceBrand: unique symbol;

/**
 * A Powertools `Metrics` of one service (made by `createMetrics` in `observability.ts`): only that
 * service's specs can be recorded on it.
 */
export type ServiceMetrics<Service extends MetricService = MetricService> = Metrics & {
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

/** The kind of ATS write (`AtsWrite`'s `action`), from the effect key (see {@link atsWriteActionOf}). */
export type AtsWriteAction = 'status' | 'note' | 'follow-up' | 'links' | 'stage' | 'field' | 'notify';

/** How an ATS write ended (`AtsWrite`'s `outcome`): the sync's write outcomes (`sync/apply.ts`). */
export const atsWriteOutcomes = [
  'ran',
  'found',
  'already-there',
  'moved-on',
  'uncertain',
  'refused',
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
 * Records one value of a metric: the aggregate, plus the breakdown line when the spec has one.
 *
 * The breakdown goes through `singleMetric()`, a separate EMF line with its own dimension set: added to the
 * handler's buffer instead, the dimensions would apply to every metric of the invocation. Only the spec's
 * breakdown dimensions are copied into it, in the spec's order, so an object carrying more properties
 * (TypeScript checks excess properties of literals only) still publishes exactly the contract's set.
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
  metrics.addMetric(spec.name, spec.unit, value);
  if (spec.breakdown === undefined || dimensions === undefined) return;
  const values = dimensions as Readonly<Record<string, string>>;
  const breakdown: Record<string, string> = {};
  // Powertools drops an empty dimension value (with a warning), which would merge the line into another
  // series: an empty value is published as `unknown` instead.
  for (const name of spec.breakdown) breakdown[name] = values[name] || 'unknown';
  metrics.singleMetric().addDimensions(breakdown).addMetric(spec.name, spec.unit, value);
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
