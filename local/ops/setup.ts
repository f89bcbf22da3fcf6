/**
 * `npm run ops -- setup --stage <stage>`: fills a freshly deployed stage's secrets and prints what to
 * paste into the vendors' dashboards. `npm run ops -- urls --stage <stage>` prints the URLs again.
 *
 * - webhook secret: a micro1 URL token is created when there is none (`--rotate micro1-token` adds one and
 *   keeps the old: a rotation window), the ROUND0 signing secret comes from `--round0-secret -` or is asked
 *   for on a terminal when none is stored; `--retire micro1-token|round0-secret` keeps only the newest value
 *   once the vendor uses it. What is written must pass the ingest's own schema (`webhookSecretsSchema`).
 * - integration secret: `--ats-credentials <file>` is stored; `pseudonymKey` and anything else already there
 *   is kept as it is. Checked with the worker's schema.
 * - vendor API secret: `--round0-api-key` and `--micro1-api-key` are stored. Keys a stage set up before
 *   this secret existed still holds in the integration secret are moved here (written here first, then
 *   removed there: a run cut short between the two leaves them in both, which the worker reads alike), so
 *   the archive, which may read only this secret, can refresh ROUND0's expired audio URLs.
 *
 * A secret flag (`--round0-secret`, `--round0-api-key`, `--micro1-api-key`) given as `-` takes its value off
 * the command line, which `npm run` echoes (and the shell keeps in its history): asked for without echo on a
 * terminal, else one line of stdin (`printf %s "$KEY" | npm run ops -- setup --stage prod --round0-api-key -`).
 * A value given on the command line is still taken, with a warning on stderr.
 *
 * A secret is written only when something changed: a second run with the same flags writes nothing and
 * says so. Nothing secret is printed except the micro1 URL, which is the one thing to paste (and marked so).
 */
import { readFile } from 'node:fs/promises';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as v from 'valibot';
import { envNames } from '../../functions/platform/env.js';
import {
  type IntegrationSecrets,
  integrationSecretsSchema,
  type VendorApiSecrets,
  vendorApiSecretsSchema,
  webhookSecretsSchema,
} from '../../functions/platform/secrets-shape.js';
import { micro1EventTypes } from '../../functions/vendors/micro1/schema.js';
import { generateWebhookToken } from '../../functions/vendors/micro1/token.js';
import { readDeployedWorkerSettings } from './deployed-settings.js';
import { StageError } from './errors.js';
import { requireOutput, type StageOutputs } from './stack-outputs.js';
import {
  micro1UrlWithToken,
  newestOf,
  parseSecretJson,
  readSecretString,
  type StoredWebhookSecrets,
  storedWebhookSecretsSchema,
  writeSecretString,
} from './stage-secrets.js';

/** Values `--rotate` adds beside the current one. */
export const rotatable = ['micro1-token'] as const;
/** Lists `--retire` cuts down to their newest value. */
export const retirable = ['micro1-token', 'round0-secret'] as const;

/** A secret flag's value that means "not here: ask for it, or read it from stdin". */
export const fromInput = '-';

export interface SetupOptions {
  readonly outputs: StageOutputs;
  readonly secrets: SecretsManagerClient;
  /** ROUND0's endpoint signing secret (`--round0-secret`); `-` (`fromInput`) asks or reads stdin. */
  readonly round0Secret?: string;
  /** `--round0-api-key`; `-` asks or reads stdin. */
  readonly round0ApiKey?: string;
  /** `--micro1-api-key`; `-` asks or reads stdin. */
  readonly micro1ApiKey?: string;
  /** A JSON file holding the ATS credentials object (`--ats-credentials`). */
  readonly atsCredentialsFile?: string;
  readonly rotate?: readonly (typeof rotatable)[number][];
  readonly retire?: readonly (typeof retirable)[number][];
  /**
   * Asks for a secret without echoing it. Given only on a terminal; without it a secret flag given as `-`
   * reads one line of stdin, and a missing ROUND0 signing secret is a usage error naming `--round0-secret`.
   */
  readonly askSecret?: (prompt: string) => Promise<string>;
}

