/**
 * The bench's stand-in for AWS and the vendors, in a process of its own (a function never shares its event
 * loop with the services it calls, as on AWS): the three emulators (local-aws-sqs, s3rver, dynalite) and,
 * when asked, the fakes of ROUND0's and micro1's APIs the worker enriches events from.
 *
 * Environment: BENCH_SECRETS_FILE (the secrets file; the fakes take their API keys from it).
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { type LocalQueues, startEmulators } from '../emulators.js';
import { startFakeMicro1Api } from '../fakes/micro1-api.js';
import { round0InterviewFromWebhook, startFakeRound0Api } from '../fakes/round0-api.js';
import { readSecretsFile } from '../secrets-file.js';
import { serveBenchCommands } from './child.js';

export interface BenchServices {
  /** What a function needs in its environment to reach the emulators. */
  readonly env: Readonly<Record<string, string>>;
  readonly queueUrls: LocalQueues;
  readonly queueArns: LocalQueues;
  /** Base URLs of the vendor API fakes. */
  readonly vendorApiUrls: { readonly round0: string; readonly micro1: string };
}

const secrets = await readSecretsFile(process.env.BENCH_SECRETS_FILE);
const emulators = await startEmulators();
const round0 = await startFakeRound0Api({ apiKey: secrets.vendorApi.round0ApiKey ?? 'unset' });
const micro1 = await startFakeMicro1Api({ apiKey: secrets.vendorApi.micro1ApiKey ?? 'unset' });

serveBenchCommands(
  {
    info: async (): Promise<BenchServices> => ({
      env: emulators.env,
      queueUrls: emulators.queueUrls,
      queueArns: emulators.queueArns,
      vendorApiUrls: { round0: round0.url, micro1: micro1.url },
    }),
    /** Makes ROUND0's API fake know the interviews of these webhook bodies (the worker enriches from it). */
    seedRound0: async (bodies: readonly string[]) => {
      for (const body of bodies) {
        const { id, body: interview } = round0InterviewFromWebhook(JSON.parse(body), {
          audioBaseUrl: round0.url,
        });
        round0.state.interviews.set(id, interview);
      }
      // The fake records every request; the bench has no use for them.
      round0.requests.length = 0;
      return round0.state.interviews.size;
    },
  },
  async () => {
    await Promise.all([round0.close(), micro1.close()]);
    await emulators.close();
  },
);
