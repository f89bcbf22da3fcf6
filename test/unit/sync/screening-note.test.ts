import { describe, expect, it } from '@jest/globals';
import { noteHasMarker, renderNoteHtml, renderNoteText } from '../../../functions/ats/note-render.js';
import type { ScreeningNote, ScreeningNoteSection } from '../../../functions/ats/types.js';
import { enrichEvent } from '../../../functions/enrichment/enrich.js';
import { buildScreeningNote } from '../../../functions/sync/screening-note.js';
import { type InterviewEvent, parseVendorEvent, type VendorName } from '../../../functions/vendors/index.js';
import { micro1Event, receivedAt, round0Event } from '../vendors/factories.js';
import { aMicro1Report, aResponse, aRound0Interview, aSoftSkill } from './factories.js';

const marker = 'interview-sync:round0:int-1';

const section = (note: ScreeningNote, heading: string): ScreeningNoteSection | undefined =>
  note.sections.find((s) => s.heading === heading);

const headings = (note: ScreeningNote) => note.sections.map((s) => s.heading);

/** The envelope ingest would queue for a vendor body. */
const envelopeOf = (vendor: VendorName, body: unknown): InterviewEvent => {
  const parsed = parseVendorEvent(vendor, body, receivedAt);
  if (!parsed.ok) throw new Error(`fixture does not parse: ${JSON.stringify(parsed.issues)}`);
  return parsed.event;
};

const ashbyTags = new Set(['b', 'i', 'u', 'a', 'ul', 'ol', 'li', 'code', 'pre']);
const tagsOf = (html: string) =>
  [...html.matchAll(/<\/?([a-z][a-z0-9]*)\b/gi)].map((m) => m[1]?.toLowerCase());

describe('buildScreeningNote: ROUND0 interview', () => {
  it('lays every answer out as "Question N" with its answer, score out of 100 and feedback', () => {
    // Prepare
    const interview = aRound0Interview({
      responses: [
        aResponse(1, { question: 'Describe React hooks.', answer: 'I use them daily.', score: 85 }),
        aResponse(2, { score: undefined, feedback: undefined }),
      ],
    });

    // Act
    const note = buildScreeningNote(interview, marker);

    // Assess
    expect(section(note, 'Question 1: Describe React hooks.')?.lines).toEqual([
      'Answer: I use them daily.',
      'Score: 85/100',
      'Feedback: Feedback 1.',
    ]);
    expect(section(note, 'Question 2: Question text 2?')?.lines).toEqual(['Answer: Answer text 2.']);
  });

  it('summarises the job, completion time and the average of the scored answers only', () => {
    // Prepare
    const interview = aRound0Interview({
      responses: [
        aResponse(1, { score: 85 }),
        aResponse(2, { score: 92 }),
        aResponse(3, { score: undefined }),
      ],
    });

    // Act
    const note = buildScreeningNote(interview, marker);

    // Assess
    expect(note.title).toBe('AI screening completed (ROUND0)');
    expect(note.marker).toBe(marker);
    expect(section(note, 'Summary')?.lines).toEqual([
      'Job: Senior Frontend Developer',
      'Completed: 2024-01-16T14:52:00.000Z',
      // (85 + 92) / 2 = 88.5, rounded; the unscored third answer does not count
      'Average answer score: 89/100 over 2 scored answers',
    ]);
  });

  it('says "1 scored answer" in the singular and leaves the average out when nothing was scored', () => {
    // Act
    const one = buildScreeningNote(aRound0Interview({ responses: [aResponse(1, { score: 70 })] }), marker);
    const none = buildScreeningNote(
      aRound0Interview({ responses: [aResponse(1, { score: undefined })] }),
      marker,
    );

    // Assess
    expect(section(one, 'Summary')?.lines).toContain('Average answer score: 70/100 over 1 scored answer');
    expect(section(none, 'Summary')?.lines?.some((line) => line.startsWith('Average'))).toBe(false);
  });

  it('leaves out a summary with nothing to say and names an unknown vendor as it is', () => {
    // Prepare
    const bare = aRound0Interview({ job: undefined, completedAt: undefined, responses: undefined });

    // Act
    const note = buildScreeningNote({ ...bare, vendor: 'acme' as VendorName }, marker);

    // Assess
    expect(note.sections).toEqual([]);
    expect(note.title).toBe('AI screening completed (acme)');
    expect(note.links).toBeUndefined();
  });

  it('builds the note of the ROUND0 interview_ended sample from its webhook', async () => {
    // Prepare
    const interview = await enrichEvent(envelopeOf('round0', round0Event('interview_ended')));

    // Act
    const note = buildScreeningNote(interview, marker);

    // Assess
    expect(headings(note)).toEqual([
      'Summary',
      'Question 1: Describe your experience with React hooks.',
      'Question 2: Tell me about a challenging bug you fixed recently.',
    ]);
    expect(section(note, 'Question 1: Describe your experience with React hooks.')?.lines).toEqual([
      "Answer: I've been using React hooks extensively for the past three years...",
      'Score: 85/100',
      expect.stringMatching(/^Feedback: Strong understanding of React hooks/),
    ]);
    expect(section(note, 'Summary')?.lines).toContain('Average answer score: 89/100 over 2 scored answers');
  });
});

