/**
 * Builds the recruiter-facing screening note from an enriched interview: answers as "Question N / Answer"
 * (the layout of ROUND0's guide) with per-question scores and feedback, the transcript, skill ratings,
 * soft skills, custom questions, proctoring and links.
 * Vendor-neutral; each ATS adapter renders it as plain text or its HTML subset.
 */
import type { ScreeningNote, ScreeningNoteSection } from '../ats/types.js';
import type { EnrichedEvaluation, EnrichedInterview } from '../enrichment/enriched-interview.js';
import type { NotePart } from './plan.js';

const vendorLabels: Record<string, string> = { round0: 'ROUND0', micro1: 'micro1' };

/*
 * Every renderer flattens a line or an item to one line (note-render.ts: a value must not be able to forge a
 * heading or the marker line), so a block that needs several lines (a question with its answer, score and
 * feedback) is a section of its own, never an item whose text holds newlines.
 */

const evaluation = (e: EnrichedEvaluation): string =>
  [e.rating, e.feedback].filter((part) => part !== undefined && part !== '').join(' — ');

/** "Rating: …" and "Feedback: …" lines of an evaluation (nothing for an empty one). */
const evaluationLines = (e: EnrichedEvaluation): string[] => [
  ...(e.rating === undefined || e.rating === '' ? [] : [`Rating: ${e.rating}`]),
  ...(e.feedback === undefined || e.feedback === '' ? [] : [`Feedback: ${e.feedback}`]),
];

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Mean of the scored answers, and how many were scored (unscored answers do not count). */
export const averageScore = (
  interview: EnrichedInterview,
): { average: number; count: number } | undefined => {
  const scores = (interview.responses ?? []).flatMap((r) => (r.score === undefined ? [] : [r.score]));
  if (scores.length === 0) return undefined;
  return { average: Math.round(scores.reduce((a, b) => a + b, 0) / scores.length), count: scores.length };
};

const summarySection = (interview: EnrichedInterview): ScreeningNoteSection | undefined => {
  const average = averageScore(interview);
  const lines = [
    interview.job?.title === undefined ? undefined : `Job: ${interview.job.title}`,
    interview.interviewName === undefined ? undefined : `Interview: ${interview.interviewName}`,
    interview.completedAt === undefined
      ? interview.interviewDate === undefined
        ? undefined
        : `Date: ${interview.interviewDate}`
      : `Completed: ${interview.completedAt}`,
    average === undefined
      ? undefined
      : `Average answer score: ${average.average}/100 over ${plural(average.count, 'scored answer')}`,
    interview.aiMatchScore === undefined ? undefined : `AI match score: ${interview.aiMatchScore}/100`,
    interview.proctoring?.score === undefined
      ? undefined
      : `Proctoring score: ${interview.proctoring.score}/100`,
  ].filter((line): line is string => line !== undefined);
  return lines.length === 0 ? undefined : { heading: 'Summary', lines };
};

/** One section per answered question: "Question N: …" then Answer / Score / Feedback (ROUND0's layout). */
const questionSections = (interview: EnrichedInterview): ScreeningNoteSection[] =>
  (interview.responses ?? []).map((r) => ({
    heading: `Question ${r.index}: ${r.question}`,
    lines: [
      `Answer: ${r.answer}`,
      ...(r.score === undefined ? [] : [`Score: ${r.score}/100`]),
      ...(r.feedback === undefined || r.feedback === '' ? [] : [`Feedback: ${r.feedback}`]),
    ],
  }));

const speakerLabel = (speaker: string): string => {
  if (speaker === 'interviewer') return 'Interviewer';
  if (speaker === 'candidate') return 'Candidate';
  // Any other role is shown as the vendor named it rather than attributed to the candidate.
  return speaker === '' ? 'Unknown' : `${speaker.charAt(0).toUpperCase()}${speaker.slice(1)}`;
};

const transcriptSection = (interview: EnrichedInterview): ScreeningNoteSection | undefined => {
  const lines = interview.transcript ?? [];
  if (lines.length === 0) return undefined;
  return { heading: 'Transcript', lines: lines.map((line) => `${speakerLabel(line.speaker)}: ${line.text}`) };
};

