/**
 * What code under test writes to stdout and stderr (Powertools writes its log lines and EMF metrics to
 * stdout, warnings and errors to stderr), captured instead of printed.
 */
import { jest } from '@jest/globals';

export interface CapturedOutput<T> {
  readonly result: T;
  readonly stdout: string;
  readonly stderr: string;
}

/** A capture that spans several steps (a `beforeEach` to an `afterEach`): read it any time, then restore. */
export interface OutputCapture {
  /** Everything written to stdout since the capture began. */
  stdout(): string;
  stderr(): string;
  /** Puts the real streams back. */
  restore(): void;
}

/** Captures stdout and stderr until `restore()`: nothing reaches the test output meanwhile. */
export const startCapturingOutput = (): OutputCapture => {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const into = (chunks: string[]) => (chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const spies = [
    jest.spyOn(process.stdout, 'write').mockImplementation(into(stdout)),
    jest.spyOn(process.stderr, 'write').mockImplementation(into(stderr)),
  ];
  return {
    stdout: () => stdout.join(''),
    stderr: () => stderr.join(''),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
};

/** Runs `act` with stdout and stderr captured: nothing reaches the test output. */
export const captureOutput = async <T>(act: () => Promise<T>): Promise<CapturedOutput<T>> => {
  const capture = startCapturingOutput();
  try {
    const result = await act();
    return { result, stdout: capture.stdout(), stderr: capture.stderr() };
  } finally {
    capture.restore();
  }
};
