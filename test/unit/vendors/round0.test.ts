import { parseVendorEvent } from '../../../functions/vendors/index.js';
import { type EventChanges, type Json, receivedAt, round0Event } from './factories.js';

const parse = (body: unknown) => parseVendorEvent('round0', body, receivedAt);
const ended = (changes?: EventChanges) => round0Event('interview_ended', changes);

describe('ROUND0 events: rejected bodies', () => {
  it.each<[string, Json, string]>([
    ['created as a string', ended({ set: { created: '1640001520' } }), 'created'],
    ['created with a fraction', ended({ set: { created: 1640001520.5 } }), 'created'],
    ['created negative', ended({ set: { created: -1 } }), 'created'],
    ['created past year 9999', ended({ set: { created: 1e15 } }), 'created'],
    ['no id', ended({ remove: ['id'] }), 'id'],
    ['an empty id', ended({ set: { id: '' } }), 'id'],
    ['a numeric id', ended({ set: { id: 42 } }), 'id'],
    ['no data.interview.id', ended({ remove: ['data.interview.id'] }), 'data.interview.id'],
    ['no data.candidate.id', ended({ remove: ['data.candidate.id'] }), 'data.candidate.id'],
    ['no data.candidate', ended({ remove: ['data.candidate'] }), 'data.candidate'],
    ['score as a string', ended({ set: { 'data.responses.0.score': '85' } }), 'data.responses.0.score'],
    ['score above 100', ended({ set: { 'data.responses.1.score': 101 } }), 'data.responses.1.score'],
    ['score below 0', ended({ set: { 'data.responses.0.score': -1 } }), 'data.responses.0.score'],
    ['responses as an object', ended({ set: { 'data.responses': {} } }), 'data.responses'],
    ['data as an array', ended({ set: { data: [] } }), 'data'],
    [
      'an unknown type without created',
      ended({ set: { type: 'interview_expired' }, remove: ['created'] }),
      'created',
    ],
  ])('refuses %s at its path', (_, body, path) => {
    // Act
    const result = parse(body);

    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((issue) => issue.path)).toEqual([path]);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['an array', []],
    ['a string', 'interview_ended'],
  ])('refuses %s as the body with the empty path', (_, body) => {
    // Act
    const result = parse(body);

    // Assess
    expect(result).toEqual({ ok: false, issues: [{ path: '', message: expect.any(String) }] });
  });

  it('reports every issue, not only the first', () => {
    // Prepare
    const body = ended({ set: { created: 'yesterday', 'data.responses.0.score': '85' }, remove: ['id'] });

    // Act
    const result = parse(body);

    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((issue) => issue.path).sort()).toEqual(['created', 'id']);
    }
  });

  it('reports data issues once the envelope is valid', () => {
    // Prepare
    const body = ended({ set: { 'data.responses.0.score': '85' }, remove: ['data.interview.id'] });

    // Act
    const result = parse(body);

    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues.map((issue) => issue.path).sort()).toEqual([
        'data.interview.id',
        'data.responses.0.score',
      ]);
    }
  });

  it('never quotes the received value in a message (it may be PII)', () => {
    // Prepare
    const body = ended({
      set: {
        'data.candidate.email': ['jane@example.com'],
        'data.responses.0.transcript': 4242,
        'data.responses.0.score': 'secret-85',
      },
    });

    // Act
    const result = parse(body);

    // Assess
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.issues).toHaveLength(3);
      const messages = JSON.stringify(result.issues);
      expect(messages).not.toContain('jane@example.com');
      expect(messages).not.toContain('4242');
      expect(messages).not.toContain('secret-85');
      expect(messages).toContain('expected');
    }
  });
});

