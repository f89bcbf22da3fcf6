/**
 * The contract between the two ends of the queue: every body the ingest accepts (202) must be readable by
 * the worker's enrichment, or the event is dead-lettered for good. Each fixture is varied one field at a
 * time (every field below `data`, plus the optional ones the enrichers read) with values of other types;
 * the ingest's own schemas say which variants are accepted.
 */
import { enrichEvent } from '../../../functions/enrichment/enrich.js';
import { parseVendorEvent } from '../../../functions/vendors/index.js';
import { loadFixtures } from '../../helpers/fixtures.js';

type Json = Record<string, unknown>;

/** Values of every JSON type, and lists and objects of odd content. */
const oddValues: readonly unknown[] = [null, 1, 'x', true, {}, [], [1], ['x'], { a: 1 }, [{ a: 1 }], [null]];

/** Optional fields the enrichers read that the fixtures may lack, by vendor. */
const readFields = {
  micro1: [
    'proctoring_score',
    'ai_match_score',
    'proctoring_violations',
    'technical_skills_evaluation',
    'soft_skills_evaluation',
    'coding_skills_evaluation',
    'custom_exercise_evaluation',
    'custom_question_evaluation',
    'interview_transcript',
    'interview_name',
    'interview_recording_url',
    'interview_recording_player_url',
    'interview_webcam_recording_url',
    'interview_webcam_recording_player_url',
    'report_url',
    'report_date',
    'job_name',
    'date_started',
    'date_completed',
    'resume_score',
    'resume_url',
    'stage',
    'status',
  ].map((field) => ['data', field]),
  round0: [
    ['data', 'job'],
    ['data', 'responses'],
    ['data', 'interview', 'started_at'],
    ['data', 'interview', 'completed_at'],
  ],
} as const;

/** Paths of every value below `data` (`['data', 'responses', '0', 'score']`). */
function pathsBelowData(value: unknown, path: readonly string[] = []): string[][] {
  const here = path.length >= 2 ? [[...path]] : [];
  if (typeof value !== 'object' || value === null) return here;
  return [
    ...here,
    ...Object.entries(value).flatMap(([key, child]) =>
      path.length === 0 && key !== 'data' ? [] : pathsBelowData(child, [...path, key]),
    ),
  ];
}

/** A copy of `body` with `value` at `path` (the parents exist: the paths come from the body or its `data`). */
function withValueAt(body: Json, path: readonly string[], value: unknown): Json {
  const copy = structuredClone(body);
  let parent: Json = copy;
  for (const key of path.slice(0, -1)) {
    parent[key] ??= {};
    parent = parent[key] as Json;
  }
  parent[path.at(-1) ?? ''] = value;
  return copy;
}

describe('bodies the ingest accepts', () => {
  it('are all readable by enrichment, whatever type their optional fields have', async () => {
    // Prepare
    const variants = loadFixtures().flatMap((fixture) => {
      const body = fixture.body as Json;
      const paths = [...pathsBelowData(body), ...readFields[fixture.vendor].map((path) => [...path])];
      return paths.flatMap((path) =>
        oddValues.map((value) => ({
          label: `${fixture.vendor} ${fixture.name} ${path.join('.')} = ${JSON.stringify(value)}`,
          parsed: parseVendorEvent(fixture.vendor, withValueAt(body, path, value), new Date()),
        })),
      );
    });
    // Test deliveries end before enrichment (functions/worker.ts).
    const accepted = variants.flatMap(({ label, parsed }) =>
      parsed.ok && !parsed.event.test ? [{ label, event: parsed.event }] : [],
    );

    // Act
    const unreadable: string[] = [];
    for (const { label, event } of accepted) {
      await enrichEvent(event).catch((error: unknown) => unreadable.push(`${label}: ${String(error)}`));
    }

    // Assess: the oracle is not vacuous (many variants reach enrichment), and none fails there.
    expect(accepted.length).toBeGreaterThan(1_000);
    expect(unreadable).toEqual([]);
  });
});
