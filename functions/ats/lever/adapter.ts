/**
 * Lever adapter. Lever is opportunity-centric: `AtsMatch.candidateId` is the contact, `applicationId` the
 * opportunity every write targets.
 *
 * - Find: `atsApplicationId` as an opportunity id, else `GET /opportunities?email=` across `hasNext`/`next`
 *   pages; an active (unarchived) opportunity wins over an archived one, the newest over older ones.
 * - Note: plain text with `perform_as`; reconciliation reads `GET /opportunities/{id}/notes`.
 * - Status: an opportunity tag (Lever tags are free text, so no ids to configure): the new status's tag is
 *   added and the other removed. Tags because Lever has no writable custom fields on opportunities.
 * - Stage: `PUT /opportunities/{id}/stage`.
 * - Rate: token bucket of 10 requests/s, bursts to 20 (lever.md), through `bottleneck`.
 */
import Bottleneck from 'bottleneck';
import * as v from 'valibot';
import { AtsNotFoundError, AtsPermanentError } from '../errors.js';
import { renderNoteText, valueHasMarker } from '../note-render.js';
import { parseSettings, requireCredentials } from '../settings.js';
import { createAtsTransport, httpSettingsSchema, idSchema, urlSchema } from '../transport.js';
import { type AtsAdapter, type AtsAdapterDeps, type AtsMatch, screeningStatusLabels } from '../types.js';
import {
  buildAddLinks,
  buildCreateNote,
  buildGetOpportunity,
  buildListNotes,
  buildListOpportunitiesByEmail,
  buildUpdateStage,
  buildUpdateTags,
  defaultLeverBaseUrl,
} from './api.js';

const adapter = 'lever';

/** `ATS_CONFIG` of the Lever adapter (no secrets). */
export const leverConfigSchema = v.object({
  /** API base URL. @default 'https://api.lever.co/v1' */
  baseUrl: v.optional(urlSchema, defaultLeverBaseUrl),
  /** Lever user id the writes are attributed to (`perform_as`). Required. */
  performAs: idSchema,
  /** Post notes as secret (visible to fewer users). @default false */
  noteSecret: v.optional(v.boolean(), false),
  /** Tag text of each status. @default { in_progress: 'AI screening in progress', completed: 'AI screening completed' } */
  statusTags: v.optional(
    v.object({
      in_progress: v.optional(v.pipe(v.string(), v.nonEmpty()), screeningStatusLabels.in_progress),
      completed: v.optional(v.pipe(v.string(), v.nonEmpty()), screeningStatusLabels.completed),
    }),
    {},
  ),
  /** Also add the note's links to the opportunity's links (`addLinks`, body shape unconfirmed). @default false */
  addLinks: v.optional(v.boolean(), false),
  /** Pages followed before giving up. @default 20 */
  maxPages: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 20),
  rateLimit: v.optional(
    v.object({
      /** Sustained requests per second. @default 10 */
      perSecond: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 10),
      /** Burst size. @default 20 */
      burst: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 20),
      /** Parallel requests. @default 4 */
      maxConcurrent: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1)), 4),
    }),
    {},
  ),
  http: httpSettingsSchema,
});
export type LeverConfig = v.InferInput<typeof leverConfigSchema>;

const opportunitySchema = v.looseObject({
  id: v.string(),
  contact: v.optional(v.nullable(v.string())),
  archived: v.optional(v.nullable(v.unknown())),
  createdAt: v.optional(v.nullable(v.number())),
});
type Opportunity = v.InferOutput<typeof opportunitySchema>;
const pageSchema = <T extends v.GenericSchema>(item: T) =>
  v.looseObject({
    data: v.array(item),
    hasNext: v.optional(v.boolean(), false),
    next: v.optional(v.nullable(v.string())),
  });

const invalidAnswer = (what: string) =>
  new AtsPermanentError(`${adapter}: unexpected ${what} response`, { adapter, reason: 'invalid_response' });

const byPreference = (a: Opportunity, b: Opportunity) =>
  Number(Boolean(a.archived)) - Number(Boolean(b.archived)) || (b.createdAt ?? 0) - (a.createdAt ?? 0);

