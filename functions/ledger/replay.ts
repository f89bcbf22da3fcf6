/**
 * Replays parked events: puts each envelope back on the events queue, then removes it from the parking
 * lot. Safe to repeat: the worker's dedupe and effects ledger make a second replay of the same event a
 * no-op for everything that already happened (a parked event's dedupe record was released when it failed,
 * so the replay is processed).
 */
import type { InterviewEvent } from '../vendors/envelope.js';
import type { ParkedEvent, ParkedKey, ParkedKind, ParkingLot } from './parking-lot.js';

export interface ReplayOptions {
  /** Keys listed, one envelope read at a time: thousands parked in an outage need not fit in memory. */
  readonly parking: Pick<ParkingLot, 'listKeys' | 'get' | 'remove'>;
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
  const entries = (await options.parking.listKeys(options.kind)).filter(
    (entry) => wanted === undefined || wanted.has(entry.dedupeKey),
  );
  // An event parked on several deliveries appears several times: replay it once (newest entry last).
  const byKey = new Map<string, ParkedKey[]>();
  for (const entry of entries) byKey.set(entry.dedupeKey, [...(byKey.get(entry.dedupeKey) ?? []), entry]);
  const gone = new Set<string>();

  const replayedAt = (options.now ?? (() => new Date()))().toISOString();
  const replayed: string[] = [];
  const skipped: Array<{ dedupeKey: string; reason: string }> = [];
  for (const [dedupeKey, group] of byKey) {
    const newest = await newestStill(options.parking, group);
    if (newest === undefined) {
      // Replayed or redriven by someone else since the listing.
      gone.add(dedupeKey);
      continue;
    }
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
  const notParked = [...(wanted ?? [])].filter((dedupeKey) => !byKey.has(dedupeKey) || gone.has(dedupeKey));
  return { replayed, skipped, notParked };
};

/** The newest of `group`'s entries (oldest first) still parked, with its envelope. */
const newestStill = async (
  parking: Pick<ParkingLot, 'get'>,
  group: readonly ParkedKey[],
): Promise<ParkedEvent | undefined> => {
  for (const entry of [...group].reverse()) {
    const parked = await parking.get(entry);
    if (parked !== undefined) return parked;
  }
  return undefined;
};
