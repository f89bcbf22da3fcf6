/**
 * Worker processes of a fault world (`worker-process.ts`, the worker's event source in a child process) and
 * the events queue they drain: shared by the files that kill them (worker-kill*.faults.test.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import type { FaultsWorld } from './harness.js';

const workerScript = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

/** The worker processes started for `world()` (read when called: the world starts in `beforeAll`). */
export const workerProcesses = (world: () => FaultsWorld) => {
  const started: ChildProcess[] = [];

  /** The events queue's messages, visible and in flight (received, not deleted). */
  const messagesOnQueue = async () => {
    const { pipeline } = world();
    const { Attributes = {} } = await pipeline.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: pipeline.queueUrls.events,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return {
      visible: Number(Attributes.ApproximateNumberOfMessages),
      inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible),
    };
  };

  /**
   * Starts a worker process and resolves once it is loaded; it polls once told to (`go`). `visibilitySeconds`:
   * the visibility timeout it receives with, when not the queue's.
   */
  const load = async (visibilitySeconds?: number): Promise<ChildProcess> => {
    const { pipeline } = world();
    const child = spawn(process.execPath, ['--import', 'tsx', workerScript], {
      env: {
        ...process.env,
        ...pipeline.env,
        FAULTS_EVENTS_QUEUE_ARN: pipeline.queueArns.events,
        ...(visibilitySeconds === undefined
          ? {}
          : { FAULTS_VISIBILITY_TIMEOUT_SECONDS: String(visibilitySeconds) }),
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    started.push(child);
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    await new Promise<void>((resolve, reject) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        if (chunk.toString('utf8').includes('ready')) resolve();
      });
      child.once('exit', (code) =>
        reject(new Error(`worker process exited (${code}) before loading: ${output}`)),
      );
    });
    return child;
  };

  /** Kills every worker process still running (afterAll). */
  const killAll = () => {
    for (const child of started) if (child.exitCode === null) child.kill('SIGKILL');
  };

  return { messagesOnQueue, load, killAll };
};
