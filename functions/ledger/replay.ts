/**
 * Replays parked events: puts each envelope back on the events queue, then removes it from the parking
 * lot. Safe to repeat: the worker's dedupe and effects ledger make a second replay of the same event a
 * no-op for everything that already happened (a parked event's dedupe record was released when it failed,
 * so the replay is processed).
 */
import type { InterviewEvent } from '../vendors/envelope.js';
import type { ParkedEvent, ParkedKind, ParkingLot } from './parking-lot.js';

export interface ReplayOptions {
  readonly parking: Pick<ParkingLot, 'list' | 'remove'>;
  /** Enqueues an envelope (the ingest's `EventQueue.publish`). */
  readonly publish: (event: InterviewEvent) => Promise<unknown>;
  readonly kind: ParkedKind;
  /** Only these events; all parked events of `kind` when omitted. */
  readonly dedupeKeys?: readonly string[];
  /** The replay's time, stamped on each envelope as `replayedAt`. @default the clock */
  readonly now?: () => Date;
}

export interface ReplayOutcome {
  readonly replayed: readonly string[];
  /** Events that cannot be replayed as they are, with why. */
  readonly skipped: ReadonlyArray<{ readonly dedupeKey: string; readonly reason: string }>;
  /** Keys asked for (`dedupeKeys`) that are not parked as `kind`: mistyped, or replayed or redriven already. */
  readonly notParked: readonly string[];
}

export const replayParkedEvents = async (options: ReplayOptions): Promise<ReplayOutcome> => {
  const wanted = options.dedupeKeys === undefined ? undefined : new Set(options.dedupeKeys);
  const entries = (await options.parking.list(options.kind)).filter(
    (entry) => wanted === undefined || wanted.has(entry.dedupeKey),
  );
  // An event parked on several deliveries appears several times: replay it once (newest entry last).
  const byKey = new Map<string, ParkedEvent[]>();
  for (const entry of entries) byKey.set(entry.dedupeKey, [...(byKey.get(entry.dedupeKey) ?? []), entry]);

  const replayedAt = (options.now ?? (() => new Date()))().toISOString();
  const replayed: string[] = [];
  const skipped: Array<{ dedupeKey: string; reason: string }> = [];
  for (const [dedupeKey, group] of byKey) {
    const newest = group.at(-1) as ParkedEvent;
    if (newest.payloadOmitted) {
      skipped.push({
        dedupeKey,
        reason: 'parked without its payload (too large); ask the vendor to resend it',
      });
      continue;
    }
    // Enqueue first, then forget: a crash in between only means a harmless second replay.
    await options.publish({ ...newest.event, replayedAt });
    for (const entry of group) await options.parking.remove(entry);
    replayed.push(dedupeKey);
  }
  const notParked = [...(wanted ?? [])].filter((dedupeKey) => !byKey.has(dedupeKey));
  return { replayed, skipped, notParked };
};
