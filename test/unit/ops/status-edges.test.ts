/**
 * Edges of `ops status` (local/ops/status.ts): which interviews an id may name, when an interview counts as
 * found, and that a field's value is printed only when it is an id or a link without a credential.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from '@jest/globals';
import { mockClient } from 'aws-sdk-client-mock';
import type { ParkedEvent } from '../../../functions/ledger/parking-lot.js';
import {
  interviewLines,
  interviewsForId,
  isFound,
  readInterviews,
  type StatusReader,
} from '../../../local/ops/status.js';

const ref = { vendor: 'micro1', interviewKey: 'report:rep-1' } as const;

describe('ops status (edges)', () => {
  it('looks an id up as a ROUND0 interview, a micro1 report and a micro1 applicant', () => {
    // Act
    const refs = interviewsForId('abc-123');

    // Assess
    expect(refs).toEqual([
      { vendor: 'round0', interviewKey: 'abc-123' },
      { vendor: 'micro1', interviewKey: 'report:abc-123' },
      { vendor: 'micro1', interviewKey: 'applicant:abc-123' },
    ]);
  });

  it('counts an interview known only by its parked events as found', () => {
    // Prepare: no ledger item, no archive (the candidate was not found in the ATS)
    const parked = {
      kind: 'unmatched',
      parkedAt: '2026-12-05T12:00:00.000Z',
      dedupeKey: 'micro1:report:rep-1',
      vendor: 'micro1',
      eventType: 'interview_report.created',
      reason: 'candidate not found',
    } as unknown as ParkedEvent;

    // Act
    const found = isFound({ ref, archive: [], parked: [parked] });

    // Assess
    expect(found).toBe(true);
    expect(isFound({ ref, archive: [], parked: [] })).toBe(false);
  });

  it('prints a presigned link without its query, and other fields by name only, never their value', () => {
    // Prepare
    const state = {
      status: 'completed',
      rank: 4,
      fields: {
        recordingUrl: 'https://media.example/rec.mp4?X-Amz-Signature=abcdef&X-Amz-Credential=AKIA1',
        reportUrl: 'https://app.example/report/rep-1',
        candidateEmail: 'jane@example.com',
        score: 88,
      },
    };

    // Act
    const lines = interviewLines({ ref, state, archive: [], parked: [] }, Date.UTC(2026, 11, 5));

    // Assess
    expect(lines).toContain(
      '  fields: recordingUrl=https://media.example/rec.mp4, reportUrl=https://app.example/report/rep-1',
    );
    expect(lines).toContain('  other fields (values not shown): candidateEmail, score');
    expect(lines.join('\n')).not.toMatch(/Signature|AKIA1|jane@|88/);
  });

  it.each([
    'token=tok_secret',
    'access_token=tok_secret',
    'sig=tok_secret',
    'Expires=1700000000&tok_secret',
    'key=tok_secret',
    'auth=tok_secret',
    'Policy=tok_secret',
    'credential=tok_secret',
  ])('prints a link whose query is a credential (?%s) without that query', (query) => {
    // Prepare: a vendor’s tokenised link (micro1 and ROUND0 media URLs carry such queries)
    const state = { status: 'completed', rank: 4, fields: { reportUrl: `https://app.example/r/1?${query}` } };

    // Act
    const lines = interviewLines({ ref, state, archive: [], parked: [] }, Date.UTC(2026, 11, 5));

    // Assess
    expect(lines).toContain('  fields: reportUrl=https://app.example/r/1');
    expect(lines.join('\n')).not.toContain('tok_secret');
  });

  it('keeps a link’s query that holds no credential, and shows a non-text id or link by name only', () => {
    // Prepare
    const state = {
      status: 'completed',
      rank: 4,
      fields: { reportUrl: 'https://app.example/r/1?page=2', applicationId: { nested: 'jane@example.com' } },
    };

    // Act
    const lines = interviewLines({ ref, state, archive: [], parked: [] }, Date.UTC(2026, 11, 5));

    // Assess
    expect(lines).toContain('  fields: reportUrl=https://app.example/r/1?page=2');
    expect(lines).toContain('  other fields (values not shown): applicationId');
  });
});

describe('readInterviews (edges)', () => {
  it('reads every page of an interview’s archive manifest', async () => {
    // Prepare: the manifest's items come in two pages
    const ledger = mockClient(DynamoDBDocumentClient);
    ledger.on(GetCommand).resolves({});
    ledger
      .on(QueryCommand)
      .resolvesOnce({
        Items: [{ sk: 'interviews/rep-1/a.mp3', size: 1 }],
        LastEvaluatedKey: { pk: 'x', sk: 'a' },
      })
      .resolves({ Items: [{ sk: 'interviews/rep-1/b.mp3', size: 2 }] });
    const reader = {
      dynamodb: new DynamoDBClient({ region: 'us-east-1' }),
      table: 'ledger',
      parking: { each: async function* () {} } as unknown as StatusReader['parking'],
    };

    // Act
    try {
      const [record] = await readInterviews(reader, [ref]);

      // Assess
      expect(record?.archive.map((item) => item.sk)).toEqual([
        'interviews/rep-1/a.mp3',
        'interviews/rep-1/b.mp3',
      ]);
    } finally {
      ledger.restore();
    }
  });
});