export interface SetupResult {
  readonly lines: string[];
  /** 0 done; 2 when the ROUND0 signing secret is missing and could not be asked for (nothing written). */
  readonly exitCode: number;
}

const webhookWhat = 'webhook secret';
const integrationWhat = 'integration secret';
const vendorApiWhat = 'vendor API secret';

/** The ROUND0 URL, the micro1 URL with its token (marked secret) and the micro1 event types to register. */
export const webhookUrlLines = (
  outputs: StageOutputs,
  webhook: Pick<StoredWebhookSecrets, 'micro1Tokens'>,
): string[] => {
  const round0Url = requireOutput(outputs, 'round0WebhookUrl');
  const token = newestOf(webhook.micro1Tokens);
  const micro1 =
    token === undefined
      ? [`  micro1  no token yet: run npm run ops -- setup --stage ${outputs.stage}`]
      : [
          `  micro1  ${micro1UrlWithToken(requireOutput(outputs, 'micro1WebhookUrl'), token)}`,
          '          SECRET: the token in this URL is what authenticates micro1 (it signs nothing); give it to micro1 only',
          `          register it for each event type: ${micro1EventTypes.join(', ')}`,
          '          (in micro1, or POST https://public.api.micro1.ai/webhook with your x-api-key, once per type)',
        ];
  const older = webhook.micro1Tokens.length - 1;
  return [
    `  ROUND0  ${round0Url}`,
    "          ROUND0 dashboard → webhook settings: this URL for all events; it signs with the endpoint's signing secret",
    ...micro1,
    ...(older > 0
      ? [
          `          ${older} older micro1 token(s) still accepted (rotation): once micro1 posts to the URL above, ` +
            `drop them with npm run ops -- setup --stage ${outputs.stage} --retire micro1-token`,
        ]
      : []),
  ];
};

/** The ATS credentials file: a JSON object of strings (what the adapters read from `ats`). */
const readAtsCredentials = async (path: string): Promise<Record<string, string>> => {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new StageError(`cannot read --ats-credentials ${path}`, { cause: error });
  }
  const credentials = parseSecretJson(
    text,
    `ATS credentials file ${path}`,
    v.pipe(v.record(v.string(), v.pipe(v.string(), v.nonEmpty())), v.minEntries(1)),
  );
  return credentials;
};

/** The flags whose value is a secret: never needed on the command line (`-`). */
const secretFlags = [
  { option: 'round0Secret', flag: '--round0-secret', what: "the ROUND0 endpoint's signing secret" },
  { option: 'round0ApiKey', flag: '--round0-api-key', what: 'the ROUND0 API key' },
  { option: 'micro1ApiKey', flag: '--micro1-api-key', what: 'the micro1 API key' },
] as const;
type SecretValues = Partial<Record<(typeof secretFlags)[number]['option'], string>>;

/** All of stdin (piped), as one line: a final newline is dropped, a second line refused. */
const readStdinLine = async (flag: string, stage: string): Promise<string> => {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  }
  const text = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (text.trim() === '') {
    throw new StageError(
      `${flag} -: stdin was empty, nothing was written; pipe the value in, e.g. ` +
        `printf %s "$VALUE" | npm run ops -- setup --stage ${stage} ${flag} -`,
    );
  }
  if (/[\r\n]/.test(text)) {
    throw new StageError(
      `${flag} -: stdin holds more than one line; pipe the value alone (nothing was written)`,
    );
  }
  return text;
};

/**
 * The secret flags' values: `-` asked for without echo on a terminal, else read from stdin (one flag per
 * run: stdin holds one value); a value on the command line taken as it is, with a warning on stderr.
 */
