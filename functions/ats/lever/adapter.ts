/**
 * Lever adapter. Lever is opportunity-centric: `AtsMatch.candidateId` is the contact, `applicationId` the
 * opportunity every write targets.
 *
 * - Find: `atsApplicationId` as an opportunity id, else `GET /opportunities?email=` across `hasNext`/`next`
 *   pages; an active (unarchived) opportunity wins over an archived one, the newest over older ones.
 * - Note: plain text with `perform_as`; reconciliation reads `GET /opportunities/{id}/notes`.
 * - Status: an opportunity tag (Lever tags are free text, so no ids to configure): the new status's tag is
 *   added and the other removed. Tags because Lever has no writable custom fields on opportunities.
 * - Stage: reads the opportunity's `stage` first, so a repeat is `already-there` and a recruiter's move is
 *   never undone (`moved-on`); else `PUT /opportunities/{id}/stage`.
 * - Links: their own effect (`addLinks`, enabled by `addLinks: true`): only the URLs the contact lacks are
 *   added. Lever links belong to the CONTACT, so they show on all of the person's opportunities.
 * - Rate: token bucket of 10 requests/s, bursts to 20 (lever.md), through `bottleneck`.
 */
import * as v from 'valibot';
import { AtsNotFoundError, AtsPermanentError } from '../errors.js';
import { renderNoteText, valueHasMarker } from '../note-render.js';
import { parseSettings, requireCredentials } from '../settings.js';
import { httpSettingsSchema, idSchema, urlSchema } from '../transport.js';
import {
  type AtsAdapter,
  type AtsAdapterDeps,
  type AtsMatch,
  candidateTagRemovedBy,
  type StageMoveOutcome,
  screeningStatusLabels,
} from '../types.js';
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
import { createLeverClient, type LeverClient } from './client.js';

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
  /**
   * Enables `addLinks`: the recording/report links are added to the contact's links (contact-level: every
   * opportunity of the person shows them). Off, the links are in the note only. @default false
   */
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
export type LeverSettings = v.InferOutput<typeof leverConfigSchema>;

const opportunitySchema = v.looseObject({
  id: v.string(),
  contact: v.optional(v.nullable(v.string())),
  archived: v.optional(v.nullable(v.unknown())),
  createdAt: v.optional(v.nullable(v.number())),
  stage: v.optional(v.nullable(v.union([v.string(), v.looseObject({ id: v.string() })]))),
  links: v.optional(v.nullable(v.array(v.string()))),
  emails: v.optional(v.nullable(v.array(v.string()))),
});
type Opportunity = v.InferOutput<typeof opportunitySchema>;

const byPreference = (a: Opportunity, b: Opportunity) =>
  Number(Boolean(a.archived)) - Number(Boolean(b.archived)) || (b.createdAt ?? 0) - (a.createdAt ?? 0);

/** `stage` is an id, or an object when the request asked to expand it. */
const stageIdOf = (opportunity: Opportunity): string | undefined =>
  typeof opportunity.stage === 'string' ? opportunity.stage : (opportunity.stage?.id ?? undefined);

/** Parses the Lever `ATS_CONFIG` and credentials once (the adapter and the doctor share it). */
export const resolveLever = (config: unknown, credentials: Readonly<Record<string, string>> | undefined) => ({
  settings: parseSettings(adapter, leverConfigSchema, config),
  apiKey: requireCredentials(adapter, credentials, ['apiKey']).apiKey,
});

/** Creates the Lever adapter from `ATS_CONFIG` (see {@link leverConfigSchema}) and the credentials `{ apiKey }`. */
export const createLeverAdapter = (
  config: unknown,
  credentials: Readonly<Record<string, string>> | undefined,
  deps: AtsAdapterDeps = {},
): AtsAdapter => {
  const { settings, apiKey } = resolveLever(config, credentials);
  return leverAdapterFor(settings, apiKey, createLeverClient(settings, deps));
};

const notFoundAsRecordMissing = (error: unknown): never => {
  throw error instanceof AtsPermanentError && error.status === 404
    ? new AtsNotFoundError(`${adapter}: opportunity not found`, { adapter, status: 404 }, { cause: error })
    : error;
};

