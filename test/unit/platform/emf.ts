/**
 * Reads the CloudWatch EMF lines Powertools Metrics writes to stdout (what CloudWatch turns into metrics),
 * so tests assert the published metrics themselves: name, unit, dimension set and value.
 */
import { captureOutput } from '../../helpers/captured-output.js';

/** One metric value of one EMF line. */
export interface EmittedMetric {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string;
  /** The dimension set it is published under, with each dimension's value. */
  readonly dimensions: Readonly<Record<string, string>>;
  /** The dimension names in the order of the set, to check the set itself. */
  readonly dimensionNames: readonly string[];
  /** The value, or the values when the line aggregates several (`[1, 1]`). */
  readonly value: number | readonly number[];
}

interface EmfDocument {
  readonly _aws: {
    readonly CloudWatchMetrics: ReadonlyArray<{
      readonly Namespace: string;
      readonly Dimensions: readonly (readonly string[])[];
      readonly Metrics: ReadonlyArray<{ readonly Name: string; readonly Unit: string }>;
    }>;
  };
  readonly [key: string]: unknown;
}

const parseEmf = (line: string): EmfDocument | undefined => {
  if (!line.startsWith('{')) return undefined;
  try {
    const parsed = JSON.parse(line) as Partial<EmfDocument>;
    return parsed._aws === undefined ? undefined : (parsed as EmfDocument);
  } catch {
    return undefined;
  }
};

/**
 * The metrics of EMF text (non-EMF lines, e.g. logs, are skipped), as CloudWatch reads them: a line with
 * several dimension sets publishes each of its metrics once under each set.
 */
export const emittedMetrics = (output: string): EmittedMetric[] =>
  output
    .split('\n')
    .map(parseEmf)
    .filter((document) => document !== undefined)
    .flatMap((document) =>
      document._aws.CloudWatchMetrics.flatMap((directive) =>
        directive.Dimensions.flatMap((dimensionNames) => {
          const dimensions = Object.fromEntries(dimensionNames.map((name) => [name, String(document[name])]));
          return directive.Metrics.map((metric) => ({
            namespace: directive.Namespace,
            name: metric.Name,
            unit: metric.Unit,
            dimensions,
            dimensionNames,
            value: document[metric.Name] as number | number[],
          }));
        }),
      ),
    );

/**
 * Runs `act` with stdout and stderr captured (nothing reaches the test output) and returns what it
 * resolved to with the metrics it published, the stdout text itself and what went to stderr.
 */
export const captureMetrics = async <T>(
  act: () => Promise<T>,
): Promise<{
  readonly result: T;
  readonly metrics: EmittedMetric[];
  readonly output: string;
  readonly errors: string;
}> => {
  const { result, stdout, stderr } = await captureOutput(act);
  return { result, metrics: emittedMetrics(stdout), output: stdout, errors: stderr };
};

/** The values of `name` published with exactly `dimensions` (service included), flattened. */
export const valuesOf = (
  metrics: readonly EmittedMetric[],
  name: string,
  dimensions: Readonly<Record<string, string>>,
): number[] =>
  metrics
    .filter(
      (metric) =>
        metric.name === name &&
        metric.dimensionNames.length === Object.keys(dimensions).length &&
        Object.entries(dimensions).every(([key, value]) => metric.dimensions[key] === value),
    )
    .flatMap((metric) => (typeof metric.value === 'number' ? [metric.value] : [...metric.value]));

/** Every dimension set `name` was published with (each as a sorted `key=value` list), for exact checks. */
export const seriesOf = (metrics: readonly EmittedMetric[], name: string): string[] =>
  metrics
    .filter((metric) => metric.name === name)
    .map((metric) =>
      Object.entries(metric.dimensions)
        .map(([key, value]) => `${key}=${value}`)
        .sort()
        .join(','),
    )
    .sort();
