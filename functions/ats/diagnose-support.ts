/**
 * Checks of `npm run ops -- doctor` that several adapters' `diagnose` functions make the same way. Each
 * reads only; none writes to the ATS.
 */
import { type DoctorOptions, type DoctorReportBuilder, describeAtsFailure } from './doctor-report.js';

/**
 * `list notes`: reads the notes of one visible `record` (the ATS's word for it), as the note-marker search
 * does; skipped when the credential sees none (`sampleId` undefined).
 */
export const checkNotesReadable = async (
  report: DoctorReportBuilder,
  record: 'candidate' | 'opportunity',
  sampleId: string | undefined,
  readNotes: (id: string) => Promise<unknown>,
): Promise<void> => {
  if (sampleId === undefined) {
    report.check('list notes', 'skipped', `no visible ${record} to list the notes of`);
    return;
  }
  try {
    await readNotes(sampleId);
    const article = /^[aeiou]/i.test(record) ? 'an' : 'a';
    report.check(
      'list notes',
      'ok',
      `${article} ${record}'s notes are readable (the note-marker search works)`,
    );
  } catch (error) {
    report.check('list notes', 'fail', describeAtsFailure(error).detail);
  }
};

/** `score field`: a warning when `ATS_SCORE_FIELD_ID` is set for an adapter (`Lever`) that writes no custom field. */
export const checkScoreFieldIgnored = (
  report: DoctorReportBuilder,
  adapter: string,
  options: DoctorOptions,
): void => {
  if (options.scoreFieldId === undefined) return;
  report.check(
    'score field',
    'warn',
    `the ${adapter} adapter writes no custom field: ATS_SCORE_FIELD_ID is ignored`,
  );
};