const leverAdapterFor = (settings: LeverSettings, apiKey: string, client: LeverClient): AtsAdapter => {
  const { baseUrl, performAs } = settings;

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

  const getOpportunity = (opportunityId: string) =>
    client.data(buildGetOpportunity(baseUrl, apiKey, opportunityId), opportunitySchema, 'opportunity');

  /** The opportunity a write needs to read first; a missing one is {@link AtsNotFoundError}. */
  const requireOpportunity = async (match: AtsMatch): Promise<Opportunity> => {
    const opportunity = await getOpportunity(opportunityOf(match));
    if (!opportunity)
      throw new AtsNotFoundError(`${adapter}: opportunity not found`, { adapter, status: 404 });
    return opportunity;
  };

  const bestOpportunity = async (email: string, postingId?: string): Promise<AtsMatch | undefined> => {
    const found: Opportunity[] = [];
    for await (const opportunity of client.pages(
      (offset) => buildListOpportunitiesByEmail(baseUrl, apiKey, email, offset, postingId),
      opportunitySchema,
    )) {
      found.push(opportunity);
    }
    // The `email` filter is trusted only as far as the answer agrees: an opportunity that lists its contact's
    // addresses without this one is someone else's (a filter Lever ignored or matched loosely would
    // otherwise hand the newest opportunity of the account to this interview). One that lists none is kept.
    const wanted = email.trim().toLowerCase();
    const carrying = found.filter(
      (o) => !o.emails || o.emails.some((address) => address.trim().toLowerCase() === wanted),
    );
    const [best] = carrying.sort(byPreference);
    return best && toMatch(best);
  };

  /**
   * A contact has one opportunity per candidacy: the one for the vendor's ATS job id (a Lever posting id)
   * when it names one; else (no job id, or none of the contact's opportunities is for it) the newest
   * unarchived one, as before job ids were read. That fallback can still pick another job's candidacy
   * for a contact with several: kept because what micro1 sends as `ats_job_id` for a Lever account is not
   * confirmed to be a posting id, and refusing would park every such event. (`posting_id` is a filter of Lever's "List
   * all opportunities"; shared/ats/lever.md does not list it: confirm against a real account.)
   */
  /**
   * `undefined` for an id Lever refuses as malformed (400: its ids are UUIDs; the vendor's may be another
   * system's), so the lookup goes on by e-mail rather than failing the event for good; anything else thrown.
   */
  const unlessMalformed = (error: unknown): undefined => {
    if (error instanceof AtsPermanentError && error.status === 400) return undefined;
    throw error;
  };

  const findByEmail = async (email: string, atsJobId: string | undefined): Promise<AtsMatch | undefined> => {
    // A job id refused as a posting id is not looked for: the e-mail alone decides.
    const forJob =
      atsJobId === undefined ? undefined : await bestOpportunity(email, atsJobId).catch(unlessMalformed);
    return forJob ?? bestOpportunity(email);
  };

  const leverAdapter: AtsAdapter = {
    name: adapter,

    async findApplication(lookup) {
      if (lookup.atsApplicationId) {
        // The vendor's application id may be another system's (lever.md: only "when the company wires
        // them"): one Lever refuses as malformed is looked up by e-mail, as an id it does not know (404) is.
        const opportunity = await getOpportunity(lookup.atsApplicationId).catch(unlessMalformed);
        if (opportunity) return toMatch(opportunity);
      }
      return lookup.email ? findByEmail(lookup.email, lookup.atsJobId) : undefined;
    },

    async addNote(match, note) {
      await client
        .send(
          buildCreateNote(baseUrl, apiKey, opportunityOf(match), {
            value: renderNoteText(note),
            performAs,
            secret: settings.noteSecret,
          }),
        )
        .catch(notFoundAsRecordMissing);
    },

    async hasNote(match, marker) {
      const opportunityId = opportunityOf(match);
      for await (const note of client.pages(
        (offset) => buildListNotes(baseUrl, apiKey, opportunityId, offset),
        v.unknown(),
      )) {
        if (valueHasMarker(note, marker)) return true;
      }
      return false;
    },

    async setStatus(match, status) {
      const opportunityId = opportunityOf(match);
      const tag = settings.statusTags[status];
      await client.send(buildUpdateTags(baseUrl, apiKey, opportunityId, 'addTags', [tag], performAs));
      // An opportunity may carry two interviews (a second one for the job, or the newest-opportunity
      // fallback): a start must not take back the other's "completed", as on Greenhouse and Ashby.
      const other = candidateTagRemovedBy(status, settings.statusTags);
      if (other !== undefined)
        await client.send(buildUpdateTags(baseUrl, apiKey, opportunityId, 'removeTags', [other], performAs));
    },

    async currentStage(match) {
      if (!match.applicationId) return undefined;
      const opportunity = await getOpportunity(match.applicationId);
      return opportunity && stageIdOf(opportunity);
    },

    async moveStage(match, move): Promise<StageMoveOutcome> {
      const current = stageIdOf(await requireOpportunity(match));
      if (current === move.toStageId) return 'already-there';
      if (move.fromStageId !== undefined && current !== move.fromStageId) return 'moved-on';
      await client.send(buildUpdateStage(baseUrl, apiKey, opportunityOf(match), move.toStageId, performAs));
      return 'moved';
    },
  };

  if (!settings.addLinks) return leverAdapter;
  return {
    ...leverAdapter,
    async addLinks(match, links) {
      const present = new Set((await requireOpportunity(match)).links ?? []);
      const missing = [...new Set(links.map((link) => link.url))].filter((url) => !present.has(url));
      if (missing.length === 0) return;
      await client.send(buildAddLinks(baseUrl, apiKey, opportunityOf(match), missing, performAs));
    },
  };
};
