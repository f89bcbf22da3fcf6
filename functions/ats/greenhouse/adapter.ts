/**
 * Greenhouse Harvest v3 adapter.
 *
 * - Auth: OAuth client credentials (see `client.ts`); the token's `sub` (`userId`) decides what lists
 *   return: a user without enough permissions gets EMPTY lists, so `hasNote` would find no earlier note and
 *   a retry would post a second one. Use a Site Admin or a dedicated integration user (`npm run ops --
 *   doctor` checks it).
 * - Find: `atsApplicationId` → `GET /v3/applications?ids=` → `candidate_id`; else candidates by e-mail.
 * - Note: `POST /v3/notes`, plain text, marker last. Reconciliation: `GET /v3/notes?candidate_ids=`.
 * - Status: a candidate tag ("AI screening in progress"/"completed") whose ids are configured
 *   (`statusTagIds`): applied with `POST /v3/applied_candidate_tags`; a completion removes "in progress"
 *   (see `candidateTagRemovedBy`: the tags are the candidate's, not one interview's). Tags rather
 *   than a custom field because tags are visible in every candidate list and filterable, and need no
 *   per-field value mapping. No tag ids configured → `setStatus` does nothing.
 * - Stage: the current stage is read from `GET /v3/application_stages?application_ids=&current=true`;
 *   `POST /v3/applications/{id}/move` only from `fromStageId`, always with `from_stage_id`. A move fires the
 *   customer's stage rules (e-mails to the candidate, per the move reference page).
 * - Rate: a `bottleneck` reservoir per 30 s window, plus a pause of one window whenever
 *   `X-RateLimit-Remaining` reaches the configured reserve, so 429s are the exception (see client.ts).
 */
import * as v from 'valibot';
import { carryingEmail, matchAmong } from '../application-choice.js';
import { AtsNotFoundError, AtsPermanentError } from '../errors.js';
import { noteHasMarker, renderNoteText } from '../note-render.js';
import { parseSettings, requireCredentials } from '../settings.js';
import { httpSettingsSchema, idSchema, statusMapSchema, urlSchema } from '../transport.js';
import {
  type AtsAdapter,
  type AtsAdapterDeps,
  type AtsMatch,
  candidateTagRemovedBy,
  type StageMove,
  type StageMoveOutcome,
} from '../types.js';
import {
  buildApplyTag,
  buildCreateNote,
  buildListApplicationsByCandidates,
  buildListApplicationsByIds,
  buildListAppliedTags,
  buildListCandidatesByEmail,
  buildListCurrentApplicationStage,
  buildListJobInterviewStagesByIds,
  buildListNotes,
  buildMoveApplication,
  buildRemoveAppliedTag,
  defaultGreenhouseAuthUrl,
  defaultGreenhouseBaseUrl,
  type GreenhouseApplicationStageRow,
  greenhouseMoveFromStageId,
  greenhouseNoteVisibilities,
  greenhouseOtherFromStageId,
} from './api.js';
import { createGreenhouseClient, type GreenhouseClient } from './client.js';

const adapter = 'greenhouse';

