import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import {
  noteHasMarker,
  renderNoteHtml,
  renderNoteText,
  summarizeNote,
  valueHasMarker,
} from '../../../functions/ats/note-render.js';
import type { ScreeningNote } from '../../../functions/ats/types.js';

const aNote = (overrides: Partial<ScreeningNote> = {}): ScreeningNote => ({
  title: 'AI screening: Backend Engineer',
  marker: 'interview-sync:round0:int-1:note',
  sections: [
    { heading: 'Summary', lines: ['Strong fundamentals'] },
    { heading: 'Questions', items: [{ label: 'Q1', text: 'A1' }] },
  ],
  links: [{ label: 'Recording', url: 'https://media.example.com/r/1' }],
  ...overrides,
});

const ashbyTags = new Set(['b', 'i', 'u', 'a', 'ul', 'ol', 'li', 'code', 'pre']);
const tagsOf = (html: string) =>
  [...html.matchAll(/<\/?([a-z][a-z0-9]*)\b/gi)].map((m) => m[1]?.toLowerCase());

describe('renderNoteText', () => {
  it('renders title, sections, links and ends with the marker line', () => {
    // Act
    const text = renderNoteText(aNote());

    // Assess
    expect(text).toBe(
      [
        'AI screening: Backend Engineer',
        'Summary\n- Strong fundamentals',
        'Questions\n- Q1: A1',
        'Links\n- Recording: https://media.example.com/r/1',
        'ref: interview-sync:round0:int-1:note',
      ].join('\n\n'),
    );
  });

  it('flattens newlines in values so an answer cannot forge a heading or a marker line', () => {
    // Prepare
    const note = aNote({
      sections: [{ heading: 'Q', items: [{ label: 'L', text: 'x\n\nref: interview-sync:forged' }] }],
    });

    // Act
    const lines = renderNoteText(note).split('\n');

    // Assess
    expect(lines.filter((line) => line.startsWith('ref: '))).toEqual([
      'ref: interview-sync:round0:int-1:note',
    ]);
  });
});

describe('renderNoteHtml', () => {
  it("uses only Ashby's tags and escapes text, attributes and unsafe links", () => {
    // Prepare
    const note = aNote({
      title: 'Tom & "Jerry" <script>alert(1)</script>',
      links: [
        { label: 'ok', url: 'https://media.example.com/r?a=1&b="2"' },
        { label: 'bad', url: 'javascript:alert(1)' },
      ],
    });

    // Act
    const html = renderNoteHtml(note);

    // Assess
    expect(tagsOf(html).every((tag) => ashbyTags.has(tag ?? ''))).toBe(true);
    expect(html).toContain('<b>Tom &amp; &quot;Jerry&quot; &lt;script&gt;alert(1)&lt;/script&gt;</b>');
    expect(html).toContain('<a href="https://media.example.com/r?a=1&amp;b=%222%22">ok</a>');
    expect(html).not.toContain('href="javascript');
    expect(html.endsWith('<i>ref: interview-sync:round0:int-1:note</i>')).toBe(true);
  });

  it('keeps to the subset and carries a findable marker for any text (property)', () => {
    const text = fc.string({ maxLength: 40 });
    fc.assert(
      fc.property(
        text,
        text,
        text,
        fc.string({ minLength: 1, maxLength: 20 }),
        (title, heading, line, key) => {
          // Prepare
          const note = aNote({
            title,
            marker: `interview-sync:${key}`,
            sections: [{ heading, lines: [line] }],
          });

          // Act
          const html = renderNoteHtml(note);

          // Assess
          expect(tagsOf(html).every((tag) => ashbyTags.has(tag ?? ''))).toBe(true);
          expect(noteHasMarker(html, note.marker)).toBe(true);
          expect(noteHasMarker(renderNoteText(note), note.marker)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('noteHasMarker / valueHasMarker', () => {
  it('finds its own marker only (not a marker it is a prefix of), in text, HTML and nested note objects', () => {
    // Prepare
    const note = aNote({ marker: 'interview-sync:a&b' });
    const leverNote = { id: 'n', fields: [{ value: renderNoteText(note) }] };

    // Act
    const found = [
      noteHasMarker(renderNoteText(note), note.marker),
      noteHasMarker(renderNoteHtml(note), note.marker),
    ];
    const nested = valueHasMarker(leverNote, note.marker);
    const prefix = [
      noteHasMarker(renderNoteText(note), 'interview-sync:a'),
      noteHasMarker(renderNoteHtml(note), 'interview-sync:a'),
      noteHasMarker(
        `${renderNoteText(aNote({ marker: 'interview-sync:evt-10' }))}\n`,
        'interview-sync:evt-1',
      ),
    ];

    // Assess
    expect(found).toEqual([true, true]);
    expect(nested).toBe(true);
    expect(prefix).toEqual([false, false, false]);
    expect(noteHasMarker(renderNoteText(note), 'interview-sync:zzz')).toBe(false);
  });
});

describe('a marker quoted by the note content', () => {
  it("is not found: an answer quoting a follow-up's marker does not pass the note for that follow-up", () => {
    // Prepare: a candidate's answer quoting the (predictable) marker of the interview's recording follow-up
    const followUp = 'interview-sync:round0:int-1:recording:screen';
    const note = aNote({
      sections: [{ heading: 'Questions', items: [{ label: 'Q1', text: `see ref: ${followUp} here` }] }],
      links: [{ label: `ref: ${followUp}`, url: 'https://media.example.com/r/1' }],
    });

    // Act
    const forged = [renderNoteText(note), renderNoteHtml(note)].map((body) => noteHasMarker(body, followUp));
    const own = [renderNoteText(note), renderNoteHtml(note)].map((body) => noteHasMarker(body, note.marker));

    // Assess: the content still reads the same (a space added), the note's own marker found
    expect(forged).toEqual([false, false]);
    expect(own).toEqual([true, true]);
    expect(renderNoteText(note)).toContain('see ref: interview-sync :round0:int-1:recording:screen here');
  });
});

describe('summarizeNote', () => {
  it('counts sections, items and links without any text', () => {
    // Prepare
    const note = aNote({
      sections: [
        { heading: 'secret heading', lines: ['ada@example.com', 'b'] },
        { heading: 'Q', items: [{ label: 'x', text: 'transcript' }] },
      ],
    });

    // Act
    const summary = summarizeNote(note);

    // Assess
    expect(summary).toBe('note: 2 sections, 3 items, 1 link');
  });
});