/** Creates the Lever adapter from `ATS_CONFIG` (see {@link leverConfigSchema}) and the credentials `{ apiKey }`. */
export const createLeverAdapter = (
  config: unknown,
  credentials: Readonly<Record<string, string>> | undefined,
  deps: AtsAdapterDeps = {},
): AtsAdapter => {
  const settings = parseSettings(adapter, leverConfigSchema, config);
  const { apiKey } = requireCredentials(adapter, credentials, ['apiKey']);
  const { baseUrl, performAs, rateLimit } = settings;

  const transport = createAtsTransport({
    adapter,
    // Token bucket: refilled by `perSecond` every second, never above `burst`.
    limiter: new Bottleneck({
      maxConcurrent: rateLimit.maxConcurrent,
      reservoir: rateLimit.burst,
      reservoirIncreaseAmount: rateLimit.perSecond,
      reservoirIncreaseInterval: 1000,
      reservoirIncreaseMaximum: rateLimit.burst,
    }),
    http: settings.http,
    deps,
  });

  /** Every item of a Lever list, following `next` while `hasNext`. */
  async function* pages<T extends v.GenericSchema>(
    build: (offset?: string) => ReturnType<typeof buildListNotes>,
    item: T,
  ): AsyncGenerator<v.InferOutput<T>> {
    let offset: string | undefined;
    for (let page = 1; page <= settings.maxPages; page += 1) {
      const response = await transport.send(build(offset));
      const parsed = v.safeParse(pageSchema(item), response.json());
      if (!parsed.success) throw invalidAnswer('list');
      yield* parsed.output.data;
      if (!parsed.output.hasNext || !parsed.output.next) return;
      offset = parsed.output.next;
    }
    throw new AtsPermanentError(`${adapter}: more than ${settings.maxPages} pages`, {
      adapter,
      reason: 'too_many_pages',
    });
  }

  const toMatch = (opportunity: Opportunity): AtsMatch => ({
    candidateId: opportunity.contact ?? opportunity.id,
    applicationId: opportunity.id,
  });

  const opportunityOf = (match: AtsMatch): string => {
    if (!match.applicationId) {
      throw new AtsPermanentError(`${adapter}: match has no opportunity`, {
        adapter,
        reason: 'ambiguous_application',
      });
    }
    return match.applicationId;
  };

  const findById = async (opportunityId: string): Promise<AtsMatch | undefined> => {
    const response = await transport.send(buildGetOpportunity(baseUrl, apiKey, opportunityId));
    if (response.status === 404) return undefined;
    const parsed = v.safeParse(v.looseObject({ data: opportunitySchema }), response.json());
    if (!parsed.success) throw invalidAnswer('opportunity');
    return toMatch(parsed.output.data);
  };

  const findByEmail = async (email: string): Promise<AtsMatch | undefined> => {
    const found: Opportunity[] = [];
    for await (const opportunity of pages(
      (offset) => buildListOpportunitiesByEmail(baseUrl, apiKey, email, offset),
      opportunitySchema,
    )) {
      found.push(opportunity);
    }
    const [best] = found.sort(byPreference);
    return best && toMatch(best);
  };

  return {
    name: adapter,

    async findApplication(lookup) {
      if (lookup.atsApplicationId) {
        const match = await findById(lookup.atsApplicationId);
        if (match) return match;
      }
      return lookup.email ? findByEmail(lookup.email) : undefined;
    },

    async addNote(match, note) {
      const opportunityId = opportunityOf(match);
      await transport
        .send(
          buildCreateNote(baseUrl, apiKey, opportunityId, {
            value: renderNoteText(note),
            performAs,
            secret: settings.noteSecret,
          }),
        )
        .catch((error: unknown) => {
          throw error instanceof AtsPermanentError && error.status === 404
            ? new AtsNotFoundError(
                `${adapter}: opportunity not found`,
                { adapter, status: 404 },
                { cause: error },
              )
            : error;
        });
      const links = note.links?.map((link) => link.url) ?? [];
      if (settings.addLinks && links.length > 0) {
        await transport.send(buildAddLinks(baseUrl, apiKey, opportunityId, links, performAs));
      }
    },

    async hasNote(match, marker) {
      const opportunityId = opportunityOf(match);
      for await (const note of pages(
        (offset) => buildListNotes(baseUrl, apiKey, opportunityId, offset),
        v.unknown(),
      )) {
        if (valueHasMarker(note, marker)) return true;
      }
      return false;
    },

    async setStatus(match, status) {
      const opportunityId = opportunityOf(match);
      const other = status === 'completed' ? 'in_progress' : 'completed';
      const tag = settings.statusTags[status];
      await transport.send(buildUpdateTags(baseUrl, apiKey, opportunityId, 'addTags', [tag], performAs));
      await transport.send(
        buildUpdateTags(
          baseUrl,
          apiKey,
          opportunityId,
          'removeTags',
          [settings.statusTags[other]],
          performAs,
        ),
      );
    },

    async moveStage(match, stageId) {
      await transport.send(buildUpdateStage(baseUrl, apiKey, opportunityOf(match), stageId, performAs));
    },
  };
};
