/**
 * `npm run ops -- doctor`'s ATS side: for the configured adapter, authenticate, check the permissions the
 * sync needs (list candidates, list notes, create a note — from the credential's scopes where the API shows
 * them, never by writing), and list the ids a user puts in the configuration. Pure ATS calls: nothing here
 * touches the ledger or the sync.
 *
 * @example
 * ```ts
 * const report = await diagnoseAts('greenhouse', { userId: 4080 }, secrets.ats, {}, { completedStageId: '77' });
 * console.log(renderDoctorReport(report).join('\n'));
 * ```
 */
import { ConfigurationError } from '../platform/errors.js';
import { diagnoseAshby } from './ashby/diagnose.js';
import { type DoctorOptions, type DoctorReport, doctorReportBuilder } from './doctor-report.js';
import { diagnoseGreenhouse } from './greenhouse/diagnose.js';
import { atsAdapterNames, isAtsAdapterName } from './index.js';
import { diagnoseLever } from './lever/diagnose.js';
import type { AtsAdapterDeps } from './types.js';

export type {
  DoctorCheck,
  DoctorCheckStatus,
  DoctorList,
  DoctorListItem,
  DoctorOptions,
  DoctorReport,
} from './doctor-report.js';
export { renderDoctorReport } from './doctor-report.js';

/** A report for adapters that call no ATS API (log, generic): there is nothing to authenticate against. */
const nothingToCheck = (adapter: string, why: string): DoctorReport => {
  const report = doctorReportBuilder(adapter);
  report.check('ATS API', 'skipped', why);
  return report.build();
};

/**
 * Diagnoses adapter `name` with its `ATS_CONFIG` and credentials. Never throws for a configuration or ATS
 * problem: those are failed checks in the report (the doctor's job is to explain them).
 */
export const diagnoseAts = async (
  name: string,
  config: unknown,
  credentials: Readonly<Record<string, string>> | undefined,
  deps: AtsAdapterDeps = {},
  options: DoctorOptions = {},
): Promise<DoctorReport> => {
  try {
    if (!isAtsAdapterName(name)) {
      throw new ConfigurationError(
        `unknown ATS adapter "${name}" (expected one of ${atsAdapterNames.join(', ')})`,
      );
    }
    switch (name) {
      case 'greenhouse':
        return await diagnoseGreenhouse(config, credentials, deps, options);
      case 'lever':
        return await diagnoseLever(config, credentials, deps, options);
      case 'ashby':
        return await diagnoseAshby(config, credentials, deps, options);
      case 'generic':
        return nothingToCheck(
          name,
          'the generic adapter only POSTs signed events to its receiver: nothing to read, and the doctor never writes',
        );
      case 'log':
        return nothingToCheck(name, 'the log adapter writes JSON lines: no ATS to check');
    }
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    const report = doctorReportBuilder(name);
    report.check('configuration', 'fail', error.message);
    return report.build();
  }
};
