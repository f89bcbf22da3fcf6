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

/** Runs `act` with stdout and stderr captured: nothing reaches the test output. */
export const captureOutput = async <T>(act: () => Promise<T>): Promise<CapturedOutput<T>> => {
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
  try {
    const result = await act();
    return { result, stdout: stdout.join(''), stderr: stderr.join('') };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
};
