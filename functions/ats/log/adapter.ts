/**
 * The local/demo "ATS": appends one JSON line per write to a file instead of calling anything, so the whole
 * pipeline can run on one machine and a test can read what would have been written.
 *
 * Each line: `{ at, adapter, action, vendor, interviewId, eventKey, candidateId?, applicationId?, marker?,
 * summary }`. No PII: the candidate is an ATS id or a keyed pseudonym of the e-mail (`email-hmac:…`, with
 * the integration secret's `pseudonymKey`; without a key no e-mail-derived id is written at all), and the
 * summary holds counts and ids only (`note: 2 sections, 5 items, 1 link`), never note text or URLs.
 */
import { appendFile, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import * as v from 'valibot';
import { summarizeNote } from '../note-render.js';
import { emailPseudonym, unidentifiedCandidateId } from '../pseudonym.js';
import { parseSettings } from '../settings.js';
import type { AtsAdapter, AtsAdapterDeps, AtsContext, AtsMatch, AtsWriteAction } from '../types.js';

const adapter = 'log';

/** `path` value that prints the lines instead of appending them to a file. */
export const stdoutPath = 'stdout';

/** `ATS_CONFIG` of the log adapter. */
export const logConfigSchema = v.object({
  /**
   * File the JSON lines are appended to, or `stdout` to print them (deployed: they land in CloudWatch Logs,
   * as the Lambda's file system is read-only). @default '.data/ats-writes.jsonl'
   */
  path: v.optional(v.pipe(v.string(), v.nonEmpty()), '.data/ats-writes.jsonl'),
});
export type LogConfig = v.InferInput<typeof logConfigSchema>;

/** One line of the log file. */
export interface AtsLogLine {
  readonly at: string;
  readonly adapter: 'log';
  readonly action: AtsWriteAction;
  readonly vendor: string;
  readonly interviewId?: string;
  readonly eventKey: string;
  /** The ATS id or `email-hmac:…`; absent when only an e-mail was known and no pseudonym key is set. */
  readonly candidateId?: string;
  readonly applicationId?: string;
  /** The note's marker (for `hasNote`); not PII. */
  readonly marker?: string;
  readonly summary: string;
}

/**
 * A write key or note marker as printed to the function's log (`stdout`, deployed): without the candidate's
 * scores that the sync's keys carry (`…:field:<id>:<score>` → `…:field:<id>`, `…:proctoring:<score>` →
 * `…:proctoring`), as the worker's own log lines leave them out. The file keeps them: `hasNote` reads its
 * markers back (two follow-ups for two scores are two notes); printed lines are never read back.
 */
export const withoutScores = (key: string): string =>
  key.replace(/:field:([^:]+):[^:]*$/, ':field:$1').replace(/:proctoring:[^:]*$/, ':proctoring');

/** Creates the log adapter from `ATS_CONFIG` (see {@link logConfigSchema}); it needs no credentials. */
export const createLogAdapter = (
  config: unknown,
  deps: Pick<AtsAdapterDeps, 'now' | 'pseudonymKey'> = {},
): AtsAdapter => {
  const { path } = parseSettings(adapter, logConfigSchema, config);
  const now = deps.now ?? Date.now;

  const append = async (
    action: AtsWriteAction,
    match: AtsMatch,
    ctx: AtsContext,
    summary: string,
    marker?: string,
  ): Promise<void> => {
    const line: AtsLogLine = {
      at: new Date(now()).toISOString(),
      adapter,
      action,
      vendor: ctx.vendor,
      ...(ctx.interviewId ? { interviewId: ctx.interviewId } : {}),
      eventKey: ctx.eventKey,
      ...(match.candidateId === unidentifiedCandidateId ? {} : { candidateId: match.candidateId }),
      ...(match.applicationId ? { applicationId: match.applicationId } : {}),
      ...(marker ? { marker } : {}),
      summary,
    };
    if (path === stdoutPath) {
      const printed = {
        ...line,
        eventKey: withoutScores(line.eventKey),
        ...(line.marker === undefined ? {} : { marker: withoutScores(line.marker) }),
      };
      process.stdout.write(`${JSON.stringify(printed)}\n`);
      return;
    }
    await mkdir(dirname(path), { recursive: true });
    await appendFile(path, `${JSON.stringify(line)}\n`, 'utf8');
  };

  /**
   * The notes the file holds (candidate id and marker), read incrementally: the file only grows, so each
   * look reads what was appended since the last one. Reading it whole at every look made a run's looks
   * quadratic in its writes, and a look during another write's append met a half-written last line (a
   * SyntaxError, and the event retried); that line is now left for the next look. Looks run one at a time.
   */
  const notesSeen = new Set<string>();
  const noteKey = (candidateId: string, marker: string) => `${candidateId}\n${marker}`;
  /** Where the last look stopped, and the file's first bytes then: another file at the path starts otherwise. */
  let readFrom = { offset: 0, head: Buffer.alloc(0) };
  const readNewLines = async (): Promise<void> => {
    const handle = await open(path, 'r').catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (handle === undefined) return;
    try {
      const { size } = await handle.stat();
      const head = Buffer.alloc(Math.min(size, 256));
      await handle.read(head, 0, head.length, 0);
      // Another file at the path (its inode may be the old one's), or the file cut short: start again.
      if (size < readFrom.offset || !head.subarray(0, readFrom.head.length).equals(readFrom.head)) {
        notesSeen.clear();
        readFrom = { offset: 0, head: Buffer.alloc(0) };
      }
      if (size === readFrom.offset) return;
      const bytes = Buffer.alloc(size - readFrom.offset);
      const { bytesRead } = await handle.read(bytes, 0, bytes.length, readFrom.offset);
      const complete = bytes.subarray(0, bytesRead).lastIndexOf(0x0a) + 1;
      for (const text of bytes.subarray(0, complete).toString('utf8').split('\n')) {
        if (text.trim() === '') continue;
        const line = JSON.parse(text) as AtsLogLine;
        if (line.action === 'note' && line.marker !== undefined) {
          notesSeen.add(noteKey(line.candidateId ?? unidentifiedCandidateId, line.marker));
        }
      }
      const offset = readFrom.offset + complete;
      readFrom = { offset, head: head.subarray(0, Math.min(offset, head.length)) };
    } finally {
      await handle.close();
    }
  };
  let reading: Promise<void> = Promise.resolve();
  const readNotes = (): Promise<void> => {
    reading = reading.catch(() => undefined).then(readNewLines);
    return reading;
  };

  return {
    name: adapter,

    async findApplication(lookup) {
      if (lookup.atsApplicationId)
        return { candidateId: lookup.atsApplicationId, applicationId: lookup.atsApplicationId };
      if (lookup.email)
        return { candidateId: emailPseudonym(lookup.email, deps.pseudonymKey) ?? unidentifiedCandidateId };
      return undefined;
    },

    async addNote(match, note, ctx) {
      await append('note', match, ctx, summarizeNote(note), note.marker);
    },

    async hasNote(match, marker) {
      // Printed lines cannot be read back: reconciliation then finds nothing (a demo adapter's limit).
      if (path === stdoutPath) return false;
      await readNotes();
      return notesSeen.has(noteKey(match.candidateId, marker));
    },

    async setStatus(match, status, ctx) {
      await append('status', match, ctx, `status: ${status}`);
    },

    async moveStage(match, move, ctx) {
      await append('stage', match, ctx, `stage: ${move.fromStageId ?? '?'} -> ${move.toStageId}`);
      return 'moved';
    },

    async setField(match, fieldId, value, ctx) {
      // The value may be free text: only its length is logged.
      await append('field', match, ctx, `field: ${fieldId} (${value.length} chars)`);
    },

    async addLinks(match, links, ctx) {
      // URLs may carry access tokens (pre-signed media): only the count is logged.
      await append('links', match, ctx, `links: ${links.length}`);
    },
  };
};