const resolveSecretFlags = async (options: SetupOptions): Promise<SecretValues> => {
  const stage = options.outputs.stage;
  const given = secretFlags.filter(({ option }) => options[option] !== undefined);
  const onArgv = given.filter(({ option }) => options[option] !== fromInput);
  if (onArgv.length > 0) {
    const flags = onArgv.map(({ flag }) => flag).join(', ');
    process.stderr.write(
      `warning: ${flags} given on the command line: npm run echoed the value and your shell history keeps it; ` +
        `pass ${onArgv.length === 1 ? `${flags} -` : `each as <flag> -`} to be asked for it (hidden) or pipe it to stdin\n`,
    );
  }
  const fromStdin = given.filter(({ option }) => options[option] === fromInput);
  if (options.askSecret === undefined && fromStdin.length > 0) {
    const flags = fromStdin.map(({ flag }) => flag).join(', ');
    if (process.stdin.isTTY === true) {
      throw new StageError(
        `${flags} -: stdin is a terminal but the output is not, so what is typed would show: run setup with ` +
          'its output on the terminal, or pipe the value in (nothing was written)',
      );
    }
    if (fromStdin.length > 1) {
      throw new StageError(
        `${flags} all given as -: piped, stdin holds one value; run setup once for each (nothing was written)`,
      );
    }
  }
  const values: SecretValues = {};
  for (const { option, flag, what } of given) {
    const value = options[option] as string;
    if (value !== fromInput) {
      values[option] = value;
    } else if (options.askSecret === undefined) {
      values[option] = await readStdinLine(flag, stage);
    } else {
      const endpoint =
        option === 'round0Secret'
          ? `In ROUND0's dashboard (webhook settings), open the endpoint ${requireOutput(options.outputs, 'round0WebhookUrl')}\n`
          : '';
      const answer = await options.askSecret(`${endpoint}Paste ${what} here (not shown): `);
      if (answer.trim() === '') throw new StageError(`${flag} -: nothing was typed (nothing was written)`);
      values[option] = answer;
    }
  }
  return values;
};

const nonEmptyFlag = (value: string | undefined, flag: string): string | undefined => {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new StageError(`${flag} is empty`);
  return value.trim();
};

/** The vendor API keys a stage set up before the vendor API secret still keeps in its integration secret. */
const movedKeys = ['round0ApiKey', 'micro1ApiKey'] as const;

/**
 * Why the vendor API keys must stay in the integration secret for now, or undefined when the deployed worker
 * reads the vendor API secret. A worker deployed before that secret existed (or whose deploy failed and was
 * rolled back to such a version) finds its keys only in the integration secret: removing them there would
 * silently write every note without enrichment until the next successful deploy.
 */
const reasonToKeepVendorKeys = async (outputs: StageOutputs): Promise<string | undefined> => {
  const status = outputs.stackStatus.stateless;
  if (status.endsWith('_IN_PROGRESS')) {
    return `stack ${outputs.stackNames.stateless} is ${status}: run setup again once its deploy has ended`;
  }
  let deployed: Awaited<ReturnType<typeof readDeployedWorkerSettings>>;
  try {
    deployed = await readDeployedWorkerSettings(outputs);
  } catch (error) {
    return `cannot tell whether the deployed worker reads the vendor API secret (${error instanceof Error ? error.message : String(error)})`;
  }
  if (deployed.variableNames.has(envNames.vendorApiSecretsArn)) return undefined;
  return (
    `the deployed worker (stack ${outputs.stackNames.stateless}) does not read the vendor API secret yet: ` +
    `deploy the stage (npm run cdk -- deploy --all -c stage=${outputs.stage}), then run setup again`
  );
};

/** The secrets after the flags, with what changed in words (no values). */
const plan = async (
  options: SetupOptions,
  given: SecretValues,
  webhook: StoredWebhookSecrets,
  integration: IntegrationSecrets,
  vendorApi: VendorApiSecrets,
  keepVendorKeysBecause: string | undefined,
): Promise<
  | { missingRound0Secret: true }
  | {
      missingRound0Secret: false;
      webhook: StoredWebhookSecrets;
      integration: IntegrationSecrets;
      vendorApi: VendorApiSecrets;
      webhookChanges: string[];
      integrationChanges: string[];
      vendorApiChanges: string[];
    }
