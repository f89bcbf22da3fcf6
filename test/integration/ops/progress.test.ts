/**
 * The progress display of the long ops commands: one line redrawn in place on a terminal, plain lines at
 * most every few seconds when piped, with count, rate and ETA.
 */
import { Progress } from '../../../local/ops/progress.js';

const recorder = (isTTY: boolean) => {
  const writes: string[] = [];
  return { isTTY, writes, write: (text: string) => writes.push(text) };
};

describe('ops progress', () => {
  it('redraws one line on a terminal, with count, rate and ETA, and ends it with a newline', () => {
    // Prepare
    let now = 0;
    const stream = recorder(true);
    const progress = new Progress('replay round0', 10, { stream, now: () => now });

    // Act
    now = 1000;
    progress.tick(2);
    now = 1050; // within 100 ms of the last redraw: not drawn
    progress.tick();
    now = 2000;
    progress.tick(2);
    progress.done();

    // Assess
    expect(stream.writes).toEqual([
      '\r\x1b[2Kreplay round0: 2/10, 2.0/s, ETA 4 s',
      '\r\x1b[2Kreplay round0: 5/10, 2.5/s, ETA 2 s',
      '\r\x1b[2Kreplay round0: 5/10, 2.5/s, done in 2 s\n',
    ]);
  });

  it('writes plain lines when piped, no more often than every two seconds', () => {
    // Prepare
    let now = 0;
    const stream = recorder(false);
    const progress = new Progress('erase', undefined, { stream, now: () => now });

    // Act
    for (let i = 1; i <= 50; i++) {
      now = i * 100;
      progress.tick();
    }
    progress.done();

    // Assess
    expect(stream.writes).toEqual([
      'erase: 20, 10.0/s\n',
      'erase: 40, 10.0/s\n',
      'erase: 50, 10.0/s, done in 5 s\n',
    ]);
  });

  it('is silent without a stream, and prints nothing for a command that had nothing to do', () => {
    const stream = recorder(true);
    new Progress('redrive events', 0, { stream }).done();
    expect(stream.writes).toEqual([]);
    expect(() => new Progress('redrive events', 3).tick()).not.toThrow();
  });
});
