/**
 * Ashby adapter.
 *
 * - Every call is a POST RPC; a 200 with `success: false` is an error, classified by its code: `*_not_found`
 *   → {@link AtsNotFoundError}, rate-limit/unavailable codes → `AtsTransientError`, others permanent.
 * - Find: `application.info` when the application id is known, else `candidate.search { email }`.
 * - Note: `candidate.createNote` in Ashby's HTML subset; reconciliation reads `candidate.listNotes`.
 * - Status: a custom field when `statusField` is configured (Ashby custom fields are visible on the
 *   profile and reportable), else candidate tags (`statusTagIds`), else nothing. A field on the Application
 *   with no single application matched (the note goes to the candidate alone) falls back on the tags too.
 * - Stage: `application.info`'s `currentInterviewStage.id` is read first (a repeat is `already-there`, a
 *   recruiter's move is `moved-on`), then `application.changeStage { applicationId, interviewStageId }`.
 * - Rate: Ashby's per-key limits are not published as numbers, so a conservative `bottleneck`
 *   (5 requests/s, 2 in parallel) by default; 429 + `Retry-After` is honoured.
 */
import * as v from 'valibot';
import { type ApplicationSeen, carryingEmail, matchAmong } from '../application-choice.js';
import { AtsNotFoundError, AtsPermanentError } from '../errors.js';
import { renderNoteHtml, valueHasMarker } from '../note-render.js';
import { parseSettings, requireCredentials } from '../settings.js';
import { httpSettingsSchema, idSchema, statusMapSchema, urlSchema } from '../transport.js';
import {
  type AtsAdapter,
  type AtsAdapterDeps,
  type AtsMatch,
  candidateTagRemovedBy,
  type ScreeningStatus,
  type StageMoveOutcome,
} from '../types.js';
import {
  type AshbyCustomFieldObjectType,
  type AshbyFieldValue,
  ashbyCustomFieldObjectTypes,
  buildApplicationInfo,
  buildCandidateSearch,
  buildChangeStage,
  buildCreateNote,
  buildCustomFieldInfo,
  buildInterviewStageInfo,
  buildListNotes,
  buildSetCustomField,
  buildTagChange,
  defaultAshbyBaseUrl,
} from './api.js';
import { type AshbyClient, createAshbyClient } from './client.js';

export { ashbyFailure } from './client.js';

const adapter = 'ashby';

/** `ATS_CONFIG` of the Ashby adapter (no secrets). */
export const ashbyConfigSchema = v.object({
  /** API base URL. @default 'https://api.ashbyhq.com' */
  baseUrl: v.optional(urlSchema, defaultAshbyBaseUrl),
  /** Candidate tag ids marking each status. @default none */
  statusTagIds: v.optional(statusMapSchema(idSchema), {}),
  /** A custom field holding the status; takes precedence over tags. @default none */
  statusField: v.optional(
    v.object({
      fieldId: idSchema,
      /** @default 'Application' */
      objectType: v.optional(v.picklist(ashbyCustomFieldObjectTypes), 'Application'),
      /** Value written per status (a select option's value, or text). */
      values: v.object({ in_progress: v.string(), completed: v.string() }),
    }),
  ),
  /** Object `setField` writes to. @default 'Application' */
  fieldObjectType: v.optional(v.picklist(ashbyCustomFieldObjectTypes), 'Application'),
  /** Pages followed before giving up. @default 20 */
  maxPages: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 20),
  rateLimit: v.optional(
    v.object({
      /** Minimum milliseconds between request starts. @default 200 */
      minTimeMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 200),
      /** Parallel requests. @default 2 */
      maxConcurrent: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 2),
    }),
    {},
  ),
  http: httpSettingsSchema,
});
export type AshbyConfig = v.InferInput<typeof ashbyConfigSchema>;
export type AshbySettings = v.InferOutput<typeof ashbyConfigSchema>;

const emailAddressSchema = v.optional(
  v.nullable(v.looseObject({ value: v.optional(v.nullable(v.string())) })),
);
const candidateSchema = v.looseObject({
  id: v.string(),
  applicationIds: v.optional(v.array(v.string())),
  primaryEmailAddress: emailAddressSchema,
  emailAddresses: v.optional(v.nullable(v.array(emailAddressSchema))),
});
type Candidate = v.InferOutput<typeof candidateSchema>;
/** `application.info` results: the candidate and the current interview stage (`currentInterviewStage.id`). */
const applicationSchema = v.looseObject({
  id: v.string(),
  /** `Active`, `Hired`, `Archived` or `Lead`. */
  status: v.optional(v.nullable(v.string())),
  candidate: v.looseObject({ id: v.string() }),
  job: v.optional(v.nullable(v.looseObject({ id: v.string() }))),
  currentInterviewStage: v.optional(v.nullable(v.looseObject({ id: v.string() }))),
});