> => {
  const rotate = new Set(options.rotate ?? []);
  const retire = new Set(options.retire ?? []);
  if (rotate.has('micro1-token') && retire.has('micro1-token')) {
    throw new StageError(
      '--rotate micro1-token and --retire micro1-token in one run would cut micro1 off: rotate, register the ' +
        'new URL in micro1, then retire',
    );
  }
  const webhookChanges: string[] = [];
  const micro1Tokens = [...webhook.micro1Tokens];
  if (micro1Tokens.length === 0) {
    micro1Tokens.push(generateWebhookToken());
    webhookChanges.push('micro1 token created');
  } else if (rotate.has('micro1-token')) {
    micro1Tokens.push(generateWebhookToken());
    // A container re-reads the secret at once when a delivery fails, but at most every 30 s
    // (functions/platform/secrets.ts): a URL registered sooner could meet a re-read made just before the store.
    webhookChanges.push(
      `micro1 token added (the ${micro1Tokens.length - 1} before it stay valid until retired); ` +
        'register the new URL in micro1 30 s from now or later: running containers may not read it sooner',
    );
  }
  if (retire.has('micro1-token') && micro1Tokens.length > 1) {
    webhookChanges.push(`${micro1Tokens.length - 1} older micro1 token(s) retired`);
    micro1Tokens.splice(0, micro1Tokens.length - 1);
  }

  const round0SigningSecrets = [...webhook.round0SigningSecrets];
  let round0Secret = nonEmptyFlag(given.round0Secret, '--round0-secret');
  if (round0Secret === undefined && round0SigningSecrets.length === 0) {
    if (options.askSecret === undefined) return { missingRound0Secret: true };
    round0Secret = nonEmptyFlag(
      await options.askSecret(
        `In ROUND0's dashboard (webhook settings), add the endpoint ${requireOutput(options.outputs, 'round0WebhookUrl')}\n` +
          "then paste the endpoint's ROUND0 signing secret here (not shown): ",
      ),
      'the ROUND0 signing secret',
    );
  }
  if (round0Secret !== undefined && round0Secret.length < 8) {
    // The ingest's schema refuses it; say so in words rather than as a path of the secret.
    throw new StageError('the ROUND0 signing secret is shorter than 8 characters: copy all of it');
  }
  if (round0Secret !== undefined && !round0SigningSecrets.includes(round0Secret)) {
    webhookChanges.push(
      round0SigningSecrets.length === 0
        ? 'ROUND0 signing secret stored'
        : `ROUND0 signing secret added (the ${round0SigningSecrets.length} before it stay valid until retired)`,
    );
    round0SigningSecrets.push(round0Secret);
  } else if (round0Secret !== undefined && newestOf(round0SigningSecrets) !== round0Secret) {
    // Given again while a newer one exists: it becomes the newest, so --retire keeps it.
    round0SigningSecrets.splice(round0SigningSecrets.indexOf(round0Secret), 1);
    round0SigningSecrets.push(round0Secret);
    webhookChanges.push('ROUND0 signing secret made the newest');
  }
  if (retire.has('round0-secret') && round0SigningSecrets.length > 1) {
    webhookChanges.push(`${round0SigningSecrets.length - 1} older ROUND0 signing secret(s) retired`);
    round0SigningSecrets.splice(0, round0SigningSecrets.length - 1);
  }

  const integrationChanges: string[] = [];
  const vendorApiChanges: string[] = [];
  const next: Record<string, unknown> = { ...integration };
  const nextVendorApi: Record<string, unknown> = { ...vendorApi };
  for (const key of movedKeys) {
    const old = next[key];
    if (old === undefined) continue;
    // Where the worker read it before the vendor API secret existed: moved (a key already there wins; an
    // empty one is none, as the worker reads it).
    if ((nextVendorApi[key] === undefined || nextVendorApi[key] === '') && old !== '') {
      nextVendorApi[key] = old;
      vendorApiChanges.push(
        `${key} ${keepVendorKeysBecause === undefined ? 'moved' : 'copied'} here from the integration secret`,
      );
    }
    // Removed only once the deployed worker reads it from the vendor API secret (it reads both, the vendor
    // API secret first), so no deploy state ever finds it in neither.
    if (keepVendorKeysBecause !== undefined) continue;
    delete next[key];
    integrationChanges.push(`${key} removed (it belongs in the vendor API secret)`);
  }
  const setKey = (key: 'round0ApiKey' | 'micro1ApiKey', value: string | undefined) => {
    if (value === undefined || nextVendorApi[key] === value) return;
    vendorApiChanges.push(`${key} ${nextVendorApi[key] === undefined ? 'stored' : 'replaced'}`);
    nextVendorApi[key] = value;
  };
  setKey('round0ApiKey', nonEmptyFlag(given.round0ApiKey, '--round0-api-key'));
  setKey('micro1ApiKey', nonEmptyFlag(given.micro1ApiKey, '--micro1-api-key'));
  if (options.atsCredentialsFile !== undefined) {
    const ats = await readAtsCredentials(options.atsCredentialsFile);
    if (JSON.stringify(ats) !== JSON.stringify(next.ats)) {
      integrationChanges.push(
        `ats credentials ${next.ats === undefined ? 'stored' : 'replaced'} (${Object.keys(ats).join(', ')})`,
      );
      next.ats = ats;
    }
  }
  return {
    missingRound0Secret: false,
    webhook: { ...webhook, round0SigningSecrets, micro1Tokens },
    integration: next as IntegrationSecrets,
    vendorApi: nextVendorApi as VendorApiSecrets,
    webhookChanges,
    integrationChanges,
    vendorApiChanges,
  };
};

