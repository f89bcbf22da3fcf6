/**
 * The three Secrets Manager secrets. They are split so each Lambda can be granted only what it needs (IAM
 * cannot narrow a grant to one JSON key): the ingest Lambda reads the webhook secret, the worker the
 * integration secret and the vendor API secret, the archive the vendor API secret alone (`round0ApiKey`, to
 * refresh expired audio URLs). See `functions/platform/secrets-shape.ts`.
 */
import { RemovalPolicy, SecretValue } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type {
  IntegrationSecrets,
  VendorApiSecrets,
  WebhookSecrets,
} from '../../functions/platform/secrets-shape.js';
import { acknowledgeAwsSolutions } from '../compliance.js';

/** Initial value of the webhook secret: valid JSON of the right shape that accepts no webhook yet. */
export const webhookSecretsTemplate: WebhookSecrets = { round0SigningSecrets: [], micro1Tokens: [] };

/** Initial value of the integration secret: no credentials yet. */
export const integrationSecretsTemplate: IntegrationSecrets = {};

/** Initial value of the vendor API secret: no keys yet (`npm run ops -- setup` adds them). */
export const vendorApiSecretsTemplate: VendorApiSecrets = {};

export interface ServiceSecretsProps {
  /**
   * Whether the secrets (and the values operators put in) outlive the stack.
   * @default true
   */
  readonly retain?: boolean;
}

export class ServiceSecrets extends Construct {
  /** Webhook signing secrets and micro1 URL tokens ({@link WebhookSecrets}). */
  public readonly webhook: Secret;
  /** ATS credentials, the Slack URL and the pseudonym key ({@link IntegrationSecrets}). */
  public readonly integration: Secret;
  /** The vendors' API keys ({@link VendorApiSecrets}). */
  public readonly vendorApi: Secret;

  constructor(scope: Construct, id: string, props: ServiceSecretsProps = {}) {
    super(scope, id);
    const removalPolicy = (props.retain ?? true) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;
    // NEVER change any initial value below once a stage is deployed: CloudFormation writes a changed
    // `SecretString` over the live secret (every webhook then gets 401), and a changed generation setting
    // generates the whole integration secret again (ATS credentials and `pseudonymKey` gone). New members
    // of the shapes are added by `npm run ops -- setup`, not here. test/infra/stateful-stack.test.ts pins them.
    // The webhook and vendor API secrets' initial values hold no secret (empty lists, no keys), so writing
    // them into the template is safe; operators put the real values in after the first deploy. The integration secret starts with one
    // generated value, `pseudonymKey` (the key of the e-mail pseudonyms in logs, a documented member of its
    // shape), and nothing else: Secrets Manager generates it, so it never appears in the template.
    this.webhook = new Secret(this, 'WebhookSecrets', {
      description:
        'interview-sync webhook secrets: { round0SigningSecrets: string[], micro1Tokens: string[] }',
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify(webhookSecretsTemplate)),
      removalPolicy,
    });
    this.integration = new Secret(this, 'IntegrationSecrets', {
      description:
        // Unchanged since the vendor API keys moved to their own secret (they are still read here until
        // `ops setup` moves them): a deployed secret is left exactly as it is.
        'interview-sync integration secrets: { pseudonymKey, round0ApiKey?, micro1ApiKey?, ats?: {...}, slackWebhookUrl? }',
      generateSecretString: {
        secretStringTemplate: JSON.stringify(integrationSecretsTemplate),
        generateStringKey: 'pseudonymKey' satisfies keyof IntegrationSecrets,
        passwordLength: 64,
        excludePunctuation: true,
      },
      removalPolicy,
    });
    this.vendorApi = new Secret(this, 'VendorApiSecrets', {
      description: 'interview-sync vendor API keys: { round0ApiKey?, micro1ApiKey? }',
      secretStringValue: SecretValue.unsafePlainText(JSON.stringify(vendorApiSecretsTemplate)),
      removalPolicy,
    });
    acknowledgeAwsSolutions(
      this,
      'SMG4',
      'The values are issued by ROUND0, the ATS and Slack or registered in micro1 by hand, so a rotation ' +
        'Lambda cannot create new ones. ' +
        'They are rotated by hand without downtime: each webhook secret field is a list, so old and new ' +
        'values are accepted side by side while a vendor switches over.',
    );
  }
}
