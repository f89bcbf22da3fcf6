/**
 * Builds the recruiter-facing screening note from an enriched interview: transcript as "Question N /
 * Answer" (the layout of ROUND0's guide), per-question scores and feedback, skill ratings, proctoring.
 * Vendor-neutral; each ATS adapter renders it as plain text or its HTML subset.
 */
import type { ScreeningNote, ScreeningNoteSection } from '../ats/types.js';
import type { EnrichedEvaluation, EnrichedInterview } from '../enrichment/enriched-interview.js';

const vendorLabels: Record<string, string> = { round0: 'ROUND0', micro1: 'micro1' };

const evaluation = (e: EnrichedEvaluation): string =>
  [e.rating, e.feedback].filter((part) => part !== undefined && part !== '').join(' — ');

const averageScore = (interview: EnrichedInterview): number | undefined => {
  const scores = (interview.responses ?? []).flatMap((r) => (r.score === undefined ? [] : [r.score]));
  return scores.length === 0 ? undefined : Math.round(scores.reduce((a, b) => a + b, 0) / scores.length);
};

const summarySection = (interview: EnrichedInterview): ScreeningNoteSection => {
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
      : `Average answer score: ${average}/100 over ${interview.responses?.length} questions`,
    interview.aiMatchScore === undefined ? undefined : `AI match score: ${interview.aiMatchScore}/100`,
    interview.proctoring?.score === undefined
      ? undefined
      : `Proctoring score: ${interview.proctoring.score}/100`,
  ].filter((line): line is string => line !== undefined);
  return { heading: 'Summary', lines };
};

const questionsSection = (interview: EnrichedInterview): ScreeningNoteSection | undefined => {
  const responses = interview.responses ?? [];
  if (responses.length === 0) return undefined;
  return {
    heading: 'Questions and answers',
    items: responses.map((r) => ({
      label: `Question ${r.index}: ${r.question}`,
      text: [
        `Answer: ${r.answer}`,
        r.score === undefined ? undefined : `Score: ${r.score}/100`,
        r.feedback === undefined ? undefined : `Feedback: ${r.feedback}`,
      ]
        .filter((line) => line !== undefined)
        .join('\n'),
    })),
  };
};

const transcriptSection = (interview: EnrichedInterview): ScreeningNoteSection | undefined => {
  const lines = interview.transcript ?? [];
  if (lines.length === 0) return undefined;
  return {
    heading: 'Transcript',
    lines: lines.map(
      (line) => `${line.speaker === 'interviewer' ? 'Interviewer' : 'Candidate'}: ${line.text}`,
    ),
  };
};

const evaluationsSection = (interview: EnrichedInterview): ScreeningNoteSection | undefined => {
  const items = [
    ...(interview.skills ?? []).map((s) => ({ label: s.skill, text: evaluation(s) })),
    ...(interview.softSkills ?? []).map((s) => ({
      label: `${s.skill} (soft skills)`,
      text: [
        evaluation(s),
        ...Object.entries(s.subScores ?? {}).map(([k, v]) => `${k.replace(/_/g, ' ')}: ${v}`),
      ].join('\n'),
    })),
    ...(interview.codingEvaluation === undefined
      ? []
      : [{ label: 'Coding exercise', text: evaluation(interview.codingEvaluation) }]),
    ...(interview.customExerciseEvaluation === undefined
      ? []
      : [{ label: 'Custom exercise', text: evaluation(interview.customExerciseEvaluation) }]),
    ...(interview.customQuestions ?? []).map((q) => ({
      label: q.question,
      text: [q.answer === undefined ? undefined : `Answer: ${q.answer}`, evaluation(q)]
        .filter((line) => line !== undefined && line !== '')
        .join('\n'),
    })),
  ];
  return items.length === 0 ? undefined : { heading: 'Skill ratings', items };
};

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
    questionsSection(interview),
    transcriptSection(interview),
    evaluationsSection(interview),
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
