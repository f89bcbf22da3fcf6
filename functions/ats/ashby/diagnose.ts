/**
 * `npm run ops -- doctor` for Ashby: checks the API key against the reads the adapter makes, reads the
 * key's own scopes with `apiKey.info` (so note creation is checked without writing a note) and lists the
 * stage, tag and custom-field ids to configure.
 *
 * Ashby answers a missing key with 401, a wrong or deactivated key with 403, and a call the key has no
 * permission for with 403 `missing_endpoint_permission` (developers.ashbyhq.com/docs/authentication).
 */
import * as v from 'valibot';
import { HttpPermanentError } from '../../platform/http.js';
import { checkNotesReadable } from '../diagnose-support.js';
import {
  type DoctorCheckStatus,
  type DoctorList,
  type DoctorOptions,
  type DoctorReport,
  describeAtsFailure,
  doctorReportBuilder,
} from '../doctor-report.js';
import type { AtsAdapterDeps } from '../types.js';
import { ashbyFieldValue, resolveAshby } from './adapter.js';
import {
  buildApiKeyInfo,
  buildCandidateList,
  buildCandidateTagList,
  buildCustomFieldList,
  buildInterviewPlanList,
  buildInterviewStageList,
  buildListNotes,
} from './api.js';
import { createAshbyClient } from './client.js';

/** The scope `candidate.createNote` needs (`candidatesWrite`; `apiKey.info` spells scopes `candidates:write`). */
const noteCreateScope = 'candidates:write';

const missingPermission = (error: unknown): boolean => {
  for (let current: unknown = error, depth = 0; current && depth < 4; depth += 1) {
    if (current instanceof HttpPermanentError) return /missing_endpoint_permission/.test(current.body);
    current = (current as { cause?: unknown }).cause;
  }
  return false;
};

const idTitle = v.looseObject({
  id: v.string(),
  title: v.optional(v.nullable(v.string())),
  objectType: v.optional(v.nullable(v.string())),
  fieldType: v.optional(v.nullable(v.string())),
  isArchived: v.optional(v.nullable(v.boolean())),
  /** A stage's type (`Active`, `Archived`, …). */
  type: v.optional(v.nullable(v.string())),
});
type IdTitle = v.InferOutput<typeof idTitle>;

