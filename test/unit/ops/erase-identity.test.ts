/**
 * What `ops erase` takes for the candidate's own record (local/ops/erase.ts `identityMatcher`) and which
 * addresses an event mentions (local/ops/candidate.ts): an address or id only as a whole token, so another
 * person's record — `o'brien@…` when erasing `brien@…`, a number holding an id's digits — is never deleted.
 */
import { describe, expect, it } from '@jest/globals';
import type { InterviewEvent } from '../../../functions/vendors/index.js';
import { eventFacts } from '../../../local/ops/candidate.js';
import { identityMatcher } from '../../../local/ops/erase.js';
import { findingsOf } from './erase-factories.js';

describe('erase: whose record is it', () => {
  it.each([
    ['an apostrophe', `{"candidate_email_id":"o'brien@example.com"}`],
    ['an ampersand', '{"email":"a&brien@example.com"}'],
    ['an exclamation mark', '{"email":"a!brien@example.com"}'],
    ['a tilde', '{"email":"x~brien@example.com"}'],
  ])('does not take an address with %s before it for the one erased', (_label, text) => {
    // Act
    const matches = identityMatcher(findingsOf(['brien@example.com']))(text);

    // Assess
    expect(matches).toBe(false);
  });

  it.each([
    ['in a JSON string', '{"email":"brien@example.com"}'],
    ['in single quotes', "candidate 'brien@example.com' refused"],
    ['in a query string', 'https://app.example/?email=brien@example.com'],
    ['in a path', 'exports/brien@example.com/answers.csv'],
    ['at the start', 'brien@example.com wrote'],
  ])('takes the address erased %s for theirs', (_label, text) => {
    // Act
    const matches = identityMatcher(findingsOf(['brien@example.com']))(text);

    // Assess
    expect(matches).toBe(true);
  });

  it('takes a numeric id for theirs as a token, not as the digits of a decimal number', () => {
    // Prepare
    const matches = identityMatcher(findingsOf([], ['12345678']));

    // Act, Assess
    expect(matches('{"x":"1.12345678"}')).toBe(false);
    expect(matches('{"score":12345678.5}')).toBe(false);
    expect(matches('{"candidate_id":"12345678"}')).toBe(true);
    expect(matches('backup/12345678.mp3')).toBe(true);
    expect(matches('v1.2 12345678')).toBe(true);
  });

  it('reads the whole address an event mentions: `a&brien@…` is not `brien@…`', () => {
    // Prepare
    const event = {
      vendor: 'round0',
      type: 'interview_ended',
      dedupeKey: 'round0:evt_1',
      payload: { note: 'a&brien@example.com, and see ?email=jane@example.com', quoted: "'amy@example.com'" },
    } as unknown as InterviewEvent;

    // Act
    const facts = eventFacts({ kind: 'raw', key: 'raw/x' }, event);

    // Assess
    expect([...facts.mentionedEmails].sort()).toEqual([
      'a&brien@example.com',
      'amy@example.com',
      'jane@example.com',
    ]);
  });
});
