/**
 * cdk-nag's AWS Solutions checks over stages the CLI test does not synthesise (it builds `dev`): a retained
 * `prod` stage with an alarm e-mail and an archive expiry, and a throw-away stage with tracing off. Run as
 * `cdk synth` runs them (a validation plugin of the app, acknowledgements honoured); every finding must be
 * acknowledged.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { addComplianceChecks } from '../../lib/compliance.js';
import type { StageConfig } from '../../lib/config/stage-config.js';
import { addInterviewSyncStage } from '../../lib/interview-sync-stage.js';
import { cdkJsonContext } from './synth.js';

interface ValidationReport {
  readonly pluginReports: {
    readonly pluginName: string;
    readonly conclusion: string;
    readonly violations: unknown[];
    readonly suppressedViolations: { readonly ruleName: string }[];
  }[];
}

describe.each([
  ['prod', { alarmEmail: 'oncall@example.com', archiveExpirationDays: 3650 }],
  ['qa', { tracing: false, retain: false }],
] as const)('cdk-nag AWS Solutions on stage %s with %j', (stage, config) => {
  let report: ValidationReport;

  beforeAll(() => {
    // Prepare
    const outdir = mkdtempSync(join(tmpdir(), 'interview-sync-nag-'));
    const app = new App({ outdir, context: { ...cdkJsonContext, 'aws:cdk:bundling-stacks': [] } });
    addInterviewSyncStage(app, stage, config as StageConfig);
    addComplianceChecks(app);

    // Act
    try {
      app.synth();
      report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('reports no unacknowledged finding', () => {
    // Assess
    expect(report.pluginReports).toEqual([
      expect.objectContaining({ pluginName: 'AwsSolutions', conclusion: 'success', violations: [] }),
    ]);
  });

  it(`acknowledges ${'tracing' in config ? 'no' : 'the'} X-Ray wildcard`, () => {
    // Assess
    const suppressed = report.pluginReports.flatMap((r) => r.suppressedViolations.map((v) => v.ruleName));
    expect(suppressed.includes('AwsSolutions-IAM5[Resource::*]')).toBe(!('tracing' in config));
  });
});