/** `ATS_CONFIG` of the Greenhouse adapter (no secrets). */
export const greenhouseConfigSchema = v.object({
  /** Harvest v3 base URL. @default 'https://harvest.greenhouse.io/v3' */
  baseUrl: v.optional(urlSchema, defaultGreenhouseBaseUrl),
  /** OAuth token endpoint. @default 'https://auth.greenhouse.io/token' */
  authUrl: v.optional(urlSchema, defaultGreenhouseAuthUrl),
  /**
   * Greenhouse user id: the token's `sub` and the notes' author. Required. Its permissions decide what the
   * API shows: a Site Admin or a dedicated integration user with read/write on candidates, applications
   * and notes.
   */
  userId: idSchema,
  /** Who may read the notes. @default 'private' */
  noteVisibility: v.optional(v.picklist(greenhouseNoteVisibilities), 'private'),
  /** Candidate tag ids (`/v3/candidate_tags`) that mark each status. @default none: setStatus is a no-op */
  statusTagIds: v.optional(statusMapSchema(idSchema), {}),
  /** `per_page` of first list requests (max 500). @default 100 */
  perPage: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(500)), 100),
  /** Pages followed before giving up (a guard against a cursor loop). @default 20 */
  maxPages: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 20),
  rateLimit: v.optional(
    v.object({
      /**
       * Requests per window. UNCONFIRMED: Greenhouse does not publish the v3 number (it varies per
       * credential); the header-driven pause and 429 handling keep us inside whatever it is.
       * @default 50
       */
      requestsPerWindow: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 50),
      /** The fixed window (greenhouse.md: 30 s). @default 30000 */
      windowMs: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 30_000),
      /** Pause for a window when `X-RateLimit-Remaining` is at or below this. @default 0 */
      reserve: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0)), 0),
      /** Parallel requests. @default 2 */
      maxConcurrent: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 2),
    }),
    {},
  ),
  http: httpSettingsSchema,
});
export type GreenhouseConfig = v.InferInput<typeof greenhouseConfigSchema>;
export type GreenhouseSettings = v.InferOutput<typeof greenhouseConfigSchema>;

/**
 * More profiles than this sharing one e-mail is not a duplicate to tell apart but an address used by many
 * (a shared inbox): unmatched rather than a guess.
 */
const maxCandidatesPerEmail = 10;

const anyId = v.pipe(v.union([v.string(), v.number()]), v.transform(String));
/** `/v3/applications` rows carry `stage_id`/`stage_name` in v3, not `job_interview_stage_id`. */
const applicationSchema = v.looseObject({
  id: anyId,
  candidate_id: anyId,
  job_id: v.optional(v.nullable(anyId)),
  /** `active`, `rejected` or `hired`. */
  status: v.optional(v.nullable(v.string())),
});
const candidateSchema = v.looseObject({
  id: anyId,
  email_addresses: v.optional(
    v.nullable(v.array(v.looseObject({ value: v.optional(v.nullable(v.string())) }))),
  ),
});
const noteSchema = v.looseObject({ id: anyId, body: v.optional(v.nullable(v.string())) });
const appliedTagSchema = v.looseObject({ id: anyId, candidate_id: anyId, candidate_tag_id: anyId });
const applicationStageSchema = v.looseObject({ id: anyId, job_interview_stage_id: anyId });
/** `/v3/job_interview_stages` rows: a stage and the job it belongs to. */
const jobInterviewStageSchema = v.looseObject({ id: anyId, job_id: v.optional(v.nullable(anyId)) });

/** Parses the Greenhouse `ATS_CONFIG` and credentials once (the adapter and the doctor share it). */
export const resolveGreenhouse = (
  config: unknown,
  credentials: Readonly<Record<string, string>> | undefined,
) => ({
  settings: parseSettings(adapter, greenhouseConfigSchema, config),
  secret: requireCredentials(adapter, credentials, ['clientId', 'clientSecret']),
});

/**
 * Creates the Greenhouse adapter from `ATS_CONFIG` (see {@link greenhouseConfigSchema}) and the credentials
 * `{ clientId, clientSecret }`.
 */
/**
 * Whether a tag write's refusal may be the tags already being as wanted (another writer first, or this
 * one's own earlier attempt): a 4xx other than the credentials' (401, 403) and the rate limit's.
 */
const mayBeRace = (error: unknown): boolean =>
  error instanceof AtsPermanentError &&
  error.status !== undefined &&
  error.status >= 400 &&
  error.status < 500 &&
  error.status !== 401 &&
  error.status !== 403;

export const createGreenhouseAdapter = (
  config: unknown,
  credentials: Readonly<Record<string, string>> | undefined,
  deps: AtsAdapterDeps = {},
): AtsAdapter => {
  const { settings, secret } = resolveGreenhouse(config, credentials);
  return greenhouseAdapterFor(settings, createGreenhouseClient(settings, secret, deps));
};