/** Technical skills and the coding/custom exercises: one "skill: rating — feedback" item each. */
const skillsSection = (interview: EnrichedInterview): ScreeningNoteSection | undefined => {
  const items = [
    ...(interview.skills ?? []).map((s) => ({ label: s.skill, text: evaluation(s) })),
    ...(interview.codingEvaluation === undefined
      ? []
      : [{ label: 'Coding exercise', text: evaluation(interview.codingEvaluation) }]),
    ...(interview.customExerciseEvaluation === undefined
      ? []
      : [{ label: 'Custom exercise', text: evaluation(interview.customExerciseEvaluation) }]),
  ];
  return items.length === 0 ? undefined : { heading: 'Skill ratings', items };
};

/** One section per soft skill: its rating, feedback and each sub-score (vocabulary, grammar…). */
const softSkillSections = (interview: EnrichedInterview): ScreeningNoteSection[] =>
  (interview.softSkills ?? []).map((s) => ({
    heading: `Soft skills: ${s.skill}`,
    lines: [
      ...evaluationLines(s),
      ...Object.entries(s.subScores ?? {}).map(([k, v]) => {
        const name = k.replace(/_/g, ' ');
        return `${name.charAt(0).toUpperCase()}${name.slice(1)}: ${v}`;
      }),
    ],
  }));

const customQuestionSections = (interview: EnrichedInterview): ScreeningNoteSection[] =>
  (interview.customQuestions ?? []).map((q) => ({
    heading: `Custom question: ${q.question}`,
    lines: [...(q.answer === undefined ? [] : [`Answer: ${q.answer}`]), ...evaluationLines(q)],
  }));

const proctoringSection = (interview: EnrichedInterview): ScreeningNoteSection | undefined => {
  const violations = interview.proctoring?.violations ?? [];
  if (violations.length === 0) return undefined;
  return {
    heading: 'Proctoring violations',
    lines: violations.map((v) => v.description ?? `${v.type}${v.value === undefined ? '' : `: ${v.value}`}`),
  };
};

/** Links a recruiter can open: the vendor's report and players, and archived copies once known. */
const links = (interview: EnrichedInterview, archived: ReadonlyArray<{ label: string; url: string }>) => [
  ...(interview.reportUrl === undefined ? [] : [{ label: 'Report (PDF)', url: interview.reportUrl }]),
  ...(interview.recordingUrls?.screenPlayer === undefined
    ? []
    : [{ label: 'Screen recording', url: interview.recordingUrls.screenPlayer }]),
  ...(interview.recordingUrls?.webcamPlayer === undefined
    ? []
    : [{ label: 'Webcam recording', url: interview.recordingUrls.webcamPlayer }]),
  ...archived,
];

/**
 * The note for a completed interview.
 * @param marker unique per interview (`interview-sync:…`): lets a retry find a note already posted.
 * @param archived links to archived recordings, when the archive has them.
 */
export const buildScreeningNote = (
  interview: EnrichedInterview,
  marker: string,
  archived: ReadonlyArray<{ label: string; url: string }> = [],
): ScreeningNote => {
  const sections = [
    summarySection(interview),
    ...questionSections(interview),
    transcriptSection(interview),
    skillsSection(interview),
    ...softSkillSections(interview),
    ...customQuestionSections(interview),
    proctoringSection(interview),
  ].filter((section): section is ScreeningNoteSection => section !== undefined);
  const noteLinks = links(interview, archived);
  return {
    title: `AI screening completed (${vendorLabels[interview.vendor] ?? interview.vendor})`,
    marker,
    sections,
    ...(noteLinks.length === 0 ? {} : { links: noteLinks }),
  };
};

const cameraLabels = { screen: 'Screen recording', webcam: 'Webcam recording' } as const;

/**
 * A short note for one part of a completed interview that arrived after its note (a proctoring score, a
 * recording, the archive's location): the note is never edited (ATS notes cannot be), so each late part gets one follow-up.
 * @param marker unique per interview and part: lets a retry find a follow-up already posted.
 */
export const buildFollowUpNote = (vendor: string, part: NotePart, marker: string): ScreeningNote => {
  const title = `AI screening update (${vendorLabels[vendor] ?? vendor})`;
  if (part.kind === 'proctoring') {
    return {
      title,
      marker,
      sections: [{ heading: 'Proctoring', lines: [`Proctoring score: ${part.score}/100`] }],
    };
  }
  if (part.kind === 'archive') {
    return {
      title,
      marker,
      sections: [{ heading: 'Archive', lines: [`Recordings and report archived at ${part.location}`] }],
      links: [{ label: 'Archive', url: part.url }],
    };
  }
  const label = cameraLabels[part.camera];
  return {
    title,
    marker,
    sections: [{ heading: 'Recording', lines: [`${label} available.`] }],
    links: [{ label, url: part.url }],
  };
};
