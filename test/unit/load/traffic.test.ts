/**
 * The load's traffic (local/load/traffic.ts): `--seed` makes it again, ids included, so a failing run can be
 * re-run as it was.
 */
import { buildTraffic } from '../../../local/load/traffic.js';

describe('load traffic', () => {
  it('makes the same traffic from the same seed, byte for byte, and another from another seed', () => {
    // Act
    const first = buildTraffic({ requests: 120, seed: 42 });
    const again = buildTraffic({ requests: 120, seed: 42 });
    const other = buildTraffic({ requests: 120, seed: 43 });

    // Assess: bodies, dedupe keys, order, e-mails and API views alike; none shared with another seed
    expect(again).toEqual(first);
    const keys = new Set(first.events.map((event) => event.dedupeKey));
    expect(other.events.some((event) => keys.has(event.dedupeKey))).toBe(false);
  });

  it('draws ids of the vendors’ shapes: UUIDs v4, ROUND0 event ids, micro1 report ids', () => {
    // Act
    const traffic = buildTraffic({ requests: 200, seed: 7 });

    // Assess
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
    for (const interview of traffic.interviews) expect(interview.ids.interviewId).toMatch(uuid);
    const round0 = traffic.events.filter((event) => event.vendor === 'round0');
    for (const event of round0) expect(event.dedupeKey).toMatch(/^round0:evt_[0-9a-f]{32}$/);
    const reports = traffic.interviews.flatMap((interview) => interview.ids.reportId ?? []);
    expect(reports.length).toBeGreaterThan(0);
    for (const id of reports) expect(id).toMatch(/^[A-Za-z0-9]{10}$/);
    expect(new Set(traffic.events.map((event) => event.dedupeKey)).size).toBe(traffic.events.length);
  });
});
