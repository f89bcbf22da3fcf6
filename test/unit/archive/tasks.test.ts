import { archiveTasksOf, freshAudioUrlOf } from '../../../functions/archive/tasks.js';
import type { ArchiveTask } from '../../../functions/archive/types.js';
import { enrichEvent } from '../../../functions/enrichment/enrich.js';
import { interviewKeyOf } from '../../../functions/ledger/lifecycle.js';
import { envelope } from '../../integration/sync/world.js';

const tasksOf = async (
  vendor: 'round0' | 'micro1',
  type: string,
  set: Record<string, string> = {},
  remove: string[] = [],
) => {
  const event = envelope(vendor, type, { set, remove });
  return archiveTasksOf(event, interviewKeyOf(event), await enrichEvent(event));
};

const assetsOf = (tasks: readonly ArchiveTask[]) =>
  tasks.map((task) => ({
    kind: task.asset.kind,
    name: task.asset.name,
    where: task.asset.kind === 'file' ? task.asset.key : task.asset.keyPrefix,
    from: task.asset.sourceUrl,
  }));

describe('archiveTasksOf', () => {
  it('archives each ROUND0 answer at interviews/{interview_id}/question_{question_id}.mp3, refreshable', async () => {
    // Act
    const tasks = await tasksOf('round0', 'interview_ended');

    // Assess
    expect(assetsOf(tasks)).toEqual([
      {
        kind: 'file',
        name: 'question_880h1733-h52e-74g7-d049-779988773333',
        where:
          'interviews/660f9511-f30c-52e5-b827-557766551111/question_880h1733-h52e-74g7-d049-779988773333.mp3',
        from: 'https://storage.round0.io/audio/abc123.mp3',
      },
      {
        kind: 'file',
        name: 'question_990i2844-i63f-85h8-e150-880099884444',
        where:
          'interviews/660f9511-f30c-52e5-b827-557766551111/question_990i2844-i63f-85h8-e150-880099884444.mp3',
        from: 'https://storage.round0.io/audio/def456.mp3',
      },
    ]);
    expect(tasks[0]?.asset).toMatchObject({
      contentType: 'audio/mpeg',
      refresh: {
        round0InterviewId: '660f9511-f30c-52e5-b827-557766551111',
        questionId: '880h1733-h52e-74g7-d049-779988773333',
      },
    });
  });

  it('archives a micro1 report’s PDF and screen recording under its report id', async () => {
    // Act
    const tasks = await tasksOf('micro1', 'interview_report.created');

    // Assess
    expect(assetsOf(tasks)).toEqual([
      {
        kind: 'file',
        name: 'report',
        where: 'interviews/h0gqkAcaDJ/report.pdf',
        from: 'https://micro1.ai/report/h0gqkAcaDJ.pdf',
      },
      {
        kind: 'hls',
        name: 'screen',
        where: 'interviews/h0gqkAcaDJ/screen/',
        from: 'https://micro1.ai/interview/h0gqkAcaDJ.m3u8',
      },
    ]);
  });

  it('archives each micro1 recording event’s own camera', async () => {
    // Act
    const screen = await tasksOf('micro1', 'interview_recording.completed');
    const webcam = await tasksOf('micro1', 'interview_webcam_recording.completed');

    // Assess
    expect(assetsOf(screen)).toEqual([
      {
        kind: 'hls',
        name: 'screen',
        where: 'interviews/ABCD1234/screen/',
        from: 'https://url_to_interview_recording.m3u8',
      },
    ]);
    expect(assetsOf(webcam).map((asset) => asset.where)).toEqual(['interviews/ABCD1234/webcam/']);
  });

  it('names a batch by its assets: the same assets again make the same batch, other assets another', async () => {
    // Act
    const [first, again, other] = await Promise.all([
      tasksOf('round0', 'interview_ended'),
      tasksOf('round0', 'interview_ended', { id: 'evt_resent' }),
      tasksOf('round0', 'interview_ended', { 'data.interview.id': 'another-interview' }),
    ]);

    // Assess
    expect(first[0]?.batchId).toMatch(/^archive:[0-9a-f]{16}$/);
    expect(again[0]?.batchId).toBe(first[0]?.batchId);
    expect(other[0]?.batchId).not.toBe(first[0]?.batchId);
    expect(first.every((task) => task.batchAssets.length === 2)).toBe(true);
  });

  it('asks nothing of events without media, and keeps a hostile id inside one key segment', async () => {
    // Act
    const none = await tasksOf('round0', 'interview_started');
    const applicant = await tasksOf('micro1', 'applicant.created');
    const hostile = await tasksOf('micro1', 'interview_report.created', {
      'data.report_id': '../../etc/x y',
    });
    const dots = await tasksOf('micro1', 'interview_report.created', { 'data.report_id': '..' });

    // Assess
    expect(none).toEqual([]);
    expect(applicant).toEqual([]);
    expect(assetsOf(hostile).map((asset) => asset.where)).toEqual([
      'interviews/.._.._etc_x_y~148662b1908cfa55/report.pdf',
      'interviews/.._.._etc_x_y~148662b1908cfa55/screen/',
    ]);
    expect(assetsOf(dots)[0]?.where).toBe('interviews/..~5ec1f7e700f37c3d/report.pdf');
  });

  it('never gives two ids one key, and keeps an id that needs no change as it is', async () => {
    // Act
    const reports = await Promise.all(
      ['a b', 'a_b', 'a/b', 'x'.repeat(255), `${'x'.repeat(254)}y`, 'x'.repeat(128)].map((reportId) =>
        tasksOf('micro1', 'interview_report.created', { 'data.report_id': reportId }),
      ),
    );
    const answers = await tasksOf('round0', 'interview_ended', {
      'data.responses.0.question_id': 'q 1',
      'data.responses.1.question_id': 'q_1',
    });

    // Assess
    const reportKeys = reports.map((tasks) => assetsOf(tasks)[0]?.where);
    expect(new Set(reportKeys).size).toBe(reportKeys.length);
    expect(reportKeys[1]).toBe('interviews/a_b/report.pdf');
    expect(reportKeys.every((key) => (key?.length ?? 0) < 200)).toBe(true);
    const answerKeys = assetsOf(answers).map((asset) => asset.where);
    expect(answerKeys).toHaveLength(2);
    expect(new Set(answerKeys).size).toBe(2);
  });

  it('gives each answer to a question answered twice its own key and refresh; the first keeps its key', async () => {
    // Prepare: both answers to the first question (a retake)
    const questionId = '880h1733-h52e-74g7-d049-779988773333';
    const root = 'interviews/660f9511-f30c-52e5-b827-557766551111/';
    // The interview as ROUND0's API answers it when the URLs are refreshed: the same answers, fresh URLs.
    const fresh = [
      { question_id: questionId, audio_url: 'https://storage.round0.io/audio/fresh-first.mp3' },
      { question_id: questionId, audio_url: 'https://storage.round0.io/audio/fresh-retake.mp3' },
    ];

    // Act
    const tasks = await tasksOf('round0', 'interview_ended', { 'data.responses.1.question_id': questionId });

    // Assess
    expect(assetsOf(tasks).map((asset) => [asset.name, asset.where, asset.from])).toEqual([
      [
        `question_${questionId}`,
        `${root}question_${questionId}.mp3`,
        'https://storage.round0.io/audio/abc123.mp3',
      ],
      [
        `question_${questionId}~2`,
        `${root}question_${questionId}~2.mp3`,
        'https://storage.round0.io/audio/def456.mp3',
      ],
    ]);
    expect(tasks[0]?.batchAssets).toEqual(tasks.map((task) => task.asset.name));
    expect(
      tasks.map((task) =>
        task.asset.kind === 'file' && task.asset.refresh
          ? freshAudioUrlOf(fresh, task.asset.refresh)
          : undefined,
      ),
    ).toEqual(fresh.map((answer) => answer.audio_url));
  });

  it('names an answer without question_id by its position, apart from every question id, and not refreshable', async () => {
    // Prepare: the second answer has no question_id; the first's id is what a position name used to be
    const tasks = await tasksOf('round0', 'interview_ended', { 'data.responses.0.question_id': 'n2' }, [
      'data.responses.1.question_id',
    ]);

    // Assess
    expect(assetsOf(tasks).map((asset) => [asset.name, asset.where])).toEqual([
      ['question_n2', 'interviews/660f9511-f30c-52e5-b827-557766551111/question_n2.mp3'],
      ['answer_2', 'interviews/660f9511-f30c-52e5-b827-557766551111/answer_2.mp3'],
    ]);
    expect(tasks[1]?.asset).not.toHaveProperty('refresh');
  });
});