/** Diagnoses the Ashby configuration; never writes. */
export const diagnoseAshby = async (
  config: unknown,
  credentials: Readonly<Record<string, string>> | undefined,
  deps: AtsAdapterDeps = {},
  options: DoctorOptions = {},
): Promise<DoctorReport> => {
  const report = doctorReportBuilder('ashby');
  const { settings, apiKey } = resolveAshby(config, credentials);
  const { baseUrl } = settings;
  const client = createAshbyClient(settings, deps);

  let scopes: string[] | undefined;
  try {
    const info = client.results(
      await client.call(buildApiKeyInfo(baseUrl, apiKey)),
      v.looseObject({ title: v.optional(v.string()), scopes: v.optional(v.array(v.string())) }),
      'apiKey.info',
    );
    scopes = info.scopes;
    report.check('authenticate', 'ok', `the API key "${info.title ?? '(untitled)'}" is accepted`);
  } catch (error) {
    if (!missingPermission(error)) {
      report.check('authenticate', 'fail', describeAtsFailure(error).detail);
      report.advise(
        'Create a key in Ashby (Admin → Integrations → API Keys) with Candidates read/write, Interviews read ' +
          'and Hiring Process Metadata read, and put it in the integration secret as `ats.apiKey`.',
      );
      return report.build();
    }
    report.check(
      'authenticate',
      'ok',
      'the API key is accepted (it may not read its own scopes: apiKeysRead)',
    );
  }

  let sampleCandidateId: string | undefined;
  try {
    const [first] = client.results(
      await client.call(buildCandidateList(baseUrl, apiKey, 1)),
      v.array(v.looseObject({ id: v.string() })),
      'candidate.list',
    );
    sampleCandidateId = first?.id;
    report.check(
      'list candidates',
      first ? 'ok' : 'warn',
      first ? 'the key lists candidates' : 'no candidate visible (an empty account?)',
    );
  } catch (error) {
    report.check('list candidates', 'fail', describeAtsFailure(error).detail);
  }
  await checkNotesReadable(report, 'candidate', sampleCandidateId, (id) =>
    client.call(buildListNotes(baseUrl, apiKey, id)),
  );

  if (scopes === undefined) {
    report.check(
      'create a note',
      'skipped',
      'not checked: the key cannot read its own scopes (grant apiKeysRead to check candidatesWrite); the ' +
        'doctor never writes a real note',
    );
  } else if (scopes.includes(noteCreateScope)) {
    report.check('create a note', 'ok', `the key carries ${noteCreateScope} (candidate.createNote)`);
  } else {
    report.check(
      'create a note',
      'fail',
      `the key lacks ${noteCreateScope}: candidate.createNote would be refused`,
    );
  }

  /** A list, with a failure reported as `fail` only when the configuration needs it. */
  const listed = async (
    name: string,
    needed: boolean,
    load: () => Promise<DoctorList>,
    fallback: Omit<DoctorList, 'items' | 'note'>,
  ): Promise<DoctorList> => {
    try {
      const list = await load();
      report.check(name, 'ok', `${list.items.length} found`);
      return list;
    } catch (error) {
      const failure = describeAtsFailure(error);
      const status: DoctorCheckStatus = needed ? 'fail' : 'warn';
      report.check(name, status, failure.detail);
      return { ...fallback, items: [], note: `not listed: ${failure.detail}` };
    }
  };
  const itemOf = (row: IdTitle, context?: string) => ({
    id: row.id,
    name: row.title ?? '(untitled)',
    ...(context ? { context } : {}),
  });

  const stagesBase = {
    kind: 'stages',
    title: 'Interview stages',
    usedFor: 'ATS_COMPLETED_STAGE_ID',
  } as const;
  const archivedStageIds = new Set<string>();
  const stages = await listed(
    'list stages',
    options.completedStageId !== undefined,
    async () => {
      const plans = await client.listAll(
        (cursor) => buildInterviewPlanList(baseUrl, apiKey, cursor),
        idTitle,
      );
      const items = [];
      for (const plan of plans.filter((p) => !p.isArchived)) {
        const planStages = client.results(
          await client.call(buildInterviewStageList(baseUrl, apiKey, plan.id)),
          v.array(idTitle),
          'interviewStage.list',
        );
        for (const stage of planStages) if (stage.type === 'Archived') archivedStageIds.add(stage.id);
        items.push(...planStages.map((stage) => itemOf(stage, `plan "${plan.title ?? plan.id}"`)));
      }
      return { ...stagesBase, items };
    },
    stagesBase,
  );
  report.list(stages);

  const tagsBase = { kind: 'tags', title: 'Candidate tags', usedFor: 'ATS_CONFIG.statusTagIds' } as const;
  const tagsNeeded = Boolean(settings.statusTagIds.in_progress || settings.statusTagIds.completed);
  const tags = await listed(
    'list tags',
    tagsNeeded,
    async () => ({
      ...tagsBase,
      items: (await client.listAll((cursor) => buildCandidateTagList(baseUrl, apiKey, cursor), idTitle))
        .filter((tag) => !tag.isArchived)
        .map((tag) => itemOf(tag)),
    }),
    tagsBase,
  );
  report.list(tags);

  const fieldsBase = {
    kind: 'customFields',
    title: 'Custom fields',
    usedFor: 'ATS_CONFIG.statusField.fieldId, ATS_SCORE_FIELD_ID',
  } as const;
  const fieldsNeeded = settings.statusField !== undefined || options.scoreFieldId !== undefined;
  const fields = await listed(
    'list custom fields',
    fieldsNeeded,
    async () => ({
      ...fieldsBase,
      items: (await client.listAll((cursor) => buildCustomFieldList(baseUrl, apiKey, cursor), idTitle))
        .filter((field) => !field.isArchived)
        .map((field) => itemOf(field, [field.objectType, field.fieldType].filter(Boolean).join(', '))),
    }),
    fieldsBase,
  );
  report.list(fields);

  report.checkConfiguredId('statusTagIds.in_progress', settings.statusTagIds.in_progress, tags);
  report.checkConfiguredId('statusTagIds.completed', settings.statusTagIds.completed, tags);
  report.checkConfiguredId('statusField.fieldId', settings.statusField?.fieldId, fields);
  report.checkConfiguredId('completed stage', options.completedStageId, stages);
  if (options.completedStageId !== undefined && archivedStageIds.has(options.completedStageId)) {
    // application.changeStage requires an archive reason for an Archived stage: every move would fail.
    report.check(
      'completed stage type',
      'fail',
      'ATS_COMPLETED_STAGE_ID is an Archived stage: Ashby moves an application there only with an archive ' +
        'reason, which a screening result does not give. Choose the stage that follows the AI screen.',
    );
  }
  report.checkConfiguredId('score field', options.scoreFieldId, fields);
  const statusField = fields.items.find((f) => f.id === settings.statusField?.fieldId);
  if (
    settings.statusField &&
    statusField?.context &&
    !statusField.context.startsWith(settings.statusField.objectType)
  ) {
    report.check(
      'statusField.objectType',
      'fail',
      `${settings.statusField.fieldId} belongs to ${statusField.context.split(',')[0]}, not ${settings.statusField.objectType}`,
    );
  }
  // The status values are converted to the field's type as the adapter writes them: one the type cannot
  // take (text for a Number field, anything but true/false for a Boolean one) is refused on every event.
  const statusFieldType = statusField?.context?.split(', ')[1];
  if (settings.statusField && statusFieldType !== undefined) {
    const { fieldId, values } = settings.statusField;
    const refused = Object.entries(values).flatMap(([status, value]) => {
      try {
        ashbyFieldValue(fieldId, statusFieldType, value);
        return [];
      } catch {
        return [status];
      }
    });
    if (refused.length > 0) {
      report.check(
        'statusField.values',
        'fail',
        `${fieldId} is a ${statusFieldType} field: the value of ${refused.join(' and ')} cannot be written to it`,
      );
    }
  }
  // The score is written with `fieldObjectType` (Application by default): a field of another object type
  // would be refused on every completed interview.
  const scoreField = fields.items.find((f) => f.id === options.scoreFieldId);
  if (scoreField?.context && !scoreField.context.startsWith(settings.fieldObjectType)) {
    report.check(
      'score field objectType',
      'fail',
      `${options.scoreFieldId} belongs to ${scoreField.context.split(',')[0]}, not ${settings.fieldObjectType} ` +
        '(the object the score is written to: ATS_CONFIG.fieldObjectType)',
    );
  }
  // The score is a number (0-100): a select, boolean or date field refuses it on every completed interview.
  const scoreFieldType = scoreField?.context?.split(', ')[1];
  if (scoreFieldType !== undefined && !['Number', 'String', 'LongText'].includes(scoreFieldType)) {
    report.check(
      'score field type',
      'fail',
      `${options.scoreFieldId} is a ${scoreFieldType} field: the score (a number) is written to a Number field ` +
        '(or a String or LongText one)',
    );
  }
  return report.build();
};
