/**
 * The notes `npm run load` expects (local/load/notes.ts): made from the vendor API's view of each interview,
 * and refused as a check when that view adds nothing to what the webhook carries (it could not fail).
 */
import { expectedNoteSummaries } from '../../../local/load/notes.js';
import { buildTraffic, type Traffic } from '../../../local/load/traffic.js';

const endsOf = (traffic: Traffic) =>
  traffic.events.filter((event) => event.role === 'ended' || event.role === 'report');

describe('expected notes of a load', () => {
  it('expects a note for every end, each with more than its webhook alone carries', async () => {
    // Prepare
    const traffic = buildTraffic({ requests: 80, seed: 7 });

    // Act
    const notes = await expectedNoteSummaries(traffic);

    // Assess: ROUND0's API lists two to six answers (a question section each), the webhook one
    expect(notes.size).toBe(endsOf(traffic).length);
    const round0 = [...notes].filter(([key]) => key.startsWith('round0:'));
    expect(round0.length).toBeGreaterThan(0);
    for (const [, summary] of round0) expect(summary).toMatch(/^note: [3-7] sections, /);
    expect([...notes.keys()].some((key) => key.startsWith('micro1:report:'))).toBe(true);
  });

  it("tells interviews' notes apart: a note made from another interview's API view has another summary", async () => {
    // Prepare
    const traffic = buildTraffic({ requests: 200, seed: 11 });

    // Act
    const notes = await expectedNoteSummaries(traffic);

    // Assess: for each vendor, several summaries, and most pairs of consecutive ends differ
    for (const vendor of ['round0', 'micro1']) {
      const summaries = [...notes].filter(([key]) => key.startsWith(`${vendor}:`)).map(([, s]) => s);
      expect(summaries.length).toBeGreaterThan(5);
      expect(new Set(summaries).size).toBeGreaterThanOrEqual(4);
      const differing = summaries.slice(1).filter((summary, index) => summary !== summaries[index]).length;
      expect(differing / (summaries.length - 1)).toBeGreaterThan(0.6);
    }
  });

  it('refuses an API view that makes the note the webhook makes', async () => {
    // Prepare: the API lists only the answer the webhook carries
    const traffic = buildTraffic({ requests: 80, seed: 7 });
    const [id, body] = Object.entries(traffic.vendorApi.round0Interviews)[0] ?? [];
    if (id === undefined || body === undefined) throw new Error('no ROUND0 end in this traffic');
    const sameAsWebhook: Traffic = {
      ...traffic,
      vendorApi: {
        ...traffic.vendorApi,
        round0Interviews: {
          ...traffic.vendorApi.round0Interviews,
          [id]: { ...body, responses: (body.responses as unknown[]).slice(0, 1) },
        },
      },
    };

    // Act, Assess
    await expect(expectedNoteSummaries(sameAsWebhook)).rejects.toThrow(
      `the API's view of round0:${id}:note makes the note its webhook makes`,
    );
  });
});
