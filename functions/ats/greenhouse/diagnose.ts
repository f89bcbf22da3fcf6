/**
 * `npm run ops -- doctor` for Greenhouse: authenticates, checks what the `sub` user can see and lists the
 * ids to configure. Reads only: Harvest has no dry-run for `POST /v3/notes`, so note creation is checked
 * from the token's scopes when the token answer lists them, and otherwise reported as not checked.
 *
 * Why the emptiness checks matter: Harvest answers a user without enough permissions with EMPTY lists, not
 * errors (harvestdocs.greenhouse.io/docs/authentication: `sub` must be "a user with the permissions your
 * integration needs"). An empty `GET /v3/notes` makes `hasNote` miss an earlier note, and a retry then posts
 * a second one. Every account with a job has interview stages, so an empty stage list is the tell.
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
import { resolveGreenhouse } from './adapter.js';
import {
  buildListApplicationsByCandidates,
  buildListAppliedTags,
  buildListCandidates,
  buildListCandidateTags,
  buildListCurrentApplicationStage,
  buildListCustomFields,
  buildListJobInterviewStages,
  buildListNotes,
} from './api.js';
import { createGreenhouseClient } from './client.js';

/** The scope `POST /v3/notes` needs (WRITE migration guide: `harvest:notes:create`). */
const noteCreateScope = 'harvest:notes:create';

const anyId = v.pipe(v.union([v.string(), v.number()]), v.transform(String));
const named = v.looseObject({
  id: anyId,
  name: v.optional(v.nullable(v.string())),
  job_id: v.optional(v.nullable(anyId)),
  field_type: v.optional(v.nullable(v.string())),
  value_type: v.optional(v.nullable(v.string())),
});
type Named = v.InferOutput<typeof named>;

export const greenhouseLimitedUserAdvice =
  'Greenhouse answers a user without enough permissions with EMPTY lists, so the note-marker search finds no ' +
  'earlier note and a retry posts a second note. Set ATS_CONFIG.userId (the token `sub`) to a Site Admin, or ' +
  'to a dedicated integration user with read/write on candidates, applications and notes.';

/**
 * Notes are posted `private` (or `admin_only`) by default, and a retry looks for its note among those the
 * `sub` user can read: a user who sees candidates but not such notes gets a list without them, and posts a
 * second note. The doctor cannot tell without writing one (it never does).
 */
const privateNotesAdvice = (settings: { userId: string; noteVisibility: string }): string =>
  `Notes are posted with visibility "${settings.noteVisibility}", and a retried note is looked for among the ` +
  `notes user ${settings.userId} can read: if that user cannot see ${settings.noteVisibility} notes, a retry ` +
  'posts a second note. Use a Site Admin, or set ATS_CONFIG.noteVisibility to "public".';

