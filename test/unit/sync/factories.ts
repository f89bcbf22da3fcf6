/** Factories for the sync unit tests: enriched interviews with only the parts a test is about. */
import type {
  EnrichedInterview,
  EnrichedResponse,
  EnrichedSoftSkill,
} from '../../../functions/enrichment/enriched-interview.js';

/** A ROUND0 answer at position `index`, scored 80 unless told otherwise. */
export const aResponse = (index: number, overrides: Partial<EnrichedResponse> = {}): EnrichedResponse => ({
  index,
  question: `Question text ${index}?`,
  answer: `Answer text ${index}.`,
  score: 80,
  feedback: `Feedback ${index}.`,
  ...overrides,
});

/** A completed ROUND0 interview with two scored answers. */
export const aRound0Interview = (overrides: Partial<EnrichedInterview> = {}): EnrichedInterview => ({
  vendor: 'round0',
  eventType: 'interview_ended',
  status: 'completed',
  source: 'webhook',
  interviewId: 'int-1',
  completedAt: '2024-01-16T14:52:00.000Z',
  job: { title: 'Senior Frontend Developer' },
  responses: [aResponse(1, { score: 85 }), aResponse(2, { score: 92 })],
  ...overrides,
});

export const aSoftSkill = (overrides: Partial<EnrichedSoftSkill> = {}): EnrichedSoftSkill => ({
  skill: 'Overall',
  rating: 'B1',
  feedback: 'Clear and organised.',
  subScores: { vocabulary: 'Good vocabulary.', critical_thinking: 'Sound reasoning.' },
  ...overrides,
});

/** A micro1 report with one of every part. */
export const aMicro1Report = (overrides: Partial<EnrichedInterview> = {}): EnrichedInterview => ({
  vendor: 'micro1',
  eventType: 'interview_report.created',
  status: 'completed',
  source: 'webhook',
  interviewId: 'int-m1',
  reportId: 'rep-1',
  interviewName: 'Full Stack Engineer Interview',
  interviewDate: '2024-01-01',
  transcript: [
    { atSeconds: 1, speaker: 'interviewer', text: 'Tell me about yourself.' },
    { atSeconds: 5, speaker: 'candidate', text: 'I build web services.' },
  ],
  skills: [{ skill: 'React.js', rating: 'Senior', feedback: 'Solid hooks knowledge.' }],
  softSkills: [aSoftSkill()],
  codingEvaluation: { rating: 'Senior', feedback: 'Clean solution.' },
  customExerciseEvaluation: { rating: 'Mid', feedback: 'Met the requirements.' },
  customQuestions: [
    {
      question: 'Are you willing to relocate?',
      answer: 'Yes',
      rating: 'Great Answer',
      feedback: 'Open to it.',
    },
  ],
  proctoring: {
    score: 85,
    violations: [
      { type: 'tab_switch', value: '3', description: '3 tab switches detected.' },
      { type: 'face_missing', value: '2' },
    ],
  },
  aiMatchScore: 77,
  reportUrl: 'https://micro1.ai/report/rep-1.pdf',
  recordingUrls: {
    screen: 'https://micro1.ai/interview/rep-1.m3u8',
    screenPlayer: 'https://zara.micro1.ai/ai-interview-videos/screen-1',
    webcamPlayer: 'https://zara.micro1.ai/ai-interview-videos/webcam-1',
  },
  ...overrides,
});
