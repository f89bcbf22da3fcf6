/**
 * Factories for the ATS contract tests: screening notes, write contexts, the fakes' seed records, and a sleep
 * that records instead of waiting (so retry delays are asserted, not endured).
 */
import type { AtsContext, ScreeningNote } from '../../../functions/ats/types.js';
import type { FakeAshbyCandidate } from '../../../local/fakes/ashby.js';
import type { FakeGreenhouseNote } from '../../../local/fakes/greenhouse.js';
import type { FakeLeverOpportunity } from '../../../local/fakes/lever.js';

/** An Ashby candidate with one application, `ada@example.com`. */
export const aCandidate = (overrides: Partial<FakeAshbyCandidate> = {}): FakeAshbyCandidate => ({
  id: 'cand-1',
  emailAddresses: [{ value: 'ada@example.com' }],
  applicationIds: ['app-1'],
  tags: [],
  ...overrides,
});

/** The Greenhouse fake's OAuth client. */
export const greenhouseCredentials = { clientId: 'gh-client', clientSecret: 'gh-secret' } as const;

/** A private note on Greenhouse candidate 11 by user 42, `note <id>`. */
export const aGreenhouseNote = (
  id: number,
  overrides: Partial<FakeGreenhouseNote> = {},
): FakeGreenhouseNote => ({
  id,
  candidate_id: 11,
  application_id: null,
  user_id: 42,
  body: `note ${id}`,
  visibility: 'private',
  type: 'NOTE',
  created_at: '2026-01-01T00:00:00Z',
  ...overrides,
});

/** A Lever opportunity at its first stage, `ada@example.com`. */
export const anOpportunity = (overrides: Partial<FakeLeverOpportunity> = {}): FakeLeverOpportunity => ({
  id: 'opp-1',
  contact: 'contact-1',
  emails: ['ada@example.com'],
  stage: 'stage-applied',
  tags: [],
  links: [],
  archived: null,
  createdAt: 1_700_000_000_000,
  ...overrides,
});

export const aScreeningNote = (overrides: Partial<ScreeningNote> = {}): ScreeningNote => ({
  title: 'AI screening: Backend Engineer',
  marker: 'interview-sync:evt-1',
  sections: [
    { heading: 'Summary', lines: ['Strong fundamentals', 'Clear communicator'] },
    {
      heading: 'Questions',
      items: [
        { label: 'Tell us about a system you built', text: 'A queue-based ingest pipeline' },
        { label: 'Favourite data structure', text: 'The B-tree' },
      ],
    },
  ],
  links: [{ label: 'Recording', url: 'https://media.example.com/rec/1' }],
  ...overrides,
});

export const aContext = (overrides: Partial<AtsContext> = {}): AtsContext => ({
  vendor: 'round0',
  interviewId: 'int-1',
  eventKey: 'evt-1',
  ...overrides,
});

/** A `sleep` that resolves at once and remembers what it was asked to wait. */
export const recordingSleep = () => {
  const calls: number[] = [];
  return {
    calls,
    sleep: async (ms: number) => {
      calls.push(ms);
    },
  };
};

/** HTTP settings that keep retries instant in tests. */
export const fastHttp = { timeoutMs: 2000, maxAttempts: 3, baseDelayMs: 1 } as const;