/** Diagnoses the Greenhouse configuration; never writes. */
export const diagnoseGreenhouse = async (
  config: unknown,
  credentials: Readonly<Record<string, string>> | undefined,
  deps: AtsAdapterDeps = {},
  options: DoctorOptions = {},
): Promise<DoctorReport> => {
  const report = doctorReportBuilder('greenhouse');
  const { settings, secret } = resolveGreenhouse(config, credentials);
  const { baseUrl, perPage } = settings;
  const client = createGreenhouseClient(settings, secret, deps);

  let scopes: string[] | undefined;
  try {
    const answer = await client.authenticate();
    scopes = answer.scope?.split(/\s+/).filter(Boolean);
    report.check('authenticate', 'ok', `token issued for user ${settings.userId} (the notes' author)`);
  } catch (error) {
    report.check('authenticate', 'fail', describeAtsFailure(error).detail);
    report.advise('Check the integration secret `ats.clientId`/`ats.clientSecret` and ATS_CONFIG.userId.');
    return report.build();
  }

  let sampleCandidateId: string | undefined;
  let limitedUser = false;
  try {
    const [first] = await client.firstPage(buildListCandidates(baseUrl, 1), named);
    sampleCandidateId = first?.id;
    if (first) report.check('list candidates', 'ok', 'the user sees candidates');
    else {
      limitedUser = true;
      report.check(
        'list candidates',
        'warn',
        `no candidate visible: the account has none, or user ${settings.userId} lacks permission to see them`,
      );
    }
  } catch (error) {
    report.check('list candidates', 'fail', describeAtsFailure(error).detail);
  }

  await checkNotesReadable(report, 'candidate', sampleCandidateId, (id) =>
    client.firstPage(buildListNotes(baseUrl, id, 1), named),
  );

  // The reads the worker makes on every event (a lookup by e-mail reads the candidate's applications), and
  // those the configuration adds (a status write reads the applied tags first, a stage move the current
  // stage row): made once here, so a refused read (a scope not granted) is a failure now, not on every event.
  const sampleRead = async <T>(
    name: string,
    what: string,
    read: () => Promise<T>,
  ): Promise<T | undefined> => {
    try {
      const rows = await read();
      report.check(name, 'ok', what);
      return rows;
    } catch (error) {
      report.check(name, 'fail', describeAtsFailure(error).detail);
      return undefined;
    }
  };
  const candidateId = sampleCandidateId;
  const tagsConfigured =
    settings.statusTagIds.in_progress !== undefined || settings.statusTagIds.completed !== undefined;
  let sampleApplicationId: string | undefined;
  if (candidateId === undefined) {
    report.check('list applications', 'skipped', 'no visible candidate to read the applications of');
    if (tagsConfigured)
      report.check('read applied tags', 'skipped', 'no visible candidate to read the tags of');
  } else {
    const applications = await sampleRead(
      'list applications',
      "a candidate's applications are readable (every lookup by e-mail reads them)",
      () => client.firstPage(buildListApplicationsByCandidates(baseUrl, [candidateId], 1), named),
    );
    sampleApplicationId = applications?.[0]?.id;
    if (tagsConfigured) {
      await sampleRead(
        'read applied tags',
        "a candidate's tags are readable (each status write reads them first)",
        () => client.firstPage(buildListAppliedTags(baseUrl, candidateId, 1), named),
      );
    }
  }
  if (options.completedStageId !== undefined) {
    const applicationId = sampleApplicationId;
    if (applicationId === undefined) {
      report.check('read current stage', 'skipped', 'no visible application to read the stage of');
    } else {
      await sampleRead(
        'read current stage',
        "an application's current stage is readable (each stage move reads it first)",
        () => client.firstPage(buildListCurrentApplicationStage(baseUrl, applicationId, 1), named),
      );
    }
  }

  if (scopes === undefined) {
    report.check(
      'create a note',
      'skipped',
      'not checked: Harvest has no dry-run for POST /v3/notes and the token answer lists no scopes ' +
        `(grant ${noteCreateScope} to the credential); the doctor never writes a real note`,
    );
  } else if (scopes.includes(noteCreateScope)) {
    report.check('create a note', 'ok', `the token carries ${noteCreateScope}`);
  } else {
    report.check('create a note', 'fail', `the token lacks ${noteCreateScope}`);
    report.advise(`Grant ${noteCreateScope} to the Harvest v3 credential (Dev Center → API Credentials).`);
  }

  const listOf = async (
    title: string,
    kind: DoctorList['kind'],
    usedFor: string,
    first: Parameters<typeof client.collect>[0],
    context: (item: Named) => string | undefined,
  ): Promise<{ list: DoctorList; error?: unknown }> => {
    try {
      const rows = await client.collect(first, named);
      const items = rows.map((row) => ({
        id: row.id,
        name: row.name ?? '(unnamed)',
        ...(context(row) ? { context: context(row) } : {}),
      }));
      return { list: { kind, title, usedFor, items } };
    } catch (error) {
      return {
        list: { kind, title, usedFor, items: [], note: `not listed: ${describeAtsFailure(error).detail}` },
        error,
      };
    }
  };

  const stages = await listOf(
    'Interview stages',
    'stages',
    'ATS_COMPLETED_STAGE_ID',
    buildListJobInterviewStages(baseUrl, perPage),
    (row) => (row.job_id ? `job ${row.job_id}` : undefined),
  );
  report.list(stages.list);
  // A list refused is a failure only where the configuration needs its ids: the worker never lists them.
  const failIfNeeded = (needed: boolean) => (needed ? 'fail' : 'warn');
  if (stages.error) {
    report.check(
      'list stages',
      failIfNeeded(options.completedStageId !== undefined),
      describeAtsFailure(stages.error).detail,
    );
  } else if (stages.list.items.length === 0) {
    limitedUser = true;
    report.check(
      'list stages',
      'fail',
      `no interview stage visible: every job has stages, so user ${settings.userId} lacks permissions`,
    );
  } else report.check('list stages', 'ok', `${stages.list.items.length} interview stage(s)`);

  const tags = await listOf(
    'Candidate tags',
    'tags',
    'ATS_CONFIG.statusTagIds',
    buildListCandidateTags(baseUrl, perPage),
    () => undefined,
  );
  report.list(tags.list);
  if (tags.error)
    report.check('list tags', failIfNeeded(tagsConfigured), describeAtsFailure(tags.error).detail);
  else if (tags.list.items.length === 0)
    report.check(
      'list tags',
      'warn',
      'no candidate tag visible (none created yet, or the user cannot see them)',
    );
  else report.check('list tags', 'ok', `${tags.list.items.length} candidate tag(s)`);

  const fields = await listOf(
    'Custom fields',
    'customFields',
    'reference only: the Greenhouse adapter writes no custom field',
    buildListCustomFields(baseUrl, perPage),
    (row) => [row.field_type, row.value_type].filter(Boolean).join(', ') || undefined,
  );
  report.list(fields.list);

  report.checkConfiguredId('statusTagIds.in_progress', settings.statusTagIds.in_progress, tags.list);
  report.checkConfiguredId('statusTagIds.completed', settings.statusTagIds.completed, tags.list);
  report.checkConfiguredId('completed stage', options.completedStageId, stages.list);
  checkScoreFieldIgnored(report, 'Greenhouse', options);
  if (options.completedStageId !== undefined) {
    report.advise(
      'A stage move fires the stage rules configured in Greenhouse, e.g. automated e-mails to the candidate: ' +
        'check the rules of the completed stage before enabling it.',
    );
  }
  if (limitedUser) report.advise(greenhouseLimitedUserAdvice);
  else if (settings.noteVisibility !== 'public') report.advise(privateNotesAdvice(settings));
  return report.build();
};
