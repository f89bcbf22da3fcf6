import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createLogAdapter } from '../../../functions/ats/log/adapter.js';
import { emailPseudonym } from '../../../functions/ats/pseudonym.js';
import type { AtsContext, ScreeningNote } from '../../../functions/ats/types.js';
import { captureOutput } from '../../helpers/captured-output.js';

const note: ScreeningNote = {
  title: 'AI screening for Ada Lovelace',
  marker: 'interview-sync:evt-1',
  sections: [{ heading: 'Questions', items: [{ label: 'Q', text: 'secret transcript' }] }],
  links: [{ label: 'Recording', url: 'https://media.example.com/1' }],
};
const ctx: AtsContext = { vendor: 'micro1', interviewId: 'int-1', eventKey: 'micro1:int-1:note' };
const pseudonymKey = 'a-local-pseudonym-key-of-32-chars-or-more';

describe('log adapter', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ats-log-'));
    path = join(dir, 'nested', 'ats-writes.jsonl');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('appends one JSON line per write, without PII', async () => {
    // Prepare
    const ats = createLogAdapter({ path }, { now: () => Date.parse('2026-11-25T10:00:00Z'), pseudonymKey });
    const match = await ats.findApplication({ email: 'Ada@Example.com' });
    if (!match) throw new Error('expected a match');

    // Act
    await ats.addNote(match, note, ctx);
    await ats.setStatus(match, 'completed', ctx);
    const moved = await ats.moveStage?.(match, { fromStageId: 'stage-1', toStageId: 'stage-9' }, ctx);
    await ats.setField?.(match, 'score', 'eighty-seven', ctx);
    await ats.addLinks?.(
      match,
      [{ label: 'Recording', url: 'https://media.example.com/1?token=secret' }],
      ctx,
    );

    // Assess
    const text = await readFile(path, 'utf8');
    const lines = text
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((l) => [l.action, l.summary])).toEqual([
      ['note', 'note: 1 section, 1 item, 1 link'],
      ['status', 'status: completed'],
      ['stage', 'stage: stage-1 -> stage-9'],
      ['field', 'field: score (12 chars)'],
      ['links', 'links: 1'],
    ]);
    expect(moved).toBe('moved');
    expect(lines[0]).toEqual({
      at: '2026-11-25T10:00:00.000Z',
      adapter: 'log',
      action: 'note',
      vendor: 'micro1',
      interviewId: 'int-1',
      eventKey: 'micro1:int-1:note',
      candidateId: match.candidateId,
      marker: 'interview-sync:evt-1',
      summary: 'note: 1 section, 1 item, 1 link',
    });
    expect(text).not.toMatch(/ada@example|lovelace|transcript|eighty|token=secret/i);
  });

  it('matches by application id or a keyed e-mail pseudonym, and nothing without either', async () => {
    // Prepare
    const ats = createLogAdapter({ path }, { pseudonymKey });

    // Act
    const byId = await ats.findApplication({ atsApplicationId: 'app-1', email: 'a@example.com' });
    const byEmail = [
      await ats.findApplication({ email: 'a@example.com' }),
      await ats.findApplication({ email: ' A@example.com' }),
    ];
    const none = await ats.findApplication({});

    // Assess
    expect(byId).toEqual({ candidateId: 'app-1', applicationId: 'app-1' });
    expect(byEmail[0]?.candidateId).toBe(emailPseudonym('a@example.com', pseudonymKey));
    expect(byEmail[0]?.candidateId).toMatch(/^email-hmac:[0-9a-f]{16}$/);
    expect(byEmail[1]).toEqual(byEmail[0]);
    expect(none).toBeUndefined();
  });

  it('writes no e-mail-derived id without a pseudonym key, and still finds its notes', async () => {
    // Prepare
    const ats = createLogAdapter({ path });
    const match = await ats.findApplication({ email: 'Ada@Example.com' });
    if (!match) throw new Error('expected a match');

    // Act
    await ats.addNote(match, note, ctx);
    const found = await ats.hasNote?.(match, note.marker);

    // Assess
    const [line] = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(line).not.toHaveProperty('candidateId');
    expect(found).toBe(true);
  });

  it('finds an earlier note by its marker for the same candidate only', async () => {
    // Prepare
    const ats = createLogAdapter({ path });
    const before = await ats.hasNote?.({ candidateId: 'app-1' }, note.marker);
    await ats.addNote({ candidateId: 'app-1' }, note, ctx);

    // Act
    const found = await ats.hasNote?.({ candidateId: 'app-1' }, note.marker);
    const otherCandidate = await ats.hasNote?.({ candidateId: 'app-2' }, note.marker);
    const otherMarker = await ats.hasNote?.({ candidateId: 'app-1' }, 'interview-sync:evt-2');

    // Assess
    expect([before, found, otherCandidate, otherMarker]).toEqual([false, true, false, false]);
  });

  it('reads a line another writer is still appending on a later look, not as an error', async () => {
    // Prepare
    const ats = createLogAdapter({ path });
    const lineOf = (candidateId: string, marker: string) =>
      `${JSON.stringify({ at: '2026-12-03T10:00:00.000Z', adapter: 'log', action: 'note', vendor: 'micro1', eventKey: 'k', candidateId, marker, summary: 'note' })}\n`;
    const second = lineOf('app-2', 'interview-sync:evt-2');
    await mkdir(dirname(path), { recursive: true });
    await appendFile(path, lineOf('app-1', note.marker) + second.slice(0, 40));

    // Act
    const whileAppending = await Promise.all([
      ats.hasNote?.({ candidateId: 'app-1' }, note.marker),
      ats.hasNote?.({ candidateId: 'app-2' }, 'interview-sync:evt-2'),
    ]);
    await appendFile(path, second.slice(40));
    const afterwards = await ats.hasNote?.({ candidateId: 'app-2' }, 'interview-sync:evt-2');

    // Assess
    expect(whileAppending).toEqual([true, false]);
    expect(afterwards).toBe(true);
  });

  it('forgets the notes of a file replaced at its path', async () => {
    // Prepare
    const ats = createLogAdapter({ path });
    await ats.addNote({ candidateId: 'app-1' }, note, ctx);
    const before = await ats.hasNote?.({ candidateId: 'app-1' }, note.marker);
    await rm(path);
    await writeFile(path, '');
    await ats.setStatus({ candidateId: 'app-9' }, 'completed', { ...ctx, eventKey: 'x'.repeat(400) });

    // Act
    const after = await ats.hasNote?.({ candidateId: 'app-1' }, note.marker);

    // Assess
    expect([before, after]).toEqual([true, false]);
  });

  it('prints the lines when its path is stdout (deployed: CloudWatch Logs), and finds no earlier note', async () => {
    // Prepare
    const ats = createLogAdapter({ path: 'stdout' });

    // Act
    const { stdout } = await captureOutput(() => ats.setStatus({ candidateId: 'app-1' }, 'completed', ctx));

    // Assess
    const printed = stdout.split('\n').filter((line) => line !== '');
    expect(printed.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        adapter: 'log',
        action: 'status',
        candidateId: 'app-1',
        summary: 'status: completed',
      }),
    ]);
    expect(await ats.hasNote?.({ candidateId: 'app-1' }, note.marker)).toBe(false);
  });

  it('prints no score in the keys and markers it logs (the sync puts them in a field write key and a proctoring follow-up)', async () => {
    // Prepare
    const ats = createLogAdapter({ path: 'stdout' });
    const followUp: ScreeningNote = {
      ...note,
      marker: 'interview-sync:micro1:report:R1:proctoring:85',
    };

    // Act
    const { stdout } = await captureOutput(async () => {
      await ats.setField?.({ candidateId: 'app-1' }, 'score', '72', {
        ...ctx,
        eventKey: 'micro1:report:R1:field:score:72',
      });
      await ats.addNote({ candidateId: 'app-1' }, followUp, {
        ...ctx,
        eventKey: 'micro1:report:R1:proctoring:85',
      });
    });

    // Assess
    const printed = stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { eventKey: string; marker?: string });
    expect(printed.map(({ eventKey, marker }) => ({ eventKey, marker }))).toEqual([
      { eventKey: 'micro1:report:R1:field:score', marker: undefined },
      { eventKey: 'micro1:report:R1:proctoring', marker: 'interview-sync:micro1:report:R1:proctoring' },
    ]);
  });
});
