import { type ArchiveCompletedPayload, archiveCompletedEvent } from '../../../functions/archive/events.js';
import { archiveTasksOf } from '../../../functions/archive/tasks.js';
import { enrichEvent } from '../../../functions/enrichment/enrich.js';
import { interviewKeyOf } from '../../../functions/ledger/lifecycle.js';
import { envelope } from '../../integration/sync/world.js';

/** The first archive task of a micro1 report whose id is `reportId` (its PDF). */
const reportTask = async (reportId: string) => {
  const event = envelope('micro1', 'interview_report.created', { set: { 'data.report_id': reportId } });
  const [task] = archiveTasksOf(event, interviewKeyOf(event), await enrichEvent(event));
  if (task?.asset.kind !== 'file') throw new Error('expected the report task first');
  return { task, prefix: task.asset.key.slice(0, task.asset.key.lastIndexOf('/') + 1) };
};

const location = { bucket: 'archive-bucket', region: 'eu-west-1' };
const now = new Date('2026-01-02T03:04:05.000Z');

describe('archiveCompletedEvent', () => {
  it.each([
    ['an id kept as it is', 'h0gqkAcaDJ', 'interviews/h0gqkAcaDJ/'],
    ['an id made safe for a key', 'a b/c', 'interviews/a_b_c~'],
  ])('points the ATS at the prefix the objects are stored under, for %s', async (_case, reportId, starts) => {
    // Prepare
    const { task, prefix } = await reportTask(reportId);

    // Act
    const payload = archiveCompletedEvent(task, location, now).payload as ArchiveCompletedPayload;

    // Assess
    expect(prefix.startsWith(starts)).toBe(true);
    expect(payload.location).toBe(`s3://archive-bucket/${prefix}`);
    expect(new URL(payload.link).searchParams.get('prefix')).toBe(prefix);
    expect(new URL(payload.link).searchParams.get('region')).toBe('eu-west-1');
  });
});
