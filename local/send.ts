/**
 * `npm run send`: delivers a vendor webhook the way the vendor would (like `stripe trigger`), to the
 * local pipeline or any deployed URL. ROUND0 bodies are signed over the exact bytes sent; micro1 is
 * authenticated by the token in its URL. Tests call {@link sendEvent} so they exercise the same code.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type VendorName, vendorNames } from '../functions/vendors/envelope.js';
import { signRound0Payload } from '../functions/vendors/round0/signature.js';
import { SendUsageError } from './errors.js';
import { StageError } from './ops/errors.js';
import { readStageOutputs, requireOutput } from './ops/stack-outputs.js';
import {
  micro1UrlWithToken,
  newestOf,
  parseSecretJson,
  readSecretString,
  storedWebhookSecretsSchema,
} from './ops/stage-secrets.js';
import { dataDirFromEnv, readRuntimeInfo } from './runtime-info.js';
import { readSecretsFile, runningSecretsFilePath } from './secrets-file.js';

/** `local/fixtures`: the vendors' sample payloads, one folder per vendor. */
export const fixturesDir = fileURLToPath(new URL('./fixtures/', import.meta.url));

/**
 * `local/fixtures/media/<vendor>/*.local.json`: payloads of our own whose media URLs name
 * {@link mediaPlaceholder}, so that sending one archives media served by the local media fake. Kept out of
 * the vendor folders: those hold the vendors' samples only (tests send every one of them, and their
 * `micro1.ai` URLs are refused by micro1, or unreachable offline, where the archive retries them).
 */
export const mediaFixturesDir = fileURLToPath(new URL('./fixtures/media/', import.meta.url));

/** Stands for the media fake's origin (`http://127.0.0.1:<port>`) in a media fixture. */
export const mediaPlaceholder = '{{media}}';

/** `body` with {@link mediaPlaceholder} replaced by `mediaUrl` (the JSON stays valid: a plain origin). */
export const fillMediaPlaceholder = (body: string, mediaUrl: string): string =>
  body.replaceAll(mediaPlaceholder, mediaUrl.replace(/\/$/, ''));

export interface SendEventOptions {
  readonly vendor: VendorName;
  /** Sent byte for byte (and signed as such for ROUND0). */
  readonly body: string | Buffer;
  /** The API's base URL (`http://127.0.0.1:3000`) or the full webhook URL. */
  readonly baseUrl: string;
  /** ROUND0 signing secret; without it no `X-Webhook-Signature` header is sent. */
  readonly secret?: string;
  /** micro1 URL token; needed unless `baseUrl` already is the full webhook URL. */
  readonly token?: string;
  /** Signature timestamp, Unix seconds. @default now */
  readonly timestamp?: number;
  /** @default 'application/json' */
  readonly contentType?: string;
}

