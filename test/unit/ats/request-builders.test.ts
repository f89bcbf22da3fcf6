import { describe, expect, it } from '@jest/globals';
import {
  buildCreateNote as buildAshbyNote,
  buildChangeStage,
  buildSetCustomField,
  buildTagChange,
} from '../../../functions/ats/ashby/api.js';
import {
  buildCreateNote,
  buildListCandidatesByEmail,
  buildListCurrentApplicationStage,
  buildMoveApplication,
  buildTokenRequest,
  greenhouseMoveFromStageId,
  parseNextLink,
} from '../../../functions/ats/greenhouse/api.js';
import { tokenLifetimeMs } from '../../../functions/ats/greenhouse/client.js';
import {
  buildAddLinks,
  buildCreateNote as buildLeverNote,
  buildUpdateTags,
} from '../../../functions/ats/lever/api.js';

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
    const move = buildMoveApplication(base, '101', '500', '501');
    const current = buildListCurrentApplicationStage(base, '101', 100);

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
    expect(move).toMatchObject({
      method: 'POST',
      url: `${base}/applications/101/move`,
      body: '{"from_stage_id":500,"to_stage_id":501}',
      idempotent: true,
    });
    expect(current).toMatchObject({
      method: 'GET',
      url: `${base}/application_stages?application_ids=101&current=true&per_page=100`,
    });
  });

  it('sends the job-interview-stage id of the current application-stage row as from_stage_id', () => {
    // Act
    const from = greenhouseMoveFromStageId({ id: '9001', job_interview_stage_id: '500' });

    // Assess
    expect(from).toBe('500');
  });

  it.each([
    [{ access_token: 't', expires_in: 3600 }, 3_600_000],
    [{ access_token: 't', expires_at: '2026-11-25T11:00:00Z' }, 3_600_000],
    [{ access_token: 't', expires_at: Date.parse('2026-11-25T11:00:00Z') / 1000 }, 3_600_000],
    [{ access_token: 't', expires_at: Date.parse('2026-11-25T11:00:00Z') }, 3_600_000],
    [{ access_token: 't' }, 3_600_000],
  ])('reads the token lifetime from %p', (answer, expected) => {
    // Act
    const lifetime = tokenLifetimeMs(answer, Date.parse('2026-11-25T10:00:00Z'));

    // Assess
    expect(lifetime).toBe(expected);
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

  it('sends Lever links as a list of URL strings with perform_as', () => {
    // Act
    const links = buildAddLinks('https://api.lever.co/v1', 'key', 'opp-1', ['https://a.example/1'], 'u-1');

    // Assess
    expect(links).toMatchObject({
      method: 'POST',
      url: 'https://api.lever.co/v1/opportunities/opp-1/addLinks?perform_as=u-1',
      body: '{"links":["https://a.example/1"]}',
    });
  });

  it('send Ashby removeTag as { candidateId, tagId } and object types in PascalCase', () => {
    // Act
    const remove = buildTagChange('https://api.ashbyhq.com', 'key', 'candidate.removeTag', 'c-1', 't-1');
    const field = buildSetCustomField('https://api.ashbyhq.com', 'key', {
      objectId: 'a-1',
      objectType: 'Application',
      fieldId: 'f-1',
      value: '87',
    });

    // Assess
    expect(remove).toMatchObject({
      url: 'https://api.ashbyhq.com/candidate.removeTag',
      body: '{"candidateId":"c-1","tagId":"t-1"}',
    });
    expect(JSON.parse(field.body ?? '')).toEqual({
      objectId: 'a-1',
      objectType: 'Application',
      fieldId: 'f-1',
      fieldValue: '87',
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
