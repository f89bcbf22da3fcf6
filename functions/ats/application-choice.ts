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

/**
 * The candidates an e-mail search returned that carry the address (a search that matched loosely must not
 * pick a stranger). `addressesOf` is undefined for a candidate the answer shows no addresses for; an answer
 * that shows none is trusted only when it is a single candidate.
 */
export const carryingEmail = <C>(
  found: readonly C[],
  email: string,
  addressesOf: (candidate: C) => readonly string[] | undefined,
): C[] => {
  const wanted = email.trim().toLowerCase();
  const shown = found.filter((c) => addressesOf(c) !== undefined);
  if (shown.length === 0) return found.length === 1 ? [...found] : [];
  return shown.filter((c) => addressesOf(c)?.some((address) => address.trim().toLowerCase() === wanted));
};

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
