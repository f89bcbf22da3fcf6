/**
 * The shape of `npm run ops -- doctor`'s answer, shared by every adapter's `diagnose` function, and its
 * plain-text rendering. A report holds ids and names of ATS configuration (stages, tags, fields) and the
 * outcome of each check — never a credential, never candidate data.
 */
import { AtsPermanentError, AtsTransientError } from './errors.js';

/** `ok`: verified; `warn`: works, but something looks wrong; `fail`: the sync would not work; `skipped`: not checked (the detail says why). */
export type DoctorCheckStatus = 'ok' | 'warn' | 'fail' | 'skipped';

export interface DoctorCheck {
  /** Short, stable label, e.g. `authenticate`, `list candidates`, `create a note`. */
  readonly name: string;
  readonly status: DoctorCheckStatus;
  readonly detail: string;
}

/** One id a user may put in the configuration, with its name. */
export interface DoctorListItem {
  readonly id: string;
  readonly name: string;
  /** Context: the job, the interview plan, the object a field belongs to, its type… */
  readonly context?: string;
}

export interface DoctorList {
  /** `stages`, `tags`, `customFields` or `users`. */
  readonly kind: 'stages' | 'tags' | 'customFields' | 'users';
  readonly title: string;
  /** Where the ids go, e.g. `ATS_COMPLETED_STAGE_ID` or `ATS_CONFIG.statusTagIds`. */
  readonly usedFor: string;
  readonly items: readonly DoctorListItem[];
  /** Why the list is missing or partial, when it is. */
  readonly note?: string;
}

export interface DoctorReport {
  readonly adapter: string;
  /** No check failed. */
  readonly ok: boolean;
  readonly checks: readonly DoctorCheck[];
  readonly lists: readonly DoctorList[];
  /** What to do about the warnings and failures, in plain words. */
  readonly advice: readonly string[];
}

/** Ids of the sync's own settings (outside `ATS_CONFIG`) the doctor checks against the ATS's lists. */
export interface DoctorOptions {
  /** `ATS_COMPLETED_STAGE_ID`. @default none (not checked) */
  readonly completedStageId?: string;
  /** `ATS_SCORE_FIELD_ID`. @default none (not checked) */
  readonly scoreFieldId?: string;
}

/** Collects checks, lists and advice while an adapter's diagnosis runs. */
export const doctorReportBuilder = (adapter: string) => {
  const checks: DoctorCheck[] = [];
  const lists: DoctorList[] = [];
  const advice: string[] = [];
  return {
    check(name: string, status: DoctorCheckStatus, detail: string) {
      checks.push({ name, status, detail });
    },
    list(list: DoctorList) {
      lists.push(list);
    },
    advise(text: string) {
      if (!advice.includes(text)) advice.push(text);
    },
    /** Checks that `id` (when configured) is one of `list`'s items. */
    checkConfiguredId(label: string, id: string | undefined, list: DoctorList | undefined) {
      if (id === undefined) return;
      if (!list || list.items.length === 0) {
        checks.push({ name: label, status: 'skipped', detail: `${id}: no list to check it against` });
        return;
      }
      const found = list.items.find((item) => item.id === id);
      checks.push(
        found
          ? { name: label, status: 'ok', detail: `${id} is "${found.name}"` }
          : { name: label, status: 'fail', detail: `${id} is not among the ${list.title.toLowerCase()}` },
      );
    },
    build(): DoctorReport {
      return { adapter, ok: checks.every((c) => c.status !== 'fail'), checks, lists, advice };
    },
  };
};
export type DoctorReportBuilder = ReturnType<typeof doctorReportBuilder>;

/** How a failed call reads in a check: status and reason only (ATS errors never carry PII). */
export const describeAtsFailure = (error: unknown): { status: DoctorCheckStatus; detail: string } => {
  if (error instanceof AtsPermanentError) {
    // A list longer than the adapter reads (maxPages × its page size) is not refused: say what to raise.
    if (error.reason === 'too_many_pages') {
      return {
        status: 'fail',
        detail: `not listed whole: ${error.message} (raise ATS_CONFIG.maxPages, or perPage where the ATS has one)`,
      };
    }
    const forbidden = error.status === 403 || /forbidden|permission/i.test(error.reason);
    return {
      status: 'fail',
      detail: forbidden
        ? `refused: the credential lacks this permission (${error.message})`
        : `refused: ${error.message}`,
    };
  }
  if (error instanceof AtsTransientError) {
    return { status: 'fail', detail: `the ATS did not answer usefully, try again later (${error.message})` };
  }
  return { status: 'fail', detail: error instanceof Error ? error.message : String(error) };
};

const marks: Record<DoctorCheckStatus, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skipped: 'skip' };

/** Readable text, one line each (the default output of `npm run ops -- doctor`). */
export const renderDoctorReport = (report: DoctorReport): string[] => {
  const lines = [`ATS doctor: ${report.adapter} — ${report.ok ? 'no failures' : 'FAILED'}`, ''];
  for (const check of report.checks) lines.push(`[${marks[check.status]}] ${check.name}: ${check.detail}`);
  for (const list of report.lists) {
    lines.push('', `${list.title} (for ${list.usedFor}):`);
    if (list.note) lines.push(`  ${list.note}`);
    if (list.items.length === 0 && !list.note) lines.push('  (none)');
    for (const item of list.items) {
      lines.push(`  ${item.id}  ${item.name}${item.context ? `  — ${item.context}` : ''}`);
    }
  }
  if (report.advice.length > 0) {
    lines.push('', 'What to do:');
    for (const text of report.advice) lines.push(`  - ${text}`);
  }
  return lines;
};