describe('ROUND0 events: what reality sends is accepted', () => {
  it.each<[string, EventChanges]>([
    [
      'ids that are not UUIDs',
      { set: { 'data.interview.id': 'test-interview-id', 'data.candidate.id': 'x' } },
    ],
    ['a null department and location', { set: { 'data.job.department': null, 'data.job.location': null } }],
    ['a null candidate title', { set: { 'data.candidate.title': null } }],
    [
      'a null score and feedback',
      { set: { 'data.responses.0.score': null, 'data.responses.0.feedback': null } },
    ],
    [
      'an absent score, feedback and audio_url',
      { remove: ['data.responses.0.score', 'data.responses.0.feedback', 'data.responses.0.audio_url'] },
    ],
    ['a fractional score', { set: { 'data.responses.0.score': 87.5 } }],
    ['an undocumented question_type', { set: { 'data.responses.0.question_type': 'culture_fit' } }],
    ['no responses at all', { remove: ['data.responses'] }],
  ])('accepts %s', (_, changes) => {
    // Act
    const result = parse(ended(changes));

    // Assess
    expect(result.ok).toBe(true);
  });

  it('leaves a null e-mail out of the candidate', () => {
    // Prepare
    const body = ended({ set: { 'data.candidate.email': null } });

    // Act
    const result = parse(body);

    // Assess
    expect(result.ok && result.event.candidate).toStrictEqual({
      name: 'Jane Smith',
      vendorId: '770g0622-g41d-63f6-c938-668877662222',
    });
  });

  it('passes unknown fields through untouched at every level', () => {
    // Prepare
    const body = ended({
      set: {
        api_version: '2025-01-01',
        'data.interview.recording': { url: 'https://example.com/r.mp4', seconds: 900 },
        'data.responses.0.sentiment': ['positive', 0.9],
        'data.new_section': { nested: { deep: true } },
      },
    });
    const pristine = structuredClone(body);

    // Act
    const result = parse(body);

    // Assess
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.event.payload).toStrictEqual(pristine);
      expect(result.event.payload).toBe(body);
    }
  });
});

describe('ROUND0 events of unknown types', () => {
  it('queues a valid envelope of an unknown type as not known, keyed on its id', () => {
    // Prepare
    const body = ended({
      set: { type: 'interview_expired', 'data.interview': { id: 'int-1' } },
      remove: ['data.responses'],
    });

    // Act
    const result = parse(body);

    // Assess
    expect(result).toStrictEqual({
      ok: true,
      event: {
        schemaVersion: 1,
        vendor: 'round0',
        type: 'interview_expired',
        known: false,
        dedupeKey: 'round0:evt_660f9511f30c52e5b827557766551111',
        vendorEventId: 'evt_660f9511f30c52e5b827557766551111',
        occurredAt: '2021-12-20T11:58:40.000Z',
        receivedAt: '2024-06-01T12:00:00.000Z',
        interviewId: 'int-1',
        candidate: {
          email: 'jane@example.com',
          name: 'Jane Smith',
          vendorId: '770g0622-g41d-63f6-c938-668877662222',
        },
        payload: body,
      },
    });
  });

  it('reads no interview or candidate from an unknown type whose data has other shapes', () => {
    // Prepare
    const body = ended({ set: { type: 'credits_low', data: { interview: 7, candidate: ['x'] } } });

    // Act
    const result = parse(body);

    // Assess
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.event.known).toBe(false);
      expect(result.event.interviewId).toBeUndefined();
      expect(result.event.candidate).toStrictEqual({});
    }
  });
});

describe('ROUND0 dedupe keys', () => {
  it('gives every delivery of the same event the same key, and another event another key', () => {
    // Prepare
    const first = ended();
    const redelivery = ended();
    const other = ended({ set: { id: 'evt_00000000000000000000000000000001' } });

    // Act
    const [a, b, c] = [first, redelivery, other].map((body) => parse(body));

    // Assess
    expect(a?.ok && b?.ok && c?.ok).toBe(true);
    if (a?.ok && b?.ok && c?.ok) {
      expect(a.event.dedupeKey).toBe(b.event.dedupeKey);
      expect(c.event.dedupeKey).not.toBe(a.event.dedupeKey);
    }
  });
});