type Application = v.InferOutput<typeof applicationSchema>;

/** Parses the Ashby `ATS_CONFIG` and credentials once (the adapter and the doctor share it). */
export const resolveAshby = (config: unknown, credentials: Readonly<Record<string, string>> | undefined) => ({
  settings: parseSettings(adapter, ashbyConfigSchema, config),
  apiKey: requireCredentials(adapter, credentials, ['apiKey']).apiKey,
});

/** Creates the Ashby adapter from `ATS_CONFIG` (see {@link ashbyConfigSchema}) and the credentials `{ apiKey }`. */
export const createAshbyAdapter = (
  config: unknown,
  credentials: Readonly<Record<string, string>> | undefined,
  deps: AtsAdapterDeps = {},
): AtsAdapter => {
  const { settings, apiKey } = resolveAshby(config, credentials);
  return ashbyAdapterFor(settings, apiKey, createAshbyClient(settings, deps));
};

/** `interviewStage.info` results: the interview plan (one per job, usually) the stage belongs to. */
const interviewStageSchema = v.looseObject({ id: v.string(), interviewPlanId: v.string() });

/** `customField.info` results: the field's type decides the JSON type of the value written to it. */
const customFieldSchema = v.looseObject({ id: v.string(), fieldType: v.string() });

/**
 * `value` (a score, a status field's configured value) as `customField.setValue` takes it for a field of
 * `fieldType`: sent as a string to a Number field, it is refused (or stored as something else) on every
 * completed interview.
 * @throws {AtsPermanentError} `field_type` when the value cannot be one of the field's type
 */
export const ashbyFieldValue = (fieldId: string, fieldType: string, value: string): AshbyFieldValue => {
  const refused = (what: string) =>
    new AtsPermanentError(
      `${adapter}: custom field ${fieldId} is a ${fieldType} field; "${value}" is not ${what}`,
      {
        adapter,
        reason: 'field_type',
      },
    );
  switch (fieldType) {
    case 'Number': {
      const number = Number(value);
      if (value.trim() === '' || !Number.isFinite(number)) throw refused('a number');
      return number;
    }
    case 'Boolean':
      if (value !== 'true' && value !== 'false') throw refused('true or false');
      return value === 'true';
    case 'MultiValueSelect':
      return [value];
    default:
      return value;
  }
};

/**
 * `load` memoized per key for the life of the container; a failed load is not kept, so the next call asks
 * again (a throttled read must not stick).
 */
const oncePerKey = <T>(load: (key: string) => Promise<T>) => {
  const loaded = new Map<string, Promise<T>>();
  return (key: string): Promise<T> => {
    let value = loaded.get(key);
    if (value === undefined) {
      value = load(key);
      loaded.set(key, value);
      value.catch(() => loaded.delete(key));
    }
    return value;
  };
};

/** `undefined` for a read the key may not make (403): what it would tell stays unknown. Anything else is thrown. */
const unlessForbidden = (error: unknown): undefined => {
  if (error instanceof AtsPermanentError && error.status === 403) return undefined;
  throw error;
};

/** Applications read to choose among a candidate's (each one `application.info`): beyond, it stays ambiguous. */
const maxApplicationsRead = 10;
const choice = { singleOfAnyJob: true } as const;

