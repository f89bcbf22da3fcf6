import { describe, expect, it } from '@jest/globals';
import { claimedEffect, doneEffect, failedEffect } from '../../../functions/ledger/interview-state.js';
import { interviewLines } from '../../../local/ops/status.js';

const now = Date.UTC(2026, 11, 5, 12, 0);
const claim = (leaseUntil: number) => claimedEffect(undefined, 'attempt-1', 'round0:evt_1', leaseUntil);

describe('ops status: an interview’s ATS writes', () => {
  it('says which write is being made, which got no answer and may still land, and which is merely failed', () => {
    // Prepare
    const state = {
      status: 'completed',
      rank: 4,
      version: 3,
      events: {},
      effects: {
        'status:completed': doneEffect(claim(now + 60_000)),
        note: { ...failedEffect(claim(now - 1), now + 20_000), parts: ['proctoring:73', 'recording:screen'] },
        'links:ab12': claim(now + 60_000),
        'stage:s-2': failedEffect(claim(now - 1)),
        'field:f:88': failedEffect(claim(now - 30_000), now - 1),
        'proctoring:73': doneEffect(claim(now + 60_000)),
      },
    };

    // Act
    const lines = interviewLines(
      { ref: { vendor: 'round0', interviewKey: 'int-1' }, state, archive: [], parked: [] },
      now,
    );

    // Assess
    const line = (key: string) => lines.find((l) => l.trim().startsWith(`${key} `))?.trim();
    expect(line('note')).toBe(
      'note  failed, no answer: may still land, left alone until 2026-12-05T12:00:20.000Z, attempts 1, by round0:evt_1, parts proctoring recording:screen',
    );
    expect(line('links:ab12')).toBe(
      'links:ab12  claimed, being made (lease until 2026-12-05T12:01:00.000Z), attempts 1, by round0:evt_1',
    );
    expect(line('stage:s-2')).toBe('stage:s-2  failed, attempts 1, by round0:evt_1');
    // No score: the field's and the proctoring part's keys are shown without theirs
    expect(line('field:f')).toBe('field:f  failed, attempts 1, by round0:evt_1');
    expect(line('proctoring')).toBe('proctoring  done, attempts 1, by round0:evt_1');
    expect(lines.join('\n')).not.toMatch(/88|73/);
    expect(line('status:completed')).toBe('status:completed  done, attempts 1, by round0:evt_1');
  });
});
