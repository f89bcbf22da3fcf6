/**
 * Whom `ops erase` and `ops status <e-mail>` take for the candidate (local/ops/candidate.ts `findCandidate`),
 * over sources built by hand: every record linked to them by e-mail (in any case), id, interview, ATS match,
 * pseudonym, archive manifest or session, followed link after link, and nothing of anyone else.
 */
import { describe, expect, it } from '@jest/globals';
import { emailPseudonym } from '../../../functions/ats/pseudonym.js';
import {
  type ArchiveItemFacts,
  type CandidateSources,
  type EventFacts,
  findCandidate,
  type InterviewRef,
  type StateFacts,
} from '../../../local/ops/candidate.js';
import { sourcesOf } from './erase-factories.js';

const key = 'pk_'.padEnd(48, 'k');
const janes = emailPseudonym('jane@example.com', key) as string;

const round0 = (interviewKey: string): InterviewRef => ({ vendor: 'round0', interviewKey });
const micro1 = (interviewKey: string): InterviewRef => ({ vendor: 'micro1', interviewKey });

const event = (name: string, facts: Partial<EventFacts>): EventFacts => ({
  where: { kind: 'raw', key: `raw/${name}.json` },
  interviews: [],
  mentionedEmails: new Set(),
  mentionedPseudonyms: new Set(),
  ...facts,
});

const state = (ref: InterviewRef, facts: Partial<StateFacts> = {}): StateFacts => ({
  pk: `INTERVIEW#${ref.vendor}#${ref.interviewKey}`,
  sk: 'STATE',
  ref,
  mentionedEmails: new Set(),
  mentionedPseudonyms: new Set(),
  ...facts,
});

const findJane = (sources: CandidateSources, email = 'jane@example.com') =>
  findCandidate(sources, { emails: [email], candidateIds: [], pseudonymKey: key });

const keysOf = (found: ReturnType<typeof findJane>) => ({
  interviews: found.interviews.map((ref) => ref.interviewKey),
  events: found.events.map((facts) => (facts.where.kind === 'parked' ? facts.where.pk : facts.where.key)),
  states: found.states.map((facts) => facts.pk),
});

describe('findCandidate: whose records are they', () => {
  it('finds the candidate’s events by an e-mail given in another case', () => {
    // Prepare
    const sources = sourcesOf({
      events: [
        event('hers', { email: 'jane@example.com', interviews: [round0('int-1')] }),
        event('others', { email: 'otto@example.org', interviews: [round0('int-2')] }),
      ],
    });

    // Act
    const found = findJane(sources, 'Jane@Example.COM');

    // Assess
    expect(keysOf(found)).toEqual({ interviews: ['int-1'], events: ['raw/hers.json'], states: [] });
  });

  it('takes an event that names no e-mail but one of their interviews (a micro1 recording) for theirs', () => {
    // Prepare
    const sources = sourcesOf({
      events: [
        event('report', { email: 'jane@example.com', interviews: [micro1('report:r-1')] }),
        event('recording', { interviews: [micro1('report:r-1')] }),
        event('others-recording', { interviews: [micro1('report:r-2')] }),
      ],
    });

    // Act
    const found = findJane(sources);

    // Assess
    expect(keysOf(found).events).toEqual(['raw/report.json', 'raw/recording.json']);
  });

  it('finds interview items by the pseudonym of an ATS match or the one the worker keeps, after the raw events expired', () => {
    // Prepare: no event left; the log adapter matched by pseudonym, the worker kept it on another item
    const sources = sourcesOf({
      states: [
        state(round0('int-1'), { atsCandidateId: janes }),
        state(round0('int-2'), { candidatePseudonym: janes }),
        state(round0('int-3'), { atsCandidateId: 'email-hmac:0000000000000000' }),
      ],
    });

    // Act
    const found = findJane(sources);

    // Assess
    expect(keysOf(found).states).toEqual(['INTERVIEW#round0#int-1', 'INTERVIEW#round0#int-2']);
  });

  it('follows an archive manifest’s pseudonym to the interview item and its events', () => {
    // Prepare: only the manifest's batch item names her (by pseudonym)
    const ref = round0('int-9');
    const archiveItems: ArchiveItemFacts[] = [
      { pk: 'ARCHIVE#round0#int-9', sk: 'BATCH#1', ref, candidatePseudonym: janes },
    ];
    const sources = sourcesOf({
      archiveItems,
      states: [state(ref)],
      events: [event('ended', { interviews: [ref] })],
    });

    // Act
    const found = findJane(sources);

    // Assess
    expect(keysOf(found)).toEqual({
      interviews: ['int-9'],
      events: ['raw/ended.json'],
      states: ['INTERVIEW#round0#int-9'],
    });
    expect(found.archiveItems).toEqual(archiveItems);
  });

  it('takes the micro1 session item that one of their reports closed for theirs', () => {
    // Prepare
    const sources = sourcesOf({
      events: [event('report', { email: 'jane@example.com', interviews: [micro1('report:r-1')] })],
      states: [
        state(micro1('session:job\\:9:c-1'), { closedBy: 'report:r-1' }),
        state(micro1('session:job\\:9:c-2'), { closedBy: 'report:r-2' }),
      ],
    });

    // Act
    const found = findJane(sources);

    // Assess
    expect(keysOf(found).states).toEqual(['INTERVIEW#micro1#session:job\\:9:c-1']);
  });

  it('follows links to a fixed point: e-mail → interview → ATS id → another interview → its events', () => {
    // Prepare: listed so that each link is found only after the one before it
    const sources = sourcesOf({
      events: [
        event('second-interview', { interviews: [round0('int-2')] }),
        event('first-interview', { email: 'jane@example.com', interviews: [round0('int-1')] }),
      ],
      states: [
        state(round0('int-2'), { atsCandidateId: 'ats-777777' }),
        state(round0('int-1'), { atsCandidateId: 'ats-777777' }),
      ],
    });

    // Act
    const found = findJane(sources);

    // Assess
    expect(keysOf(found).interviews).toEqual(['int-1', 'int-2']);
    expect(keysOf(found).events).toEqual(['raw/second-interview.json', 'raw/first-interview.json']);
    expect([...found.candidateIds]).toEqual(['ats-777777']);
  });

  it('never follows the ATS id “unidentified” to other candidates’ interviews', () => {
    // Prepare: without a pseudonym key the adapters match everyone as "unidentified"
    const sources = sourcesOf({
      events: [event('hers', { email: 'jane@example.com', interviews: [round0('int-1')] })],
      states: [
        state(round0('int-1'), { atsCandidateId: 'unidentified' }),
        state(round0('int-2'), { atsCandidateId: 'unidentified' }),
      ],
    });

    // Act
    const found = findJane(sources);

    // Assess
    expect(keysOf(found).states).toEqual(['INTERVIEW#round0#int-1']);
    expect([...found.candidateIds]).toEqual([]);
  });
});
