/**
 * Greenhouse Harvest v3 adapter.
 *
 * - Auth: OAuth client credentials; the token is cached until shortly before `expires_in` and refreshed
 *   once on a 401.
 * - Find: `atsApplicationId` → `GET /v3/applications?ids=` → `candidate_id`; else candidates by e-mail.
 * - Note: `POST /v3/notes`, plain text, marker last. Reconciliation: `GET /v3/notes?candidate_ids=`.
 * - Status: a candidate tag ("AI screening in progress"/"completed") whose ids are configured
 *   (`statusTagIds`): applied with `POST /v3/applied_candidate_tags`, the other one removed. Tags rather
 *   than a custom field because tags are visible in every candidate list and filterable, and need no
 *   per-field value mapping. No tag ids configured → `setStatus` does nothing.
 * - Stage: `POST /v3/applications/{id}/move` from the current stage (no-op when already there).
 * - Rate: a `bottleneck` reservoir per 30 s window, plus a pause of one window whenever
 *   `X-RateLimit-Remaining` reaches the configured reserve, so 429s are the exception.
 */
import Bottleneck from 'bottleneck';
import * as v from 'valibot';
import type { HttpRequest, HttpResponse } from '../../platform/http.js';
import { AtsNotFoundError, AtsPermanentError } from '../errors.js';
import { noteHasMarker, renderNoteText } from '../note-render.js';
import { parseSettings, requireCredentials } from '../settings.js';
import {
  createAtsTransport,
  httpSettingsSchema,
  idSchema,
  statusMapSchema,
  urlSchema,
} from '../transport.js';
import type { AtsAdapter, AtsAdapterDeps, AtsMatch, ScreeningStatus } from '../types.js';
import {
  buildApplyTag,
  buildCreateNote,
  buildListApplicationsByCandidate,
  buildListApplicationsByIds,
  buildListAppliedTags,
  buildListCandidatesByEmail,
  buildListNotes,
  buildMoveApplication,
  buildNextPage,
  buildRemoveAppliedTag,
  buildTokenRequest,
  defaultGreenhouseAuthUrl,
  defaultGreenhouseBaseUrl,
  greenhouseNoteVisibilities,
  greenhouseRemainingHeader,
  parseNextLink,
} from './api.js';

const adapter = 'greenhouse';

