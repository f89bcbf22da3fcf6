/**
 * The dashboard shows everything a queue holds, not only its visible messages: the worker hides retried events
 * with `ChangeMessageVisibility` (in flight, up to 3 h) and the archive defers busy assets with `DelaySeconds`
 * (delayed, up to 15 min), so a queue can read 0 visible while it holds hundreds of events; and a DLQ's
 * `*-dlq-not-empty` alarm counts visible + in flight, which its graph must show too.
 */
import type { InterviewSyncStatefulStack } from '../../lib/stateful-stack.js';
import type { InterviewSyncStatelessStack } from '../../lib/stateless-stack.js';
import {
  type DashboardWidget,
  dashboardWidgets,
  placeholderOf,
  renderedIn,
  synthesizeStage,
} from './synth.js';

/** A metric line of a graph: `["AWS/SQS", metric, "QueueName", queue, {options}]`, or `[{expression}]`. */
type Line = readonly unknown[];

interface LineOptions {
  readonly id?: string;
  readonly visible?: boolean;
  readonly stat?: string;
  readonly expression?: string;
}

const optionsOf = (line: Line): LineOptions => (line.at(-1) ?? {}) as LineOptions;

/** The line graphing `metric` of the queue named `queueName` (its placeholder), if the widget has one. */
const sqsLine = (widget: DashboardWidget, metric: string, queueName: string): Line | undefined =>
  (widget.properties.metrics ?? []).find(
    (line) => line[0] === 'AWS/SQS' && line[1] === metric && line[2] === 'QueueName' && line[3] === queueName,
  );

/** Whether the widget shows the line: drawn itself, or through an expression that reads it by id. */
const shows = (widget: DashboardWidget, line: Line): boolean => {
  const { id, visible } = optionsOf(line);
  if (visible !== false) return true;
  return (widget.properties.metrics ?? []).some((other) => {
    const { expression, visible: drawn } = optionsOf(other);
    return (
      expression !== undefined &&
      drawn !== false &&
      id !== undefined &&
      new RegExp(`\\b${id}\\b`).test(expression)
    );
  });
};

describe('dashboard: queue messages by state', () => {
  let stateless: InterviewSyncStatelessStack;
  let stateful: InterviewSyncStatefulStack;
  let widgets: DashboardWidget[];
  /** The placeholder of a stateful queue's name in the stateless dashboard body. */
  const queueNameOf = (owner: 'events' | 'archive', member: 'queue' | 'deadLetterQueue'): string =>
    placeholderOf(renderedIn(stateless, stateful[owner][member].queueName));
  /** The graphs that draw every one of `metrics` for the queue, in the same widget. */
  const graphsWith = (queueName: string, metrics: readonly string[]): DashboardWidget[] =>
    widgets.filter((widget) =>
      metrics.every((metric) => {
        const line = sqsLine(widget, metric, queueName);
        return line !== undefined && shows(widget, line);
      }),
    );

  beforeAll(() => {
    // Prepare & Act
    const stage = synthesizeStage();
    ({ stateless, stateful } = stage);
    widgets = dashboardWidgets(stage.statelessTemplate);
  });

  it.each([
    ['events queue', 'events'],
    ['archive queue', 'archive'],
  ] as const)('graphs the %s visible, in flight and delayed messages together, as maxima', (_name, owner) => {
    // Prepare
    const queueName = queueNameOf(owner, 'queue');
    const metrics = [
      'ApproximateNumberOfMessagesVisible',
      'ApproximateNumberOfMessagesNotVisible',
      'ApproximateNumberOfMessagesDelayed',
    ];

    // Act
    const graphs = graphsWith(queueName, metrics);

    // Assess
    expect(graphs).toHaveLength(1);
    for (const metric of metrics)
      expect(optionsOf(sqsLine(graphs[0] as DashboardWidget, metric, queueName) as Line).stat).toBe(
        'Maximum',
      );
  });

  it.each([
    ['events DLQ', 'events'],
    ['archive DLQ', 'archive'],
  ] as const)(
    'graphs the %s visible and in flight messages, which its not-empty alarm counts',
    (_name, owner) => {
      // Prepare
      const queueName = queueNameOf(owner, 'deadLetterQueue');
      const metrics = ['ApproximateNumberOfMessagesVisible', 'ApproximateNumberOfMessagesNotVisible'];

      // Act
      const graphs = graphsWith(queueName, metrics);

      // Assess
      expect(graphs).toHaveLength(1);
      for (const metric of metrics)
        expect(optionsOf(sqsLine(graphs[0] as DashboardWidget, metric, queueName) as Line).stat).toBe(
          'Maximum',
        );
    },
  );
});
