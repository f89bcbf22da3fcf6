/**
 * The note each end of a load's traffic must get: made from the vendor API's view of its interview, which
 * holds more than the webhook (`traffic.ts`). The log adapter writes a note's summary (`note: 3 sections,
 * 7 items, 0 links`: counts only), so the audit compares summaries.
 *
 * The expected note is rendered with the house's own enrichment and note code, fed the API view in memory:
 * their rules have tests of their own, and what the load proves is that the pipeline, under load, looked
 * each interview up over HTTP, found it and wrote its parts. That check could pass vacuously if the API
 * view added nothing to the note, so the note the webhook alone makes must differ from it, or this throws.
 */
import * as v from 'valibot';
import { summarizeNote } from '../../functions/ats/note-render.js';
import { type EnrichmentClients, enrichEvent } from '../../functions/enrichment/enrich.js';
import { micro1ReportSchema } from '../../functions/enrichment/micro1-api.js';
import { round0InterviewSchema } from '../../functions/enrichment/round0-api.js';
import { buildScreeningNote } from '../../functions/sync/screening-note.js';
import { parseVendorEvent } from '../../functions/vendors/index.js';
import { atsKeyOf, type LoadEvent, type Traffic } from './traffic.js';

/** An interview the traffic gave no API view: a bug of the traffic, not of the pipeline. */
class NotSeeded extends Error {}

/** In-memory API clients answering from the traffic's API views (one lookup table, built once). */
const clientsOf = (traffic: Traffic): EnrichmentClients => {
  const reports = new Map(traffic.vendorApi.micro1Reports.map((report) => [report.report_id, report]));
  return {
    round0: {
      getInterview: async (id: string) => {
        const body = traffic.vendorApi.round0Interviews[id];
        if (body === undefined) throw new NotSeeded(id);
        return v.parse(round0InterviewSchema, body);
      },
    },
    micro1: {
      getReport: async ({ reportId }: { reportId: string }) => {
        const report = reports.get(reportId);
        if (report === undefined) throw new NotSeeded(reportId);
        return v.parse(micro1ReportSchema, report);
      },
    },
  };
};

/**
 * The summary of the note `event` makes with `clients`: the API's view of its interview, or, with none,
 * the webhook's data alone (as with no API key configured).
 */
const summaryOf = async (event: LoadEvent, clients: EnrichmentClients): Promise<string> => {
  const parsed = parseVendorEvent(event.vendor, JSON.parse(event.body), new Date());
  if (!parsed.ok) throw new TypeError(`the load's ${event.dedupeKey} is not a valid event`);
  const enriched = await enrichEvent(parsed.event, clients);
  return summarizeNote(buildScreeningNote(enriched, 'interview-sync:load'));
};

/**
 * The summary of the note each end event's interview must get, by the ATS key of that note write
 * (`<vendor>:<ledger key>:note`).
 * @throws Error when the API's view of an interview makes the same note as its webhook alone
 */
export const expectedNoteSummaries = async (traffic: Traffic): Promise<Map<string, string>> => {
  const summaries = new Map<string, string>();
  const clients = clientsOf(traffic);
  for (const event of traffic.events) {
    if (event.role !== 'ended' && event.role !== 'report') continue;
    const key = atsKeyOf({ ...event, writeKey: 'note', interview: event.interview });
    const [withApi, webhookOnly] = await Promise.all([summaryOf(event, clients), summaryOf(event, {})]);
    if (withApi === webhookOnly) {
      throw new Error(
        `the API's view of ${key} makes the note its webhook makes (${withApi}): the audit could not ` +
          'tell whether the pipeline used it',
      );
    }
    summaries.set(key, withApi);
  }
  return summaries;
};