export interface SentEvent {
  readonly url: string;
  readonly status: number;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * The URL a vendor posts to. A `baseUrl` with a path other than `/` is taken as the full webhook URL,
 * so a deployed micro1 URL can be pasted as is.
 */
export const webhookUrl = (vendor: VendorName, baseUrl: string, token?: string): string => {
  const url = new URL(baseUrl);
  if (url.pathname !== '/' && url.pathname !== '') return url.toString();
  const base = url.toString().replace(/\/$/, '');
  if (vendor === 'round0') return `${base}/webhooks/round0`;
  if (token === undefined || token === '') {
    throw new SendUsageError('micro1 needs a token (--token) or the full webhook URL (--url)');
  }
  return `${base}/webhooks/micro1/${encodeURIComponent(token)}`;
};

/** POSTs one webhook and returns the answer (any status: refusals are results, not errors). */
export const sendEvent = async (options: SendEventOptions): Promise<SentEvent> => {
  const url = webhookUrl(options.vendor, options.baseUrl, options.token);
  const body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
  const headers: Record<string, string> = {
    'content-type': options.contentType ?? 'application/json',
    'user-agent': 'interview-sync-send',
  };
  if (options.vendor === 'round0' && options.secret !== undefined) {
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    headers['x-webhook-signature'] = signRound0Payload(body, options.secret, timestamp);
  }
  const response = await fetch(url, { method: 'POST', headers, body });
  return {
    url,
    status: response.status,
    body: await response.text(),
    headers: Object.fromEntries(response.headers.entries()),
  };
};

/** Fixture names per vendor (file names without `.json`). */
export const listFixtures = async (dir: string = fixturesDir): Promise<Record<VendorName, string[]>> => {
  const entries = await Promise.all(
    vendorNames.map(async (vendor) => {
      const files = await readdir(resolve(dir, vendor)).catch(() => [] as string[]);
      const names = files.filter((file) => file.endsWith('.json')).map((file) => basename(file, '.json'));
      return [vendor, names.sort()] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<VendorName, string[]>;
};

/**
 * A fixture by name (`interview_ended`, or a media fixture's `interview_recording.completed.local`) or a
 * path to any JSON file (anything with `/` or `.json`).
 */
export const readFixture = async (
  vendor: VendorName,
  nameOrPath: string,
  dir: string = fixturesDir,
  mediaDir: string = mediaFixturesDir,
) => {
  const isPath = nameOrPath.includes('/') || nameOrPath.endsWith('.json');
  // From where the user typed the command: `npm run send` runs this from the repository's root, and INIT_CWD
  // is the directory npm was started in (only this script's own: an outer npm's is inherited by anything).
  const typedIn =
    process.env.npm_lifecycle_event === 'send' ? (process.env.INIT_CWD ?? process.cwd()) : process.cwd();
  const path = isPath
    ? resolve(typedIn, nameOrPath)
    : resolve(nameOrPath.endsWith('.local') ? mediaDir : dir, vendor, `${nameOrPath}.json`);
  try {
    return await readFile(path);
  } catch (error) {
    if (isPath) throw new SendUsageError(`cannot read ${path}`, { cause: error });
    const known = [...(await listFixtures(dir))[vendor], ...(await listFixtures(mediaDir))[vendor]].join(
      ', ',
    );
    throw new SendUsageError(`no ${vendor} fixture "${nameOrPath}" (known: ${known})`, { cause: error });
  }
};

/**
 * `body` ready to send: {@link mediaPlaceholder} replaced by the media fake's URL of the running `npm start`
 * (its runtime info in `dataDir`). Bodies without the placeholder are returned as they are, byte for byte.
 */
export const resolveMediaPlaceholder = async (body: Buffer, dataDir: string): Promise<Buffer> => {
  const text = body.toString('utf8');
  if (!text.includes(mediaPlaceholder)) return body;
  const mediaUrl = (await readRuntimeInfo(dataDir))?.mediaUrl;
  if (mediaUrl === undefined) {
    throw new SendUsageError(
      `this payload names ${mediaPlaceholder}, the local media fake: start the pipeline first (npm start), ` +
        'which serves the media and records its URL',
    );
  }
  return Buffer.from(fillMediaPlaceholder(text, mediaUrl), 'utf8');
};

/** How `--list` marks a vendor's dashboard test event (`test_…`): the pipeline acknowledges it, nothing more. */
const testNote = '(test delivery: answered 202 with "test": true, no effect)';

const usage = `Usage: npm run send -- <vendor> <fixture name | path to JSON> [options]
       npm run send -- --list

Fixtures ending in .local (e.g. micro1 interview_recording.completed.local) name media served by the
local media fake of a running npm start; the vendors' own samples name media this machine cannot reach.

Vendors: ${vendorNames.join(', ')}
Options:
  --stage <stage>      a deployed stage: its webhook URL from the stack outputs, its ROUND0 signing secret or
                       micro1 token from its webhook secret (Secrets Manager)
  --region <region>    the stage's region (default: the AWS SDK's, e.g. AWS_REGION or the profile's)
  --url <url>          base URL or full webhook URL (default http://127.0.0.1:$PORT, PORT=3000)
  --secret <secret>    ROUND0 signing secret (default: secrets.local.json, or the stage's)
  --token <token>      micro1 URL token (default: secrets.local.json, or the stage's)
  --timestamp <unix s> ROUND0 signature timestamp (default: now)
  --list               list the fixtures
Example: npm run send -- round0 interview_ended
         npm run send -- round0 test_interview_ended --stage prod`;

export interface CliOutput {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
}

const consoleOutput: CliOutput = { out: (text) => console.log(text), err: (text) => console.error(text) };

const isVendor = (name: string | undefined): name is VendorName =>
  name !== undefined && (vendorNames as readonly string[]).includes(name);

/** The pretty-printed body when it is JSON, the text otherwise. */
const formatBody = (body: string): string => {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
};

/**
 * Runs the CLI and returns its exit code: 0 for a 2xx answer, 1 for any other status or a failed
 * request, 2 for a usage error.
 */
export const runSendCli = async (
  argv: readonly string[],
  output: CliOutput = consoleOutput,
  environment: NodeJS.ProcessEnv = process.env,
  /**
   * Where a running `npm start` keeps its runtime info (its API's and media fake's URLs, its secrets file).
   * @default `DATA_DIR` as `npm start` reads it, else `.data/`
   */
  dataDir: string = dataDirFromEnv(environment),
): Promise<number> => {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        url: { type: 'string' },
        stage: { type: 'string' },
        region: { type: 'string' },
        secret: { type: 'string' },
        token: { type: 'string' },
        timestamp: { type: 'string' },
        list: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      output.out(usage);
      return 0;
    }
    if (values.list) {
      const media = await listFixtures(mediaFixturesDir);
      for (const [vendor, names] of Object.entries(await listFixtures())) {
        const local = media[vendor as VendorName].map(
          (name) => `  ${name}   (media on the local media fake)`,
        );
        const samples = names.map((name) =>
          name.startsWith('test_') ? `  ${name}   ${testNote}` : `  ${name}`,
        );
        output.out(`${vendor}:\n${[...samples, ...local].join('\n')}`);
      }
      return 0;
    }
    const [vendor, fixture] = positionals;
    if (!isVendor(vendor) || fixture === undefined || positionals.length > 2) {
      throw new SendUsageError(usage);
    }
    const timestamp = values.timestamp === undefined ? undefined : Number(values.timestamp);
    if (timestamp !== undefined && !Number.isSafeInteger(timestamp)) {
      throw new SendUsageError('--timestamp must be an integer number of Unix seconds');
    }
    const body = await resolveMediaPlaceholder(await readFixture(vendor, fixture), dataDir);
    let target: { baseUrl: string; secret?: string; token?: string };
    if (values.stage !== undefined) {
      target = await deployedTarget(vendor, values.stage, values.region);
    } else {
      const running = await readRuntimeInfo(dataDir);
      // `PORT=0` (any free port) names no port to send to: the running `npm start` says which it took.
      const urlFromRunning =
        values.url === undefined &&
        (environment.PORT === undefined || environment.PORT === '' || environment.PORT === '0');
      // `PORT` as `npm start` reads it, else where the running `npm start` says it listens, else its default.
      const baseUrl =
        values.url ??
        (urlFromRunning
          ? (running?.apiUrl ?? 'http://127.0.0.1:3000')
          : `http://127.0.0.1:${environment.PORT}`);
      const needsSecret = vendor === 'round0' && values.secret === undefined;
      const needsToken =
        vendor === 'micro1' && values.token === undefined && new URL(baseUrl).pathname === '/';
      const secretsFromRunning = (needsSecret || needsToken) && !environment.SECRETS_FILE;
      // A DATA_DIR names the npm start to send to. With none running there, the defaults would send to
      // another pipeline (the one on port 3000), signed with its secrets, and say nothing. (`--url` with
      // `--secret`/`--token` or SECRETS_FILE take nothing from it.)
      if (environment.DATA_DIR && running === undefined && (urlFromRunning || secretsFromRunning)) {
        throw new SendUsageError(
          `no npm start is running on DATA_DIR ${dataDir}: start it with that DATA_DIR, ` +
            'or pass --url and --secret/--token',
        );
      }
      const secrets =
        needsSecret || needsToken
          ? await readLocalSecrets(runningSecretsFilePath(environment, running?.secretsFile))
          : undefined;
      target = {
        baseUrl,
        ...optionalValue('secret', secrets?.webhook.round0SigningSecrets[0]),
        ...optionalValue('token', secrets?.webhook.micro1Tokens[0]),
      };
    }
    const sent = await sendEvent({
      vendor,
      body,
      // Explicit flags win over the stage's values (a URL of another stage, a secret under rotation).
      baseUrl: values.url ?? target.baseUrl,
      secret: values.secret ?? target.secret,
      token: values.token ?? target.token,
      timestamp,
    });
    output.out(`HTTP ${sent.status}`);
    if (sent.body !== '') output.out(formatBody(sent.body));
    return sent.status >= 200 && sent.status < 300 ? 0 : 1;
  } catch (error) {
    if (error instanceof SendUsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      output.err((error as Error).message);
      return 2;
    }
    output.err(`request failed: ${error instanceof Error ? error.message : String(error)}`);
    if (error instanceof TypeError && String((error as { cause?: unknown }).cause).includes('ECONNREFUSED')) {
      output.err('is the local pipeline running? start it with `npm start`');
    }
    return 1;
  }
};

const optionalValue = <K extends string>(key: K, value: string | undefined) =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: string };

/**
 * Where and how to send to a deployed stage: its webhook URL (stack outputs; micro1's with the newest token)
 * and ROUND0's newest signing secret, both read from the stage's webhook secret.
 */
const deployedTarget = async (
  vendor: VendorName,
  stage: string,
  region: string | undefined,
): Promise<{ baseUrl: string; secret?: string; token?: string }> => {
  try {
    const outputs = await readStageOutputs({ stage, ...(region === undefined ? {} : { region }) });
    const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    const client = new SecretsManagerClient({ region: outputs.region });
    let webhook: { round0SigningSecrets: string[]; micro1Tokens: string[] };
    try {
      webhook = parseSecretJson(
        await readSecretString(client, requireOutput(outputs, 'webhookSecretArn'), 'webhook secret'),
        'webhook secret',
        storedWebhookSecretsSchema,
      );
    } finally {
      client.destroy();
    }
    const notSetUp = (what: string) =>
      new SendUsageError(
        `the webhook secret of stage ${stage} holds no ${what} yet: run npm run ops -- setup --stage ${stage}`,
      );
    if (vendor === 'round0') {
      const secret = newestOf(webhook.round0SigningSecrets);
      if (secret === undefined) throw notSetUp('ROUND0 signing secret');
      return { baseUrl: requireOutput(outputs, 'round0WebhookUrl'), secret };
    }
    const token = newestOf(webhook.micro1Tokens);
    if (token === undefined) throw notSetUp('micro1 token');
    return { baseUrl: micro1UrlWithToken(requireOutput(outputs, 'micro1WebhookUrl'), token), token };
  } catch (error) {
    if (error instanceof StageError) throw new SendUsageError(error.message, { cause: error });
    throw error;
  }
};

const readLocalSecrets = async (path: string) => {
  try {
    return await readSecretsFile(path);
  } catch (error) {
    throw new SendUsageError(
      `cannot read ${path}: run \`npm start\` once to create it, or pass --secret/--token`,
      { cause: error },
    );
  }
};
