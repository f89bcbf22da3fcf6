import { describe, expect, it } from '@jest/globals';
import { buildCreateNote as buildAshbyNote, buildChangeStage } from '../../../functions/ats/ashby/api.js';
import {
  buildCreateNote,
  buildListCandidatesByEmail,
  buildMoveApplication,
  buildTokenRequest,
  parseNextLink,
} from '../../../functions/ats/greenhouse/api.js';
import { buildCreateNote as buildLeverNote, buildUpdateTags } from '../../../functions/ats/lever/api.js';

const base = 'https://harvest.greenhouse.io/v3';

describe('Greenhouse request builders', () => {
  it('builds the client-credentials token request', () => {
    // Act
    const request = buildTokenRequest(
      'https://auth.greenhouse.io/token',
      { clientId: 'id', clientSecret: 'secret' },
      '42',
    );

    // Assess
    expect(request).toEqual({
      method: 'POST',
      url: 'https://auth.greenhouse.io/token',
      headers: {
        authorization: `Basic ${Buffer.from('id:secret').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: 'grant_type=client_credentials&sub=42',
      idempotent: true,
      operation: 'POST /token',
    });
  });

  it('builds list, note and move requests with v3 routes, plural filters and numeric ids', () => {
    // Act
    const list = buildListCandidatesByEmail(`${base}/`, 'a+b@example.com', 100);
    const note = buildCreateNote(base, {
      candidateId: '11',
      userId: '42',
      body: 'text',
      visibility: 'private',
    });
    const move = buildMoveApplication(base, '101', undefined, '501');

    // Assess
    expect(list.url).toBe(`${base}/candidates?email=a%2Bb%40example.com&per_page=100`);
    expect(note).toMatchObject({ method: 'POST', url: `${base}/notes` });
    expect(JSON.parse(note.body ?? '')).toEqual({
      candidate_id: 11,
      user_id: 42,
      body: 'text',
      visibility: 'private',
      note_type: 'NOTE',
    });
    expect(move).toMatchObject({ url: `${base}/applications/101/move`, body: '{"to_stage_id":501}' });
  });

  it.each([
    ['<https://h.example/v3/notes?cursor=abc>; rel="next"', 'https://h.example/v3/notes?cursor=abc'],
    [
      '<https://h.example/a>; rel="prev", <https://h.example/b?cursor=x,y>; rel="next"',
      'https://h.example/b?cursor=x,y',
    ],
    ['<https://h.example/a>; rel="prev"', undefined],
    ['<https://h.example/a>; rel="next last"', 'https://h.example/a'],
    [null, undefined],
  ])('reads the next link of %p', (header, expected) => {
    // Act
    const next = parseNextLink(header);

    // Assess
    expect(next).toBe(expected);
  });
});

describe('Lever and Ashby request builders', () => {
  it('put perform_as on Lever writes and send JSON bodies', () => {
    // Act
    const note = buildLeverNote('https://api.lever.co/v1', 'key', 'opp 1', {
      value: 'v',
      performAs: 'u-1',
      secret: false,
    });
    const tags = buildUpdateTags('https://api.lever.co/v1', 'key', 'opp-1', 'removeTags', ['t'], 'u-1');

    // Assess
    expect(note).toMatchObject({
      method: 'POST',
      url: 'https://api.lever.co/v1/opportunities/opp%201/notes?perform_as=u-1',
      headers: { authorization: `Basic ${Buffer.from('key:').toString('base64')}` },
      body: '{"value":"v","secret":false}',
    });
    expect(tags).toMatchObject({
      url: 'https://api.lever.co/v1/opportunities/opp-1/removeTags?perform_as=u-1',
      body: '{"tags":["t"]}',
    });
  });

  it('make every Ashby call a POST to /<endpoint>', () => {
    // Act
    const note = buildAshbyNote('https://api.ashbyhq.com', 'key', 'c-1', '<b>x</b>');
    const stage = buildChangeStage('https://api.ashbyhq.com', 'key', 'a-1', 's-1');

    // Assess
    expect(note).toMatchObject({
      method: 'POST',
      url: 'https://api.ashbyhq.com/candidate.createNote',
      idempotent: false,
    });
    expect(JSON.parse(note.body ?? '')).toEqual({
      candidateId: 'c-1',
      note: { type: 'text/html', value: '<b>x</b>' },
      sendNotifications: false,
    });
    expect(stage).toMatchObject({
      url: 'https://api.ashbyhq.com/application.changeStage',
      body: '{"applicationId":"a-1","interviewStageId":"s-1"}',
    });
  });
});