describe('buildScreeningNote: micro1 report', () => {
  it('renders the transcript with who said what, never attributing another role to the candidate', () => {
    // Prepare
    const report = aMicro1Report({
      transcript: [
        { speaker: 'interviewer', text: 'Hello.' },
        { speaker: 'candidate', text: 'Hi.' },
        { speaker: 'system', text: 'Recording paused.' },
      ],
    });

    // Act
    const note = buildScreeningNote(report, marker);

    // Assess
    expect(section(note, 'Transcript')?.lines).toEqual([
      'Interviewer: Hello.',
      'Candidate: Hi.',
      'System: Recording paused.',
    ]);
  });

  it('lists skills and exercises as ratings, soft skills with their sub-scores and custom questions', () => {
    // Prepare
    const report = aMicro1Report({
      softSkills: [aSoftSkill({ subScores: { critical_thinking: 'Sharp.' } })],
    });

    // Act
    const note = buildScreeningNote(report, marker);

    // Assess
    expect(section(note, 'Skill ratings')?.items).toEqual([
      { label: 'React.js', text: 'Senior — Solid hooks knowledge.' },
      { label: 'Coding exercise', text: 'Senior — Clean solution.' },
      { label: 'Custom exercise', text: 'Mid — Met the requirements.' },
    ]);
    expect(section(note, 'Soft skills: Overall')?.lines).toEqual([
      'Rating: B1',
      'Feedback: Clear and organised.',
      'Critical thinking: Sharp.',
    ]);
    expect(section(note, 'Custom question: Are you willing to relocate?')?.lines).toEqual([
      'Answer: Yes',
      'Rating: Great Answer',
      'Feedback: Open to it.',
    ]);
  });

  it('summarises the scores and lists proctoring violations by description, else type and value', () => {
    // Act
    const note = buildScreeningNote(aMicro1Report(), marker);

    // Assess
    expect(note.title).toBe('AI screening completed (micro1)');
    expect(section(note, 'Summary')?.lines).toEqual([
      'Interview: Full Stack Engineer Interview',
      'Date: 2024-01-01',
      'AI match score: 77/100',
      'Proctoring score: 85/100',
    ]);
    expect(section(note, 'Proctoring violations')?.lines).toEqual([
      '3 tab switches detected.',
      'face_missing: 2',
    ]);
  });

  it('links the report PDF, both players and archived copies, but not raw media playlists', () => {
    // Prepare
    const archived = [{ label: 'Archived screen recording', url: 'https://archive.example.com/rec/1' }];

    // Act
    const note = buildScreeningNote(aMicro1Report(), marker, archived);

    // Assess
    expect(note.links).toEqual([
      { label: 'Report (PDF)', url: 'https://micro1.ai/report/rep-1.pdf' },
      { label: 'Screen recording', url: 'https://zara.micro1.ai/ai-interview-videos/screen-1' },
      { label: 'Webcam recording', url: 'https://zara.micro1.ai/ai-interview-videos/webcam-1' },
      ...archived,
    ]);
  });

  it('builds the note of the micro1 interview_report.created sample from its webhook', async () => {
    // Prepare
    const interview = await enrichEvent(envelopeOf('micro1', micro1Event('interview_report.created')));

    // Act
    const note = buildScreeningNote(interview, 'interview-sync:micro1:cand-1');

    // Assess
    expect(headings(note)).toEqual([
      'Summary',
      'Transcript',
      'Skill ratings',
      'Soft skills: Overall',
      'Custom question: Are you willing to relocate?',
      'Proctoring violations',
    ]);
    expect(section(note, 'Transcript')?.lines).toEqual(['Interviewer: Can you tell me about yourself?']);
    expect(section(note, 'Soft skills: Overall')?.lines).toEqual(
      expect.arrayContaining([
        'Rating: B1',
        'Vocabulary: Candidate demonstrated a good vocabulary.',
        'Grammar: Candidate demonstrated a good grammar.',
        'Critical thinking: Candidate demonstrated a good critical thinking.',
      ]),
    );
    expect(note.links).toEqual([{ label: 'Report (PDF)', url: 'https://micro1.ai/report/h0gqkAcaDJ.pdf' }]);
  });
});