const greenhouseAdapterFor = (settings: GreenhouseSettings, client: GreenhouseClient): AtsAdapter => {
  const { baseUrl, perPage } = settings;
  const { send, items, collect } = client;

  const findByApplicationId = async (applicationId: string): Promise<AtsMatch | undefined> => {
    // Greenhouse ids are integers. The id comes from the interview vendor's payload: another value would be
    // refused with a 422 (permanent) before the e-mail could find the record, so it names no application.
    const id = applicationId.trim();
    if (!/^\d+$/.test(id)) return undefined;
    const [application] = await collect(buildListApplicationsByIds(baseUrl, [id], 1), applicationSchema);
    return application && { candidateId: application.candidate_id, applicationId: application.id };
  };

  const findByEmail = async (email: string, jobId: string | undefined): Promise<AtsMatch | undefined> => {
    const address = email.trim();
    const candidates = await collect(buildListCandidatesByEmail(baseUrl, address, perPage), candidateSchema);
    const matching = carryingEmail(candidates, address, (c) =>
      c.email_addresses?.flatMap((e) => (e.value ? [e.value] : [])),
    );
    if (matching.length === 0 || matching.length > maxCandidatesPerEmail) return undefined;
    // Every matching profile's applications (duplicate profiles share an e-mail): the one the event is about
    // may be on any of them.
    const applications = await collect(
      buildListApplicationsByCandidates(
        baseUrl,
        matching.map((c) => c.id),
        perPage,
      ),
      applicationSchema,
    );
    return matchAmong(
      matching.map((c) => c.id),
      applications.map((a) => ({
        id: a.id,
        candidateId: a.candidate_id,
        jobId: a.job_id ?? undefined,
        active: a.status == null || a.status === 'active',
      })),
      jobId,
      { singleOfAnyJob: false },
    );
  };

  const requireApplication = (match: AtsMatch): string => {
    if (!match.applicationId) {
      throw new AtsPermanentError(`${adapter}: no single application for this candidate`, {
        adapter,
        reason: 'ambiguous_application',
      });
    }
    return match.applicationId;
  };

  /** The application's current `application_stages` row, if Greenhouse shows one. */
  const currentStageRow = async (
    applicationId: string,
  ): Promise<GreenhouseApplicationStageRow | undefined> => {
    const [row] = await client.firstPage(
      buildListCurrentApplicationStage(baseUrl, applicationId, perPage),
      applicationStageSchema,
    );
    return row;
  };

  // Each stage's job, read once per container (a stage belongs to one job for good).
  const stageJobs = new Map<string, string>();
  /**
   * Whether `targetStageId` is a stage of another job than `currentStageId`'s: the one completed stage
   * configured belongs to one job's pipeline, and Greenhouse refuses (422) to move an application of
   * another job there. Unknown (a stage not visible, a credential without the job interview stages' scope,
   * which the move itself does not need, or a read Greenhouse refuses as such: 404, or 422 should it not take
   * the `ids` filter there, which its references do not confirm): false, and the move says what Greenhouse
   * says. A 429 or 5xx is thrown: transient, the move retried with the event.
   */
  const inAnotherJob = async (currentStageId: string, targetStageId: string): Promise<boolean> => {
    const unread = [currentStageId, targetStageId].filter((id) => !stageJobs.has(id));
    if (unread.length > 0) {
      const rows = await client
        .firstPage(
          buildListJobInterviewStagesByIds(baseUrl, [...new Set(unread)], perPage),
          jobInterviewStageSchema,
        )
        .catch((error: unknown) => {
          if (error instanceof AtsPermanentError && [401, 403, 404, 422].includes(error.status ?? 0))
            return [];
          throw error;
        });
      for (const row of rows) if (row.job_id != null) stageJobs.set(row.id, row.job_id);
    }
    const [current, target] = [stageJobs.get(currentStageId), stageJobs.get(targetStageId)];
    return current !== undefined && target !== undefined && current !== target;
  };

  /** The outcome a stage read implies, or `undefined` when a move is due. */
  const settled = (current: string, move: StageMove): StageMoveOutcome | undefined => {
    if (current === move.toStageId) return 'already-there';
    if (move.fromStageId !== undefined && current !== move.fromStageId) return 'moved-on';
    return undefined;
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
      await send(
        buildCreateNote(baseUrl, {
          candidateId: match.candidateId,
          applicationId: match.applicationId,
          userId: settings.userId,
          body: renderNoteText(note),
          visibility: settings.noteVisibility,
        }),
      );
    },

    async hasNote(match, marker) {
      for await (const note of items(buildListNotes(baseUrl, match.candidateId, perPage), noteSchema)) {
        if (note.body && noteHasMarker(note.body, marker)) return true;
      }
      return false;
    },

    async setStatus(match, status) {
      const tagId = settings.statusTagIds[status];
      const otherTagId = candidateTagRemovedBy(status, settings.statusTagIds);
      if (!tagId && !otherTagId) return;
      const appliedTags = () =>
        collect(buildListAppliedTags(baseUrl, match.candidateId, perPage), appliedTagSchema);
      const applied = await appliedTags();
      // Tags belong to the candidate, not the interview: another interview of the same candidate (another
      // ledger item, nothing coordinates them) or our own earlier attempt whose answer was lost can apply or
      // remove the same tag between the read and the write. Greenhouse then refuses the write (422 "tag
      // already applied", 404 on the removed row) although the tags are as wanted: a permanent failure here
      // would dead-letter the event and skip its note, stage move and notification. Which status Greenhouse
      // answers then is unconfirmed (greenhouse.md documents the reads only): any refusal but the credentials'
      // is read back, and stands only when the tags are not as wanted.
      if (tagId && !applied.some((row) => row.candidate_tag_id === tagId)) {
        try {
          await send(buildApplyTag(baseUrl, match.candidateId, tagId));
        } catch (error) {
          if (!mayBeRace(error)) throw error;
          if (!(await appliedTags()).some((row) => row.candidate_tag_id === tagId)) throw error;
        }
      }
      for (const row of applied.filter((r) => otherTagId && r.candidate_tag_id === otherTagId)) {
        try {
          await send(buildRemoveAppliedTag(baseUrl, row.id));
        } catch (error) {
          // The row is gone: removed already, which is what this write wanted.
          if (!mayBeRace(error)) throw error;
          if ((await appliedTags()).some((current) => current.id === row.id)) throw error;
        }
      }
    },

    async currentStage(match) {
      if (!match.applicationId) return undefined;
      return (await currentStageRow(match.applicationId))?.job_interview_stage_id;
    },

    async moveStage(match, move) {
      const applicationId = requireApplication(match);
      const row = await currentStageRow(applicationId);
      if (!row) {
        // An application always has a current stage; none means it is gone, or the `sub` user cannot see it.
        throw new AtsNotFoundError(`${adapter}: application has no visible current stage`, { adapter });
      }
      const outcome = settled(row.job_interview_stage_id, move);
      if (outcome) return outcome;
      if (await inAnotherJob(row.job_interview_stage_id, move.toStageId)) return 'other-plan';
      // A 422 "from_stage_id is not the current stage": someone (or our own earlier attempt whose answer was
      // lost) moved it between the read and the write — read again and report what happened instead — or,
      // when it is still where it was, Greenhouse means the other id (see greenhouseMoveFromStageId): the
      // other reading once. A wrong one is refused the same way, so nothing can move twice.
      let current = row;
      let refusal: unknown;
      for (const reading of [greenhouseMoveFromStageId, greenhouseOtherFromStageId]) {
        const fromStageId = reading(current);
        if (fromStageId === undefined) break;
        try {
          await send(buildMoveApplication(baseUrl, applicationId, fromStageId, move.toStageId));
          return 'moved';
        } catch (error) {
          if (!(error instanceof AtsPermanentError && error.status === 422)) throw error;
          refusal ??= error;
          const now = await currentStageRow(applicationId);
          if (!now) break;
          const after = settled(now.job_interview_stage_id, move);
          if (after) return after;
          current = now;
        }
      }
      throw refusal;
    },
  };
};
