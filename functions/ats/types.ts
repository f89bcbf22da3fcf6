import type { UrlPolicyRelaxation } from '../platform/url-guard.js';

/**
 * The one interface every ATS adapter implements. The worker talks to "an ATS" through it; which ATS is a
 * matter of configuration (`ATS_ADAPTER`, `ATS_CONFIG`), never of code.
 */

/** What the candidate's record says about the AI screening. */
export type ScreeningStatus = 'in_progress' | 'completed';

/** The human wording of each {@link ScreeningStatus}, shared by tags, Slack and the log. */
export const screeningStatusLabels: Readonly<Record<ScreeningStatus, string>> = {
  in_progress: 'AI screening in progress',
  completed: 'AI screening completed',
};

/**
 * The status tag a write of `status` removes where tags may be shared by interviews: the candidate's
 * (Greenhouse, Ashby), or an opportunity's a second interview lands on (Lever). A start, often of a later
 * interview for another job, must not take back an earlier
 * interview's "completed", which stays true; a completion ends "in progress". The case left: two interviews
 * of one candidate running at once, where the first to complete removes "in progress" while the other runs.
 */
export const candidateTagRemovedBy = <T>(
  status: ScreeningStatus,
  tagIds: Readonly<Partial<Record<ScreeningStatus, T>>>,
): T | undefined => (status === 'completed' ? tagIds.in_progress : undefined);

/** How to find the candidate's record: the ATS application id when the vendor knows it, else the e-mail. */
export interface ApplicationLookup {
  /** Candidate e-mail (PII: never log it). */
  readonly email?: string;
  /** The ATS's own application id (micro1 `ats_job_application_id`). */
  readonly atsApplicationId?: string;
  /** The ATS's job id, used to pick one application when a candidate found by e-mail has several. */
  readonly atsJobId?: string;
}

/** A record found in the ATS. Ids are the ATS's own, as strings. */
export interface AtsMatch {
  readonly candidateId: string;
  /** The application (Greenhouse, Ashby) or opportunity (Lever) when one could be chosen unambiguously. */
  readonly applicationId?: string;
  /**
   * Set only by adapters that forward the lookup to a receiver (generic webhook). PII: never log it; log
   * `candidateId` instead.
   */
  readonly email?: string;
}

/** One block of a screening note, e.g. "Summary" with lines, or "Questions" with label/answer items. */
export interface ScreeningNoteSection {
  readonly heading: string;
  readonly lines?: readonly string[];
  readonly items?: ReadonlyArray<{ readonly label: string; readonly text: string }>;
}

/** A vendor-neutral screening note; each adapter renders it in the form its ATS accepts. */
export interface ScreeningNote {
  readonly title: string;
  /**
   * Unique per effect, e.g. `interview-sync:<eventKey>`. Rendered at the end of the note so that, after a
   * crash between the POST and the ledger write, {@link AtsAdapter.hasNote} can find a note already posted.
   */
  readonly marker: string;
  readonly sections: readonly ScreeningNoteSection[];
  readonly links?: ReadonlyArray<{ readonly label: string; readonly url: string }>;
}

/** Where a write comes from: for the receiver's deduplication (generic) and the local log. */
export interface AtsContext {
  readonly vendor: string;
  readonly interviewId?: string;
  /** Stable key of the effect: identical on every retry of the same write. */
  readonly eventKey: string;
}

/** The kinds of write an adapter performs (the log adapter's `action`, the generic adapter's event type). */
export type AtsWriteAction = 'note' | 'status' | 'stage' | 'field' | 'links';

/**
 * A stage move, always relative to where the application was: the sync reads the stage when it first finds
 * the interview's record ({@link AtsAdapter.currentStage}) and moves only from there, so a retry never undoes
 * a recruiter's manual move.
 */
export interface StageMove {
  /**
   * The stage the application was in when interview-sync first found it (the ATS's stage id, the kind of id
   * users configure as `completedStageId`). `undefined` when the adapter cannot read stages (generic, log):
   * the move is then unconditional on our side.
   */
  readonly fromStageId?: string;
  /** The configured target stage id. */
  readonly toStageId: string;
}

