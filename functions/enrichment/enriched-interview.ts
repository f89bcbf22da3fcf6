/**
 * The vendor-neutral view of an interview that the ATS note and the archive need. Candidate identity is not
 * repeated here: it stays on the envelope (`InterviewEvent.candidate`). Texts are vendor output and may hold
 * PII (transcripts, answers): never log them.
 */
import type { VendorName } from '../vendors/envelope.js';

/** Where the candidate is, as far as the event tells. */
export type EnrichedStatus = 'applied' | 'invited' | 'in_progress' | 'completed' | 'unknown';

/** One answered question (ROUND0 `responses[]`). */
export interface EnrichedResponse {
  /** Position in the interview, 1-based ("Question 1"). */
  readonly index: number;
  readonly questionId?: string;
  readonly question: string;
  /** behavioral | technical | situational | experience | role_specific, or another vendor value. */
  readonly questionType?: string;
  /** The candidate's answer (transcript). */
  readonly answer: string;
  /** 0–100. */
  readonly score?: number;
  readonly feedback?: string;
  readonly durationSeconds?: number;
  readonly answeredAt?: string;
  /** Temporary (ROUND0: 24 h): archive it promptly. */
  readonly audioUrl?: string;
}

/** One line of a conversation transcript (micro1 `interview_transcript`). */
export interface EnrichedTranscriptLine {
  /** Seconds into the interview. */
  readonly atSeconds?: number;
  /** micro1's `user` reads as `candidate`. */
  readonly speaker: 'interviewer' | 'candidate' | (string & {});
  readonly text: string;
}

/** An AI evaluation: a vendor rating (`Senior`, `B1`, `Great Answer`) and its explanation. */
export interface EnrichedEvaluation {
  readonly rating?: string;
  readonly feedback?: string;
}

export interface EnrichedSkill extends EnrichedEvaluation {
  readonly skill: string;
  /** Seconds into the interview where the skill was assessed. */
  readonly atSeconds?: number;
}

export interface EnrichedSoftSkill extends EnrichedEvaluation {
  readonly skill: string;
  /** e.g. `{ vocabulary, grammar, critical_thinking }` comments. */
  readonly subScores?: Readonly<Record<string, string>>;
}

export interface EnrichedCustomQuestion extends EnrichedEvaluation {
  readonly question: string;
  readonly answer?: string;
}

export interface EnrichedProctoring {
  /** 0–100. */
  readonly score?: number;
  readonly violations?: ReadonlyArray<{
    readonly type: string;
    readonly value?: string;
    readonly description?: string;
  }>;
}

export interface EnrichedRecordingUrls {
  /** Screen recording (micro1: HLS `.m3u8`). */
  readonly screen?: string;
  /** micro1's web player page of the screen recording (not media). */
  readonly screenPlayer?: string;
  readonly webcam?: string;
  readonly webcamPlayer?: string;
}

/** Parts of an {@link EnrichedInterview} the API may fill in when a webhook lacks them. */
export type EnrichedPart =
  | 'responses'
  | 'transcript'
  | 'skills'
  | 'softSkills'
  | 'codingEvaluation'
  | 'customExerciseEvaluation'
  | 'customQuestions'
  | 'proctoring'
  | 'aiMatchScore'
  | 'reportUrl'
  | 'recordingUrls';

export interface EnrichedInterview {
  readonly vendor: VendorName;
  /** The vendor's event type verbatim. */
  readonly eventType: string;
  readonly status: EnrichedStatus;
  /**
   * `api` when the vendor's API supplied the interview (ROUND0 `interview_ended` with a key configured),
   * `webhook` when the data is the webhook's, possibly completed from the API (see {@link filledFromApi}).
   */
  readonly source: 'webhook' | 'api';
  /**
   * The vendor's API was asked and did not know the interview or report (404): the webhook's data was used.
   * Test deliveries never get this far, so for a real event it points at an API key or base URL of another
   * account or environment (the worker counts it: `EnrichmentNotFound`).
   */
  readonly apiNotFound?: true;
  /**
   * The vendor's API was asked for parts the webhook lacked and failed otherwise than with a 404: the class
   * name of the failure (`VendorApiAuthError`, `HttpTransientError`…), never its message. The webhook's data
   * was used as it is (micro1 reports, which the webhook carries whole). Worth a warning and a count: a
   * steady stream points at a refused API key or an API that is down.
   */
  readonly apiFailure?: string;
  /** Parts the webhook lacked and the API supplied (micro1 reports). */
  readonly filledFromApi?: readonly EnrichedPart[];
  readonly interviewId?: string;
  /** micro1 report id (`h0gqkAcaDJ`). */
  readonly reportId?: string;
  readonly interviewName?: string;
  /** ISO 8601, UTC. */
  readonly startedAt?: string;
  /** ISO 8601, UTC. */
  readonly completedAt?: string;
  /** `YYYY-MM-DD` when only the day is known (micro1 `report_date`, "Date of the interview"). */
  readonly interviewDate?: string;
  readonly job?: { readonly title: string; readonly department?: string; readonly location?: string };
  readonly responses?: readonly EnrichedResponse[];
  readonly transcript?: readonly EnrichedTranscriptLine[];
  /** Technical skills. */
  readonly skills?: readonly EnrichedSkill[];
  readonly softSkills?: readonly EnrichedSoftSkill[];
  readonly codingEvaluation?: EnrichedEvaluation;
  readonly customExerciseEvaluation?: EnrichedEvaluation;
  readonly customQuestions?: readonly EnrichedCustomQuestion[];
  readonly proctoring?: EnrichedProctoring;
  /** 0–100. */
  readonly aiMatchScore?: number;
  /** micro1 applicant events: the resume score, 0–100 (sent as a decimal string). */
  readonly resumeScore?: number;
  readonly resumeUrl?: string;
  /** micro1 applicant events: the applicant's stage in micro1. */
  readonly applicationStage?: string;
  readonly recordingUrls?: EnrichedRecordingUrls;
  /** The report PDF. */
  readonly reportUrl?: string;
}
