/**
 * Ashby adapter.
 *
 * - Every call is a POST RPC; a 200 with `success: false` is an error, classified by its code: `*_not_found`
 *   → {@link AtsNotFoundError}, rate-limit/unavailable codes → {@link AtsTransientError}, others permanent.
 * - Find: `application.info` when the application id is known, else `candidate.search { email }`.
 * - Note: `candidate.createNote` in Ashby's HTML subset; reconciliation reads `candidate.listNotes`.
 * - Status: a custom field when `statusField` is configured (Ashby custom fields are visible on the
 *   profile and reportable), else candidate tags (`statusTagIds`), else nothing.
 * - Rate: Ashby's per-key limits are not published as numbers, so a conservative `bottleneck`
 *   (5 requests/s, 2 in parallel) by default; 429 + `Retry-After` is honoured.
 */
import Bottleneck from 'bottleneck';
import * as v from 'valibot';
import type { HttpRequest } from '../../platform/http.js';
import { AtsNotFoundError, AtsPermanentError, AtsTransientError } from '../errors.js';
import { renderNoteHtml, valueHasMarker } from '../note-render.js';
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
  ashbyCustomFieldObjectTypes,
  buildApplicationInfo,
  buildCandidateSearch,
  buildChangeStage,
  buildCreateNote,
  buildListNotes,
  buildSetCustomField,
  buildTagChange,
  defaultAshbyBaseUrl,
} from './api.js';

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

const envelopeSchema = v.looseObject({
  success: v.boolean(),
  results: v.optional(v.unknown()),
  errors: v.optional(v.array(v.unknown())),
  errorInfo: v.optional(v.looseObject({ code: v.optional(v.string()) })),
  moreDataAvailable: v.optional(v.boolean()),
  nextCursor: v.optional(v.nullable(v.string())),
});
type Envelope = v.InferOutput<typeof envelopeSchema>;
const candidateSchema = v.looseObject({ id: v.string(), applicationIds: v.optional(v.array(v.string())) });
const applicationSchema = v.looseObject({ id: v.string(), candidate: v.looseObject({ id: v.string() }) });

/** Only code-like strings become a reason: free-text errors may echo the input (PII). */
const errorCodes = (envelope: Envelope): string[] => {
  const raw = [envelope.errorInfo?.code, ...(envelope.errors ?? [])];
  const codes = raw.filter((e): e is string => typeof e === 'string' && /^[a-z][a-z0-9_.]*$/i.test(e));
  return codes.length ? codes : ['unspecified'];
};

const isTransientCode = (code: string) => /rate_?limit|too_many|unavailable|timeout|internal/i.test(code);

/** The error a `success: false` answer stands for. */
export const ashbyFailure = (operation: string, envelope: Envelope): Error => {
  const codes = errorCodes(envelope);
  const message = `${adapter}: ${operation} failed: ${codes.join(', ')}`;
  if (codes.some((code) => /not_?found/i.test(code))) return new AtsNotFoundError(message, { adapter });
  if (codes.some(isTransientCode)) return new AtsTransientError(message, { adapter });
  return new AtsPermanentError(message, { adapter, reason: codes.join(',') });
};

/** Creates the Ashby adapter from `ATS_CONFIG` (see {@link ashbyConfigSchema}) and the credentials `{ apiKey }`. */
export const createAshbyAdapter = (
  config: unknown,
  credentials: Readonly<Record<string, string>> | undefined,
  deps: AtsAdapterDeps = {},
): AtsAdapter => {
  const settings = parseSettings(adapter, ashbyConfigSchema, config);
  const { apiKey } = requireCredentials(adapter, credentials, ['apiKey']);
  const { baseUrl } = settings;
  const transport = createAtsTransport({
    adapter,
    limiter: new Bottleneck({
      minTime: settings.rateLimit.minTimeMs,
      maxConcurrent: settings.rateLimit.maxConcurrent,
    }),
    http: settings.http,
    deps,
  });

  /** Sends one RPC and returns its envelope; `success: false` throws (see {@link ashbyFailure}). */
  const call = async (request: HttpRequest): Promise<Envelope> => {
    const response = await transport.send(request);
    const parsed = v.safeParse(envelopeSchema, response.json());
    const operation = request.operation ?? 'call';
    if (!parsed.success) {
      throw new AtsPermanentError(`${adapter}: ${operation}: unexpected response`, {
        adapter,
        reason: 'invalid_response',
      });
    }
    if (!parsed.output.success) throw ashbyFailure(operation, parsed.output);
    return parsed.output;
  };

  const results = <T>(envelope: Envelope, schema: v.GenericSchema<unknown, T>, operation: string): T => {
    const parsed = v.safeParse(schema, envelope.results);
    if (!parsed.success) {
      throw new AtsPermanentError(`${adapter}: ${operation}: unexpected results`, {
        adapter,
        reason: 'invalid_response',
      });
    }
    return parsed.output;
  };

  const findByApplicationId = async (applicationId: string): Promise<AtsMatch | undefined> => {
    try {
      const envelope = await call(buildApplicationInfo(baseUrl, apiKey, applicationId));
      const application = results(envelope, applicationSchema, 'application.info');
      return { candidateId: application.candidate.id, applicationId: application.id };
    } catch (error) {
      if (error instanceof AtsNotFoundError) return undefined;
      throw error;
    }
  };

  const findByEmail = async (email: string): Promise<AtsMatch | undefined> => {
    const envelope = await call(buildCandidateSearch(baseUrl, apiKey, email));
    const [candidate] = results(envelope, v.array(candidateSchema), 'candidate.search');
    if (!candidate) return undefined;
    const applicationIds = candidate.applicationIds ?? [];
    return {
      candidateId: candidate.id,
      ...(applicationIds.length === 1 ? { applicationId: applicationIds[0] } : {}),
    };
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
    const other: ScreeningStatus = status === 'completed' ? 'in_progress' : 'completed';
    const tagId = settings.statusTagIds[status];
    const otherTagId = settings.statusTagIds[other];
    if (tagId) await call(buildTagChange(baseUrl, apiKey, 'candidate.addTag', match.candidateId, tagId));
    if (otherTagId) {
      await call(buildTagChange(baseUrl, apiKey, 'candidate.removeTag', match.candidateId, otherTagId)).catch(
        // Removing a tag the candidate does not carry is already the wanted state.
        (error: unknown) => {
          if (!(error instanceof AtsNotFoundError)) throw error;
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
      return lookup.email ? findByEmail(lookup.email) : undefined;
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
      if (field) {
        await call(
          buildSetCustomField(baseUrl, apiKey, {
            objectId: objectIdFor(match, field.objectType),
            objectType: field.objectType,
            fieldId: field.fieldId,
            value: field.values[status],
          }),
        );
        return;
      }
      await setStatusTags(match, status);
    },

    async moveStage(match, stageId) {
      await call(buildChangeStage(baseUrl, apiKey, objectIdFor(match, 'Application'), stageId));
    },

    async setField(match, fieldId, value) {
      const objectType = settings.fieldObjectType;
      await call(
        buildSetCustomField(baseUrl, apiKey, {
          objectId: objectIdFor(match, objectType),
          objectType,
          fieldId,
          value,
        }),
      );
    },
  };
};