/** `ATS_CONFIG` of the Greenhouse adapter (no secrets). */
export const greenhouseConfigSchema = v.object({
  /** Harvest v3 base URL. @default 'https://harvest.greenhouse.io/v3' */
  baseUrl: v.optional(urlSchema, defaultGreenhouseBaseUrl),
  /** OAuth token endpoint. @default 'https://auth.greenhouse.io/token' */
  authUrl: v.optional(urlSchema, defaultGreenhouseAuthUrl),
  /** Greenhouse user id: the token's `sub` and the notes' author. Required. */
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

const anyId = v.pipe(v.union([v.string(), v.number()]), v.transform(String));
const applicationSchema = v.looseObject({
  id: anyId,
  candidate_id: anyId,
  job_id: v.optional(v.nullable(anyId)),
  job_interview_stage_id: v.optional(v.nullable(anyId)),
});
const candidateSchema = v.looseObject({
  id: anyId,
  email_addresses: v.optional(
    v.nullable(v.array(v.looseObject({ value: v.optional(v.nullable(v.string())) }))),
  ),
});
const noteSchema = v.looseObject({ id: anyId, body: v.optional(v.nullable(v.string())) });
const appliedTagSchema = v.looseObject({ id: anyId, candidate_id: anyId, candidate_tag_id: anyId });
const tokenSchema = v.looseObject({
  access_token: v.pipe(v.string(), v.nonEmpty()),
  expires_in: v.optional(v.number(), 3600),
});

/** Refresh this long before `expires_in` runs out, so a token never expires mid-request. */
const tokenSkewMs = 60_000;

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const invalidAnswer = (what: string) =>
  new AtsPermanentError(`${adapter}: unexpected ${what} response`, { adapter, reason: 'invalid_response' });

/**
 * Creates the Greenhouse adapter from `ATS_CONFIG` (see {@link greenhouseConfigSchema}) and the credentials
 * `{ clientId, clientSecret }`.
 */
export const createGreenhouseAdapter = (
  config: unknown,
  credentials: Readonly<Record<string, string>> | undefined,
  deps: AtsAdapterDeps = {},
): AtsAdapter => {
  const settings = parseSettings(adapter, greenhouseConfigSchema, config);
  const secret = requireCredentials(adapter, credentials, ['clientId', 'clientSecret']);
  const { baseUrl, perPage, maxPages, rateLimit } = settings;
  const now = deps.now ?? Date.now;
  const sleep = deps.sleep ?? realSleep;
  const baseOrigin = new URL(baseUrl).origin;

  const limiter = new Bottleneck({
    maxConcurrent: rateLimit.maxConcurrent,
    reservoir: rateLimit.requestsPerWindow,
    reservoirRefreshAmount: rateLimit.requestsPerWindow,
    reservoirRefreshInterval: rateLimit.windowMs,
  });
  // Set when X-RateLimit-Remaining says the window is spent: a full window from then is certainly past
  // the server's reset, whatever its phase.
  let pausedUntil = 0;

  const transport = createAtsTransport({
    adapter,
    limiter,
    http: settings.http,
    deps,
    beforeAttempt: async () => {
      const wait = pausedUntil - now();
      if (wait > 0) await sleep(wait);
    },
    afterAttempt: (response) => {
      const remaining = response.headers.get(greenhouseRemainingHeader);
      if (remaining !== null && Number(remaining) <= rateLimit.reserve)
        pausedUntil = now() + rateLimit.windowMs;
    },
  });

  let token: { value: string; expiresAt: number } | undefined;
  let pendingToken: Promise<string> | undefined;

  const fetchToken = async (): Promise<string> => {
    const request = buildTokenRequest(settings.authUrl, secret, settings.userId);
    const response = await transport.send(request).catch((error: unknown) => {
      if (error instanceof AtsPermanentError) {
        throw new AtsPermanentError(
          `${adapter}: token request refused (check clientId, clientSecret and userId)`,
          { adapter, status: error.status, reason: 'unauthorized' },
          { cause: error },
        );
      }
      throw error;
    });
    const parsed = v.safeParse(tokenSchema, response.json());
    if (!parsed.success) throw invalidAnswer('token');
    const lifetimeMs = parsed.output.expires_in * 1000;
    token = {
      value: parsed.output.access_token,
      expiresAt: now() + (lifetimeMs > 2 * tokenSkewMs ? lifetimeMs - tokenSkewMs : lifetimeMs / 2),
    };
    return token.value;
  };

  const getToken = async (): Promise<string> => {
    if (token && now() < token.expiresAt) return token.value;
    pendingToken ??= fetchToken().finally(() => {
      pendingToken = undefined;
    });
    return pendingToken;
  };

  const withBearer = (request: HttpRequest, value: string): HttpRequest => ({
    ...request,
    headers: { ...request.headers, authorization: `Bearer ${value}` },
  });

  /** Sends with the cached token; on a 401 fetches a new token and retries once. */
  const send = async (request: HttpRequest): Promise<HttpResponse> => {
    const first = await transport.send({
      ...withBearer(request, await getToken()),
      acceptStatuses: [401, ...(request.acceptStatuses ?? [])],
    });
    if (first.status !== 401) return first;
    token = undefined;
    return transport.send(withBearer(request, await getToken()));
  };

  /** Every item of a list, following `Link: rel="next"` exactly as given. */
  async function* items<T>(first: HttpRequest, schema: v.GenericSchema<unknown, T>): AsyncGenerator<T> {
    let request = first;
    for (let page = 1; page <= maxPages; page += 1) {
      const response = await send(request);
      const parsed = v.safeParse(v.array(schema), response.json());
      if (!parsed.success) throw invalidAnswer(request.operation ?? 'list');
      yield* parsed.output;
      const next = parseNextLink(response.headers.get('link'));
      if (next === undefined) return;
      const nextUrl = new URL(next, baseUrl);
      // The bearer token must never follow a link to another host.
      if (nextUrl.origin !== baseOrigin) throw invalidAnswer('pagination');
      request = buildNextPage(nextUrl.href, first.operation);
    }
    throw new AtsPermanentError(`${adapter}: more than ${maxPages} pages`, {
      adapter,
      reason: 'too_many_pages',
    });
  }

  const collect = async <T>(first: HttpRequest, schema: v.GenericSchema<unknown, T>): Promise<T[]> => {
    const all: T[] = [];
    for await (const item of items(first, schema)) all.push(item);
    return all;
  };

  const findByApplicationId = async (applicationId: string): Promise<AtsMatch | undefined> => {
    const [application] = await collect(
      buildListApplicationsByIds(baseUrl, [applicationId], 1),
      applicationSchema,
    );
    return application && { candidateId: application.candidate_id, applicationId: application.id };
  };

  const findByEmail = async (email: string, jobId: string | undefined): Promise<AtsMatch | undefined> => {
    const wanted = email.trim().toLowerCase();
    const candidates = await collect(buildListCandidatesByEmail(baseUrl, email, perPage), candidateSchema);
    // The filter's name is unconfirmed (see api.ts): keep only candidates whose addresses match, and trust
    // an answer without addresses only when it is a single candidate.
    const withAddresses = candidates.filter((c) => c.email_addresses);
    const matching = withAddresses.length
      ? withAddresses.filter((c) => c.email_addresses?.some((e) => e.value?.trim().toLowerCase() === wanted))
      : candidates.length === 1
        ? candidates
        : [];
    const candidate = matching[0];
    if (!candidate) return undefined;
    const applications = await collect(
      buildListApplicationsByCandidate(baseUrl, candidate.id, perPage),
      applicationSchema,
    );
    const chosen =
      (jobId && applications.find((a) => a.job_id === jobId)) ||
      (applications.length === 1 ? applications[0] : undefined);
    return { candidateId: candidate.id, ...(chosen ? { applicationId: chosen.id } : {}) };
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

  const otherStatus = (status: ScreeningStatus): ScreeningStatus =>
    status === 'completed' ? 'in_progress' : 'completed';

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
      const otherTagId = settings.statusTagIds[otherStatus(status)];
      if (!tagId && !otherTagId) return;
      const applied = await collect(
        buildListAppliedTags(baseUrl, match.candidateId, perPage),
        appliedTagSchema,
      );
      if (tagId && !applied.some((row) => row.candidate_tag_id === tagId)) {
        await send(buildApplyTag(baseUrl, match.candidateId, tagId));
      }
      for (const row of applied.filter((r) => otherTagId && r.candidate_tag_id === otherTagId)) {
        await send(buildRemoveAppliedTag(baseUrl, row.id));
      }
    },

    async moveStage(match, stageId) {
      const applicationId = requireApplication(match);
      const [application] = await collect(
        buildListApplicationsByIds(baseUrl, [applicationId], 1),
        applicationSchema,
      );
      if (!application) {
        throw new AtsNotFoundError(`${adapter}: application not found`, { adapter });
      }
      const from = application.job_interview_stage_id ?? undefined;
      if (from === stageId) return;
      await send(buildMoveApplication(baseUrl, applicationId, from, stageId));
    },
  };
};
