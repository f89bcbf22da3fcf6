import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  ArchiveTimeBudgetError,
  InvalidPlaylistError,
  MediaUrlExpiredError,
  RecordingInProgressError,
  UnexpectedMediaSizeError,
} from '../../../functions/archive/errors.js';
import { AtsNotFoundError, AtsPermanentError, AtsTransientError } from '../../../functions/ats/errors.js';
import {
  UnreadableEventPayloadError,
  VendorApiAuthError,
  VendorApiRequestError,
  VendorApiResponseError,
} from '../../../functions/enrichment/errors.js';
import {
  EffectClaimLostError,
  EventInProgressError,
  InvalidInterviewUpdateError,
  MissingInterviewKeyError,
} from '../../../functions/ledger/errors.js';
import { ConfigurationError, SecretUnavailableError } from '../../../functions/platform/errors.js';
import { HttpPermanentError, HttpTransientError } from '../../../functions/platform/http.js';
import { UnreadableQueueMessageError } from '../../../functions/queue/errors.js';
import { EffectBusyError, UnmatchedCandidateError } from '../../../functions/sync/errors.js';
import { classifyFailure } from '../../../functions/sync/failures.js';

describe('classifyFailure', () => {
  it('dead-letters an ATS refusal with "adapter: reason"', () => {
    // Prepare
    const refused = new AtsPermanentError('lever: POST /notes failed with HTTP 403', {
      adapter: 'lever',
      status: 403,
      reason: 'forbidden',
    });

    // Act
    const disposition = classifyFailure(refused);

    // Assess
    expect(disposition).toEqual({ kind: 'permanent', reason: 'lever: forbidden' });
  });

  it('treats a record gone from the ATS as permanent too', () => {
    // Act
    const disposition = classifyFailure(new AtsNotFoundError('gone', { adapter: 'greenhouse', status: 404 }));

    // Assess
    expect(disposition).toEqual({ kind: 'permanent', reason: 'greenhouse: not_found' });
  });

  it('builds the reason from any adapter and reason, never from the message', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.string(), (adapter, reason, message) => {
        // Act
        const disposition = classifyFailure(new AtsPermanentError(message, { adapter, reason }));

        // Assess
        expect(disposition).toEqual({ kind: 'permanent', reason: `${adapter}: ${reason}` });
      }),
    );
  });

  it.each([
    ['an ATS outage', new AtsTransientError('lever: HTTP 503', { adapter: 'lever', status: 503 })],
    ['an HTTP timeout', new HttpTransientError('timed out', { operation: 'GET /interviews/{id}' })],
    ['a write another attempt is making first', new EffectBusyError('status:in_progress')],
    ['an unreadable secret', new SecretUnavailableError('the integration secret could not be read')],
    ['an unknown Error', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a thrown string', 'boom'],
    ['undefined', undefined],
  ])('retries %s', (_name, error) => {
    // Act
    const disposition = classifyFailure(error);

    // Assess
    expect(disposition).toEqual({ kind: 'transient' });
  });

  it('parks an unmatched candidate with its reason', () => {
    // Act
    const disposition = classifyFailure(new UnmatchedCandidateError('no candidate with this e-mail'));

    // Assess
    expect(disposition).toEqual({ kind: 'unmatched', reason: 'no candidate with this e-mail' });
  });

  it.each([
    ['EventInProgressError', new EventInProgressError('round0:evt_1')],
    ['EffectClaimLostError', new EffectClaimLostError('round0:evt_1', 'note,status:completed')],
  ])('retries the transient ledger error %s', (_name, error) => {
    // Act
    const disposition = classifyFailure(error);

    // Assess
    expect(disposition).toEqual({ kind: 'transient' });
  });

  it.each([
    ['MissingInterviewKeyError', new MissingInterviewKeyError('micro1', 'interview.started')],
    ['InvalidInterviewUpdateError', new InvalidInterviewUpdateError('occurredAt x is not a date')],
  ])('dead-letters the permanent ledger error %s, named by its class', (name, error) => {
    // Act
    const disposition = classifyFailure(error);

    // Assess
    expect(disposition).toEqual({ kind: 'permanent', reason: name });
  });

  it.each([
    [
      'a refused vendor API key',
      new VendorApiAuthError('micro1', 401),
      'micro1 API refused the API key (HTTP 401)',
    ],
    [
      'a refused vendor API request',
      new VendorApiRequestError('round0', 422),
      'round0 API refused the request (HTTP 422)',
    ],
    [
      'an unexpected vendor API answer',
      new VendorApiResponseError('micro1', 'report is not an object'),
      'micro1 API: report is not an object',
    ],
    [
      'an unreadable event payload',
      new UnreadableEventPayloadError('round0', 'interview_ended', ['data.responses.0.score']),
      'round0 interview_ended payload is unreadable at data.responses.0.score',
    ],
    [
      'an unreadable queue message',
      new UnreadableQueueMessageError('queue message is not JSON'),
      'queue message is not JSON',
    ],
    [
      'a permanent HTTP failure',
      new HttpPermanentError('GET /reports failed with HTTP 400', { operation: 'GET /reports', status: 400 }),
      'GET /reports failed with HTTP 400',
    ],
    [
      'a configuration error',
      new ConfigurationError('ATS_CONFIG for lever is invalid'),
      'ATS_CONFIG for lever is invalid',
    ],
  ])('dead-letters %s with its message as the reason', (_name, error, reason) => {
    // Act
    const disposition = classifyFailure(error);

    // Assess
    expect(disposition).toEqual({ kind: 'permanent', reason });
  });

  it('caps a permanent reason at 300 characters', () => {
    // Act
    const disposition = classifyFailure(new VendorApiResponseError('micro1', 'x'.repeat(1000)));

    // Assess
    expect(disposition.kind).toBe('permanent');
    expect(disposition.kind === 'permanent' && disposition.reason.length).toBe(300);
  });
});

describe('classifyFailure: archive errors', () => {
  it.each([
    [
      'a playlist that is not HLS',
      new InvalidPlaylistError('interviews/i/screen/index.m3u8', 'no #EXTM3U header'),
    ],
    ['a segment of the wrong size', new UnexpectedMediaSizeError('interviews/i/screen/v0/seg_0.ts', 100, 40)],
    [
      'an audio URL still expired after a refresh',
      new MediaUrlExpiredError('interviews/i/question_q.mp3', 'HTTP 403'),
    ],
  ])('parks %s as permanent, with a reason that names the key and no URL', (_name, error) => {
    // Act
    const disposition = classifyFailure(error);

    // Assess
    expect(disposition.kind).toBe('permanent');
    expect('reason' in disposition ? disposition.reason : '').toContain('interviews/i/');
    expect('reason' in disposition ? disposition.reason : '').not.toContain('http');
  });

  it.each([
    ['a recording still being written', new RecordingInProgressError('interviews/i/screen/v0/index.m3u8')],
    ["an invocation's time nearly spent", new ArchiveTimeBudgetError('GET of a segment')],
  ])('retries %s', (_name, error) => {
    // Act
    const disposition = classifyFailure(error);

    // Assess
    expect(disposition).toEqual({ kind: 'transient' });
  });
});