/**
 * What a stage move did: `moved` (the ATS moved it now), `already-there` (it was in `toStageId`: a retry
 * after a crash, or a recruiter got there first), `moved-on` (it is in neither stage: a recruiter moved it,
 * so nothing is written).
 */
export type StageMoveOutcome = 'moved' | 'already-there' | 'moved-on' | 'other-plan';

/** A link to add to the record (a recording, the report, the archive). */
export interface AtsLink {
  readonly label: string;
  readonly url: string;
}

export interface AtsAdapter {
  /** `greenhouse`, `lever`, `ashby`, `generic` or `log`. */
  readonly name: string;
  /** The candidate's record, or `undefined` when the ATS has none (the event is "unmatched"). */
  findApplication(lookup: ApplicationLookup): Promise<AtsMatch | undefined>;
  /** Posts `note`. Not idempotent in any ATS: call {@link hasNote} first when a previous attempt may have landed. */
  addNote(match: AtsMatch, note: ScreeningNote, ctx: AtsContext): Promise<void>;
  /** Whether a note carrying `marker` already exists (reconciliation after a crash between POST and ledger write). */
  hasNote?(match: AtsMatch, marker: string): Promise<boolean>;
  /**
   * Marks the record "AI screening in progress"/"completed". Each adapter documents how (tag or custom
   * field); idempotent. A no-op when the adapter's config names no tag or field for it.
   */
  setStatus(match: AtsMatch, status: ScreeningStatus, ctx: AtsContext): Promise<void>;
  /** The application's current stage id (what {@link StageMove.fromStageId} records), if the ATS says. */
  currentStage?(match: AtsMatch): Promise<string | undefined>;
  /**
   * Moves the application from `move.fromStageId` to `move.toStageId`, reading the current stage first where
   * the ATS needs it: idempotent (`already-there` on a repeat) and never from another stage (`moved-on`).
   */
  moveStage?(match: AtsMatch, move: StageMove, ctx: AtsContext): Promise<StageMoveOutcome>;
  /** Sets the custom field `fieldId` to `value` (idempotent: the same value twice is one state). */
  setField?(match: AtsMatch, fieldId: string, value: string, ctx: AtsContext): Promise<void>;
  /**
   * Adds links to the record where the ATS has a place for them besides notes (Lever: the contact's
   * links). Idempotent: links already present are not added again.
   */
  addLinks?(match: AtsMatch, links: readonly AtsLink[], ctx: AtsContext): Promise<void>;
}

/** Injection points shared by the HTTP adapters, for tests and the local runtime. */
export interface AtsAdapterDeps {
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default a `setTimeout` promise */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
  /** @default Date.now */
  readonly now?: () => number;
  /**
   * Epoch milliseconds by which every ATS call must have ended (the worker: its invocation's time, less what
   * it needs to record the outcomes), on top of each request's own deadline. @default none
   */
  readonly callsEndBy?: () => number | undefined;
  /**
   * Key of the e-mail pseudonyms the log and generic adapters write (`email-hmac:…`), from the integration
   * secret's `pseudonymKey`. Without it they write no e-mail-derived id at all.
   * @default none
   */
  readonly pseudonymKey?: string;
  /**
   * How many instances share the ATS account's rate limit at most (the worker: its event source's maximum
   * concurrency); each adapter's limiter takes an equal part of its configured `rateLimit`
   * (ats/rate-share.ts). @default 1 — this instance alone
   */
  readonly rateShare?: number;
  /**
   * When set, every request is held to the SSRF guard: https only, public addresses only, and only the
   * hosts of the adapter's configured URLs; the relaxation (http, private addresses) is for local runs
   * against the fakes. The worker always sets it; tests that talk to fakes directly may leave it out.
   * @default undefined — no URL policy
   */
  readonly urlPolicy?: UrlPolicyRelaxation;
}
