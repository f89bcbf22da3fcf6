/**
 * Which record an event found by e-mail is about, when the ATS answers with several: a returning candidate's
 * old applications, or duplicate candidate profiles that share the address (both common in Greenhouse and
 * Ashby). A wrong guess writes the interview onto another job's application, or moves a stage the event
 * never meant, so an answer that stays ambiguous names no application, and duplicate profiles with no
 * application to tell them apart name no candidate at all (the event is parked as unmatched for a person).
 */
import type { AtsMatch } from './types.js';

/** An application as the matching reads it, whatever the ATS calls its fields. */
export interface ApplicationSeen {
  readonly id: string;
  readonly candidateId: string;
  readonly jobId?: string | undefined;
  /** Not rejected, archived or hired (an ATS that does not say counts every application as active). */
  readonly active: boolean;
}

export interface ApplicationChoiceRules {
  /**
   * Keep the one application of the e-mail's candidate even when it is for another job than the event's.
   * For an ATS where the vendor's job id is not known to be the ATS's own (Ashby).
   */
  readonly singleOfAnyJob: boolean;
}

const only = <T>(list: readonly T[]): T | undefined => (list.length === 1 ? list[0] : undefined);

/**
 * The one application the event is about: the one for the event's ATS job (the active one if the job has
 * several), else — without a job id — the only application, or the only active one. Undefined otherwise.
 */
export const chooseApplication = (
  applications: readonly ApplicationSeen[],
  atsJobId: string | undefined,
  rules: ApplicationChoiceRules,
): ApplicationSeen | undefined => {
  if (atsJobId !== undefined) {
    const forJob = applications.filter((a) => a.jobId === atsJobId);
    if (forJob.length > 0) return only(forJob) ?? only(forJob.filter((a) => a.active));
    return rules.singleOfAnyJob ? only(applications) : undefined;
  }
  return only(applications) ?? only(applications.filter((a) => a.active));
};

/**
 * The match among the candidates an e-mail found and all their applications: the chosen application's
 * candidate; else the one candidate, without an application (candidate-level writes still land); else
 * none, when several profiles share the e-mail and nothing tells which one the interview was for.
 */
export const matchAmong = (
  candidateIds: readonly string[],
  applications: readonly ApplicationSeen[],
  atsJobId: string | undefined,
  rules: ApplicationChoiceRules,
): AtsMatch | undefined => {
  const chosen = chooseApplication(applications, atsJobId, rules);
  if (chosen) return { candidateId: chosen.candidateId, applicationId: chosen.id };
  const candidateId = only([...new Set(candidateIds)]);
  return candidateId === undefined ? undefined : { candidateId };
};