/** What the worker cannot do yet for lack of a value, as lines. */
const missingIntegrationLines = (
  integration: IntegrationSecrets,
  vendorApi: VendorApiSecrets,
  stage: string,
): string[] => {
  const missing = [
    ...(vendorApi.round0ApiKey ? [] : ['--round0-api-key - (ROUND0 answers and audio)']),
    ...(vendorApi.micro1ApiKey ? [] : ['--micro1-api-key - (micro1 reports)']),
    ...(integration.ats === undefined
      ? ['--ats-credentials <file.json> (the ATS adapter\'s credentials, e.g. {"apiKey": "…"})']
      : []),
  ];
  if (missing.length === 0) return [];
  return [
    '',
    `Not set yet (add them with npm run ops -- setup --stage ${stage} …; \`-\` asks, hidden, or reads stdin):`,
    ...missing.map((flag) => `  ${flag}`),
  ];
};

/** Reads both secrets, writes what the flags change, and says what to do next. */
export const runSetup = async (options: SetupOptions): Promise<SetupResult> => {
  const { outputs } = options;
  const webhookArn = requireOutput(outputs, 'webhookSecretArn');
  const integrationArn = requireOutput(outputs, 'integrationSecretArn');
  const vendorApiArn = requireOutput(outputs, 'vendorApiSecretArn');
  const round0Url = requireOutput(outputs, 'round0WebhookUrl');
  requireOutput(outputs, 'micro1WebhookUrl');
  // Before anything is read: a flag refused here costs no AWS call.
  const given = await resolveSecretFlags(options);
  const webhookBefore = parseSecretJson(
    await readSecretString(options.secrets, webhookArn, webhookWhat),
    webhookWhat,
    storedWebhookSecretsSchema,
  );
  const integrationBefore = parseSecretJson(
    await readSecretString(options.secrets, integrationArn, integrationWhat),
    integrationWhat,
    integrationSecretsSchema,
  );

  const vendorApiBefore = parseSecretJson(
    await readSecretString(options.secrets, vendorApiArn, vendorApiWhat),
    vendorApiWhat,
    vendorApiSecretsSchema,
  );

  const keepVendorKeysBecause = movedKeys.some((key) => integrationBefore[key] !== undefined)
    ? await reasonToKeepVendorKeys(outputs)
    : undefined;
  const planned = await plan(
    options,
    given,
    webhookBefore,
    integrationBefore,
    vendorApiBefore,
    keepVendorKeysBecause,
  );
  if (planned.missingRound0Secret) {
    return {
      lines: [
        'The ROUND0 signing secret is missing, and there is no terminal to ask on: nothing was written.',
        `  1. In ROUND0's dashboard (webhook settings), add the endpoint ${round0Url}`,
        "  2. Copy the endpoint's signing secret and pipe it in (or run this on a terminal: it asks, hidden):",
        `     printf %s "$ROUND0_SIGNING_SECRET" | npm run ops -- setup --stage ${outputs.stage} --round0-secret -`,
      ],
      exitCode: 2,
    };
  }
  // The functions' own rules: what the ingest and the worker would refuse is never written.
  parseSecretJson(JSON.stringify(planned.webhook), webhookWhat, webhookSecretsSchema);
  parseSecretJson(JSON.stringify(planned.integration), integrationWhat, integrationSecretsSchema);
  parseSecretJson(JSON.stringify(planned.vendorApi), vendorApiWhat, vendorApiSecretsSchema);

  // The vendor API secret before the integration secret: a key being moved is never in neither.
  if (planned.vendorApiChanges.length > 0) {
    await writeSecretString(options.secrets, vendorApiArn, vendorApiWhat, JSON.stringify(planned.vendorApi));
  }
  if (planned.webhookChanges.length > 0) {
    await writeSecretString(options.secrets, webhookArn, webhookWhat, JSON.stringify(planned.webhook));
  }
  if (planned.integrationChanges.length > 0) {
    await writeSecretString(
      options.secrets,
      integrationArn,
      integrationWhat,
      JSON.stringify(planned.integration),
    );
  }
  const changed =
    planned.webhookChanges.length + planned.integrationChanges.length + planned.vendorApiChanges.length > 0;
  const status = (changes: readonly string[]) =>
    changes.length === 0 ? 'unchanged' : `updated: ${changes.join('; ')}`;
  return {
    lines: [
      `Stage ${outputs.stage} (${outputs.region}): ${outputs.stackNames.stateful}, ${outputs.stackNames.stateless}`,
      ...(changed
        ? [
            `Webhook secret: ${status(planned.webhookChanges)}`,
            `Integration secret: ${status(planned.integrationChanges)} (pseudonymKey kept as it is)`,
            `Vendor API secret: ${status(planned.vendorApiChanges)}`,
            'The functions read the new values within 5 minutes (SECRETS_CACHE_SECONDS).',
          ]
        : ['Nothing to change: the secrets are set up already (nothing written).']),
      ...(keepVendorKeysBecause === undefined
        ? []
        : ['', `The vendor API keys stay in the integration secret for now: ${keepVendorKeysBecause}.`]),
      '',
      "Paste these into the vendors' dashboards:",
      ...webhookUrlLines(outputs, planned.webhook),
      ...missingIntegrationLines(planned.integration, planned.vendorApi, outputs.stage),
      '',
      "Next: send a test event from ROUND0's dashboard (micro1 has none: watch for its first real event):",
      `  npm run ops -- watch --stage ${outputs.stage}`,
    ],
    exitCode: 0,
  };
};

/** `urls`: the two webhook URLs of the stage, micro1's with its newest token. */
export const runUrls = async (outputs: StageOutputs, secrets: SecretsManagerClient): Promise<SetupResult> => {
  const webhook = parseSecretJson(
    await readSecretString(secrets, requireOutput(outputs, 'webhookSecretArn'), webhookWhat),
    webhookWhat,
    storedWebhookSecretsSchema,
  );
  return {
    lines: [
      `Webhook URLs of stage ${outputs.stage} (${outputs.region}):`,
      ...webhookUrlLines(outputs, webhook),
    ],
    exitCode: webhook.micro1Tokens.length === 0 ? 1 : 0,
  };
};
