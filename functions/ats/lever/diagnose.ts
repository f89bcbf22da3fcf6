/**
 * `npm run ops -- doctor` for Lever: checks the API key against the reads the adapter makes, that the
 * `perform_as` user exists, and lists the stage ids to configure. Reads only: Lever has no dry-run for a
 * note and does not expose a key's endpoint permissions, so note creation is reported as not checked.
 */
import * as v from 'valibot';
import { checkNotesReadable, checkScoreFieldIgnored } from '../diagnose-support.js';
import {
  type DoctorList,
  type DoctorOptions,
  type DoctorReport,
  describeAtsFailure,
  doctorReportBuilder,
} from '../doctor-report.js';
import type { AtsAdapterDeps } from '../types.js';
import { resolveLever } from './adapter.js';
import {
  buildGetUser,
  buildListNotes,
  buildListOpportunities,
  buildListStages,
  buildListTags,
} from './api.js';
import { createLeverClient } from './client.js';

const firstPageSchema = v.looseObject({ data: v.array(v.looseObject({ id: v.optional(v.string()) })) });
const stageSchema = v.looseObject({ id: v.string(), text: v.optional(v.nullable(v.string())) });
const tagSchema = v.looseObject({ text: v.string(), count: v.optional(v.nullable(v.number())) });
const userSchema = v.looseObject({
  id: v.string(),
  name: v.optional(v.nullable(v.string())),
  accessRole: v.optional(v.nullable(v.string())),
  deactivatedAt: v.optional(v.nullable(v.unknown())),
});

/** Diagnoses the Lever configuration; never writes. */
export const diagnoseLever = async (
  config: unknown,
  credentials: Readonly<Record<string, string>> | undefined,
  deps: AtsAdapterDeps = {},
  options: DoctorOptions = {},
): Promise<DoctorReport> => {
  const report = doctorReportBuilder('lever');
  const { settings, apiKey } = resolveLever(config, credentials);
  const { baseUrl, performAs } = settings;
  const client = createLeverClient(settings, deps);

  let sampleOpportunityId: string | undefined;
  try {
    const response = await client.send(buildListOpportunities(baseUrl, apiKey, 1));
    const parsed = v.safeParse(firstPageSchema, response.json());
    sampleOpportunityId = parsed.success ? parsed.output.data[0]?.id : undefined;
    report.check('authenticate', 'ok', 'the API key is accepted');
    report.check(
      'list opportunities',
      sampleOpportunityId ? 'ok' : 'warn',
      sampleOpportunityId ? 'the key lists opportunities' : 'no opportunity visible (an empty account?)',
    );
  } catch (error) {
    const failure = describeAtsFailure(error);
    report.check('authenticate', 'fail', failure.detail);
    report.advise(
      'Create the key in Lever (Settings → Integrations and API, by a Super Admin) with the Opportunities, ' +
        'Notes, Stages, Tags and Users endpoints, and put it in the integration secret as `ats.apiKey`.',
    );
    return report.build();
  }

  await checkNotesReadable(report, 'opportunity', sampleOpportunityId, (id) =>
    client.send(buildListNotes(baseUrl, apiKey, id)),
  );

  try {
    const user = await client.data(buildGetUser(baseUrl, apiKey, performAs), userSchema, 'user');
    if (!user)
      report.check('perform_as user', 'fail', `${performAs} is not a Lever user (ATS_CONFIG.performAs)`);
    else if (user.deactivatedAt)
      report.check('perform_as user', 'fail', `${performAs} is deactivated: writes would be refused`);
    else
      report.check(
        'perform_as user',
        'ok',
        `${performAs} is "${user.name ?? '(unnamed)'}"${user.accessRole ? ` (${user.accessRole})` : ''}`,
      );
  } catch (error) {
    report.check('perform_as user', 'warn', `not verified: ${describeAtsFailure(error).detail}`);
  }

  report.check(
    'create a note',
    'skipped',
    "not checked: Lever has no dry-run for POST /opportunities/{id}/notes and does not expose the key's " +
      'endpoint permissions; the doctor never writes a real note (give the key the Notes endpoint)',
  );

  const collect = async <T extends v.GenericSchema>(
    build: (offset?: string) => ReturnType<typeof buildListStages>,
    schema: T,
  ): Promise<{ rows: v.InferOutput<T>[]; error?: unknown }> => {
    try {
      const rows: v.InferOutput<T>[] = [];
      for await (const row of client.pages(build, schema)) rows.push(row);
      return { rows };
    } catch (error) {
      return { rows: [], error };
    }
  };

  const stages = await collect((offset) => buildListStages(baseUrl, apiKey, offset), stageSchema);
  const stageList: DoctorList = {
    kind: 'stages',
    title: 'Pipeline stages',
    usedFor: 'ATS_COMPLETED_STAGE_ID',
    items: stages.rows.map((s) => ({ id: s.id, name: s.text ?? '(unnamed)' })),
    ...(stages.error ? { note: `not listed: ${describeAtsFailure(stages.error).detail}` } : {}),
  };
  report.list(stageList);
  // The adapter never lists stages: a key without that endpoint fails only a configured stage move's check.
  if (stages.error) {
    report.check(
      'list stages',
      options.completedStageId === undefined ? 'warn' : 'fail',
      describeAtsFailure(stages.error).detail,
    );
  } else report.check('list stages', stages.rows.length ? 'ok' : 'warn', `${stages.rows.length} stage(s)`);

  const tags = await collect((offset) => buildListTags(baseUrl, apiKey, offset), tagSchema);
  report.list({
    kind: 'tags',
    title: 'Tags in use',
    usedFor: 'ATS_CONFIG.statusTags (free text, no ids: a missing tag is created on first use)',
    items: tags.rows.map((t) => ({
      id: t.text,
      name: t.text,
      ...(t.count ? { context: `${t.count} opportunit${t.count === 1 ? 'y' : 'ies'}` } : {}),
    })),
    ...(tags.error ? { note: `not listed: ${describeAtsFailure(tags.error).detail}` } : {}),
  });

  report.checkConfiguredId('completed stage', options.completedStageId, stageList);
  checkScoreFieldIgnored(report, 'Lever', options);
  if (settings.addLinks) {
    report.advise(
      'addLinks is on: Lever links belong to the contact, so the recording links show on every opportunity ' +
        'of the person.',
    );
  }
  return report.build();
};