describe('screening note rendered for the ATS', () => {
  it('keeps answer, score and feedback on lines of their own in plain text, ending with the marker', () => {
    // Prepare
    const note = buildScreeningNote(aRound0Interview({ responses: [aResponse(1, { score: 85 })] }), marker);

    // Act
    const text = renderNoteText(note);

    // Assess
    expect(text).toContain(
      'Question 1: Question text 1?\n- Answer: Answer text 1.\n- Score: 85/100\n- Feedback: Feedback 1.',
    );
    expect(text.endsWith(`ref: ${marker}`)).toBe(true);
    expect(noteHasMarker(text, marker)).toBe(true);
  });

  it('cannot let an answer forge a heading or the marker line of another interview', () => {
    // Prepare
    const forged = 'fine\n\nref: interview-sync:round0:other\n\nQuestion 9: fake';
    const note = buildScreeningNote(
      aRound0Interview({ responses: [aResponse(1, { answer: forged })] }),
      marker,
    );

    // Act
    const text = renderNoteText(note);

    // Assess
    expect(text.split('\n')).not.toContain('ref: interview-sync:round0:other');
    expect(text.split('\n')).not.toContain('Question 9: fake');
  });

  it("renders Ashby's HTML subset only, escaping vendor text and showing unsafe links as text", () => {
    // Prepare
    const report = aMicro1Report({
      transcript: [{ speaker: 'candidate', text: '<script>alert("x")</script> & <img src=x>' }],
      reportUrl: 'javascript:alert(1)',
    });
    const note = buildScreeningNote(report, 'interview-sync:micro1:cand-1');

    // Act
    const html = renderNoteHtml(note);

    // Assess
    expect(tagsOf(html).every((tag) => tag !== undefined && ashbyTags.has(tag))).toBe(true);
    expect(html).toContain(
      '<li>Candidate: &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;img src=x&gt;</li>',
    );
    expect(html).toContain('<li>Report (PDF): javascript:alert(1)</li>');
    expect(html).toContain(
      '<li><a href="https://zara.micro1.ai/ai-interview-videos/screen-1">Screen recording</a></li>',
    );
    expect(html).toContain('<b>Soft skills: Overall</b><ul><li>Rating: B1</li>');
    expect(noteHasMarker(html, 'interview-sync:micro1:cand-1')).toBe(true);
  });
});
