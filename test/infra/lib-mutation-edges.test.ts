/**
 * Edges of lib/ the other infra tests left open, found by mutating lib/ one change at a time: each test here
 * failed on a change the rest of test/infra let through: settings the functions are told that must follow
 * the queues’ own, the archive’s expiry against its transition day, the `-c` booleans, and the dashboard’s
 * ATS failure rate.
 */
import type { Template } from 'aws-cdk-lib/assertions';
import { readStageConfig, StageConfigError } from '../../lib/config/stage-config.js';
import { resources } from '../../lib/resources.js';
import {
  dashboardWidgets,
  environmentOf,
  logicalIdOf,
  type SynthesizedStage,
  synthesizeStage,
} from './synth.js';

/**
 * Synthesises a stage with one setting of `lib/resources.ts` changed (restored afterwards, even on a throw):
 * a value the code must pass on, not repeat, differs then from the one a literal would hold.
 */
const synthesizeWithSetting = (settings: object, key: string, value: unknown): SynthesizedStage => {
  const mutable = settings as Record<string, unknown>;
  const original = mutable[key];
  mutable[key] = value;
  try {
    return synthesizeStage();
  } finally {
    mutable[key] = original;
  }
};

/** The rendered properties of `construct`'s resource in `template`. */
const propertiesOf = (
  stage: SynthesizedStage,
  template: Template,
  construct: Parameters<typeof logicalIdOf>[1],
): Record<string, unknown> => {
  const stack = template === stage.statefulTemplate ? stage.stateful : stage.stateless;
  return template.toJSON().Resources[logicalIdOf(stack, construct)].Properties;
};

describe('what the functions are told of their queues follows the queues’ settings', () => {
  it('the worker’s QUEUE_MAX_RECEIVE_COUNT is the events queue’s maxReceiveCount, whatever its value', () => {
    // Act
    const stage = synthesizeWithSetting(resources.eventsQueue, 'maxReceiveCount', 7);

    // Assess
    expect(propertiesOf(stage, stage.statefulTemplate, stage.stateful.events.queue).RedrivePolicy).toEqual({
      deadLetterTargetArn: expect.anything(),
      maxReceiveCount: 7,
    });
    expect(
      environmentOf(stage.stateless, stage.statelessTemplate, stage.stateless.worker.function),
    ).toMatchObject({
      QUEUE_MAX_RECEIVE_COUNT: '7',
    });
  });

  it('the archive’s ARCHIVE_QUEUE_MAX_RECEIVE_COUNT is the archive queue’s maxReceiveCount, whatever its value', () => {
    // Act
    const stage = synthesizeWithSetting(resources.archiveQueue, 'maxReceiveCount', 3);

    // Assess
    expect(propertiesOf(stage, stage.statefulTemplate, stage.stateful.archive.queue).RedrivePolicy).toEqual({
      deadLetterTargetArn: expect.anything(),
      maxReceiveCount: 3,
    });
    expect(
      environmentOf(stage.stateless, stage.statelessTemplate, stage.stateless.archive.function),
    ).toMatchObject({
      ARCHIVE_QUEUE_MAX_RECEIVE_COUNT: '3',
    });
  });

  it('the worker’s QUEUE_VISIBILITY_TIMEOUT_SECONDS is the events queue’s visibility timeout, whatever its value', () => {
    // Act
    const stage = synthesizeWithSetting(resources.eventsQueue, 'visibilityTimeoutSeconds', 500);

    // Assess
    expect(propertiesOf(stage, stage.statefulTemplate, stage.stateful.events.queue).VisibilityTimeout).toBe(
      500,
    );
    expect(
      environmentOf(stage.stateless, stage.statelessTemplate, stage.stateless.worker.function),
    ).toMatchObject({
      QUEUE_VISIBILITY_TIMEOUT_SECONDS: '500',
    });
  });
});

describe('the stage configuration at its boundaries', () => {
  /** Reads `settings` as stage `test`'s cdk.json entry; the message of the StageConfigError, or none. */
  const problemOf = (settings: Record<string, unknown>): string | undefined => {
    try {
      readStageConfig('test', (key) => (key === 'stages' ? { test: settings } : undefined));
      return undefined;
    } catch (error) {
      expect(error).toBeInstanceOf(StageConfigError);
      return (error as Error).message;
    }
  };

  it.each([
    ['on the default transition day', { archiveExpirationDays: 90 }],
    ['on the configured transition day', { archiveTransitionAfterDays: 120, archiveExpirationDays: 120 }],
  ])(
    'refuses an archive expiry %s (S3 refuses a rule that expires media the day it moves it)',
    (_, settings) => {
      // Act & Assess
      expect(problemOf(settings)).toMatch(
        /archiveExpirationDays: expected more days than archiveTransitionAfterDays/,
      );
    },
  );

  it.each(['no', 'False', '0', 'yes'])(
    'refuses -c retain=%s (only true or false), rather than reading it as true',
    (value) => {
      // Act
      const read = () => readStageConfig('test', (key) => (key === 'retain' ? value : undefined));

      // Assess
      expect(read).toThrow(StageConfigError);
      expect(read).toThrow(/retain: expected true or false/);
    },
  );

  it('accepts an archive expiry one day after the transition', () => {
    // Act & Assess
    expect(problemOf({ archiveTransitionAfterDays: 120, archiveExpirationDays: 121 })).toBeUndefined();
  });
});

describe('the dashboard with configured alarm thresholds', () => {
  it('graphs the ATS failure rate with the configured minimum volume, the one the alarm judges', () => {
    // Act
    const { statelessTemplate } = synthesizeStage({ config: { alarms: { atsMinimumWrites: 20 } } });
    const expressions = dashboardWidgets(statelessTemplate)
      .flatMap((widget) => widget.properties.metrics ?? [])
      .flatMap((row) =>
        row.filter(
          (part): part is { expression: string } =>
            typeof part === 'object' && part !== null && 'expression' in part,
        ),
      )
      .map((part) => part.expression)
      .filter((expression) => expression.includes('writes'));

    // Assess
    expect(expressions).toEqual(['IF(writes >= 20, 100 * FILL(failed, 0) / writes, 0)']);
  });
});