const ashbyAdapterFor = (settings: AshbySettings, apiKey: string, client: AshbyClient): AtsAdapter => {
  const { baseUrl } = settings;
  const { call, results } = client;

  const applicationInfo = async (applicationId: string): Promise<Application> =>
    results(
      await call(buildApplicationInfo(baseUrl, apiKey, applicationId)),
      applicationSchema,
      'application.info',
    );

  // A field's type and a stage's interview plan, each read once per container (neither changes under its id).
  const fieldTypeOf = oncePerKey((fieldId) =>
    call(buildCustomFieldInfo(baseUrl, apiKey, fieldId)).then(
      (envelope) => results(envelope, customFieldSchema, 'customField.info').fieldType,
      (error: unknown) => {
        // A field that does not exist is a setting to correct, not a record gone from the ATS.
        if (!(error instanceof AtsNotFoundError)) throw error;
        throw new AtsPermanentError(`${adapter}: custom field ${fieldId} does not exist`, {
          adapter,
          reason: 'custom_field_not_found',
        });
      },
    ),
  );
  const planOf = oncePerKey((stageId) =>
    call(buildInterviewStageInfo(baseUrl, apiKey, stageId)).then(
      (envelope) => results(envelope, interviewStageSchema, 'interviewStage.info').interviewPlanId,
    ),
  );
  const setCustomField = async (
    match: AtsMatch,
    objectType: AshbyCustomFieldObjectType,
    fieldId: string,
    value: string,
  ): Promise<void> => {
    // Without Hiring Process Metadata read the type is unknown: the value goes as text (what a String field
    // takes) and Ashby's answer to the write decides.
    const fieldType = (await fieldTypeOf(fieldId).catch(unlessForbidden)) ?? 'String';
    const fieldValue = ashbyFieldValue(fieldId, fieldType, value);
    await call(
      buildSetCustomField(baseUrl, apiKey, {
        objectId: objectIdFor(match, objectType),
        objectType,
        fieldId,
        value: fieldValue,
      }),
    );
  };

  const findByApplicationId = async (applicationId: string): Promise<AtsMatch | undefined> => {
    try {
      const application = await applicationInfo(applicationId);
      return { candidateId: application.candidate.id, applicationId: application.id };
    } catch (error) {
      if (error instanceof AtsNotFoundError) return undefined;
      // Not an Ashby id at all (ids are UUIDs; micro1's ats_job_application_id may be another ATS's): Ashby
      // answers invalid_input, "a parameter is the wrong type". The e-mail still finds the candidate.
      if (error instanceof AtsPermanentError && error.reason.split(',').includes('invalid_input'))
        return undefined;
      throw error;
    }
  };

  /**
   * The match among the candidates the e-mail found (duplicate profiles share an address) and their
   * applications (Ashby keeps a returning candidate's old and archived ones): see application-choice.ts. A
   * single application is kept whatever job it is for (as before job ids were read: what micro1 sends as
   * `ats_job_id` for an Ashby account is not confirmed to be an Ashby job id), and then costs no read.
   */
  const matchAmongCandidates = async (
    candidates: readonly Candidate[],
    atsJobId: string | undefined,
  ): Promise<AtsMatch | undefined> => {
    const candidateIds = candidates.map((c) => c.id);
    const applicationIds = [...new Set(candidates.flatMap((c) => c.applicationIds ?? []))];
    const [candidateId] = candidateIds;
    const [single] = applicationIds;
    if (candidateIds.length === 1 && candidateId !== undefined && applicationIds.length === 1 && single) {
      return { candidateId, applicationId: single };
    }
    if (applicationIds.length > maxApplicationsRead) return matchAmong(candidateIds, [], atsJobId, choice);
    const applications: ApplicationSeen[] = [];
    for (const id of applicationIds) {
      const application = await applicationInfo(id).catch((error: unknown) => {
        if (error instanceof AtsNotFoundError) return undefined;
        throw error;
      });
      if (application) {
        applications.push({
          id: application.id,
          candidateId: application.candidate.id,
          jobId: application.job?.id,
          active: application.status == null || application.status === 'Active',
        });
      }
    }
    return matchAmong(candidateIds, applications, atsJobId, choice);
  };

  const findByEmail = async (email: string, atsJobId: string | undefined): Promise<AtsMatch | undefined> => {
    const address = email.trim();
    const envelope = await call(buildCandidateSearch(baseUrl, apiKey, address));
    const found = results(envelope, v.array(candidateSchema), 'candidate.search');
    const matching = carryingEmail(found, address, (c) => {
      const addresses = [c.primaryEmailAddress, ...(c.emailAddresses ?? [])].flatMap((e) =>
        e?.value ? [e.value] : [],
      );
      return addresses.length > 0 ? addresses : undefined;
    });
    if (matching.length === 0) return undefined;
    return matchAmongCandidates(matching, atsJobId);
  };

  const objectIdFor = (match: AtsMatch, objectType: 'Application' | 'Candidate'): string => {
    if (objectType === 'Candidate') return match.candidateId;
    if (!match.applicationId) {
      throw new AtsPermanentError(`${adapter}: no single application for this candidate`, {
        adapter,
        reason: 'ambiguous_application',
      });
    }
    return match.applicationId;
  };

  const setStatusTags = async (match: AtsMatch, status: ScreeningStatus) => {
    const tagId = settings.statusTagIds[status];
    const otherTagId = candidateTagRemovedBy(status, settings.statusTagIds);
    if (tagId) await call(buildTagChange(baseUrl, apiKey, 'candidate.addTag', match.candidateId, tagId));
    if (otherTagId) {
      // `removeTag` already succeeds when the candidate does not carry the tag (changelog, see api.ts), so a
      // "not found" here means a wrong tag id in `statusTagIds` (the candidate was just tagged above, or
      // found): a configuration error, not a record that vanished.
      await call(buildTagChange(baseUrl, apiKey, 'candidate.removeTag', match.candidateId, otherTagId)).catch(
        (error: unknown) => {
          throw error instanceof AtsNotFoundError
            ? new AtsPermanentError(
                `${adapter}: candidate.removeTag: not found (check ATS_CONFIG.statusTagIds)`,
                { adapter, reason: 'invalid_tag_id' },
                { cause: error },
              )
            : error;
        },
      );
    }
  };

  return {
    name: adapter,

    async findApplication(lookup) {
      if (lookup.atsApplicationId) {
        const match = await findByApplicationId(lookup.atsApplicationId);
        if (match) return match;
      }
      return lookup.email ? findByEmail(lookup.email, lookup.atsJobId) : undefined;
    },

    async addNote(match, note) {
      await call(buildCreateNote(baseUrl, apiKey, match.candidateId, renderNoteHtml(note)));
    },

    async hasNote(match, marker) {
      let cursor: string | undefined;
      for (let page = 1; page <= settings.maxPages; page += 1) {
        const envelope = await call(buildListNotes(baseUrl, apiKey, match.candidateId, cursor));
        const notes = results(envelope, v.array(v.unknown()), 'candidate.listNotes');
        if (notes.some((note) => valueHasMarker(note, marker))) return true;
        if (!envelope.moreDataAvailable || !envelope.nextCursor) return false;
        cursor = envelope.nextCursor;
      }
      throw new AtsPermanentError(`${adapter}: more than ${settings.maxPages} pages`, {
        adapter,
        reason: 'too_many_pages',
      });
    },

    async setStatus(match, status) {
      const field = settings.statusField;
      // No application to hold an Application field: refused, the status write (the plan's first) would
      // dead-letter the event before its note, which goes to the candidate alone. The candidate's tags
      // carry the status instead, when configured.
      if (field && (field.objectType === 'Candidate' || match.applicationId)) {
        await setCustomField(match, field.objectType, field.fieldId, field.values[status]);
        return;
      }
      await setStatusTags(match, status);
    },

    async currentStage(match) {
      if (!match.applicationId) return undefined;
      return (await applicationInfo(match.applicationId)).currentInterviewStage?.id;
    },

    async moveStage(match, move): Promise<StageMoveOutcome> {
      const applicationId = objectIdFor(match, 'Application');
      const current = (await applicationInfo(applicationId)).currentInterviewStage?.id;
      if (current === move.toStageId) return 'already-there';
      if (move.fromStageId !== undefined && current !== move.fromStageId) return 'moved-on';
      // A stage belongs to one interview plan, and applications to other jobs follow other plans: Ashby moves
      // an application only to a stage of its own (application.create's reference). The one completed stage
      // configured is for the jobs on its plan; the others are left where they are.
      // A key without Interviews read (which the move itself does not need): the plans are unknown, and the
      // move says what Ashby says.
      if (current !== undefined) {
        const target = await planOf(move.toStageId).catch((error: unknown) => {
          if (!(error instanceof AtsNotFoundError)) return unlessForbidden(error);
          throw new AtsPermanentError(`${adapter}: ATS_COMPLETED_STAGE_ID is not an interview stage`, {
            adapter,
            reason: 'interview_stage_not_found',
          });
        });
        const own = target === undefined ? undefined : await planOf(current).catch(unlessForbidden);
        if (own !== undefined && own !== target) return 'other-plan';
      }
      await call(buildChangeStage(baseUrl, apiKey, applicationId, move.toStageId));
      return 'moved';
    },

    async setField(match, fieldId, value) {
      await setCustomField(match, settings.fieldObjectType, fieldId, value);
    },
  };
};
