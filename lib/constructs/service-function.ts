/**
 * The one way interview-sync builds a Lambda function: Node 22 on Graviton, an ESM bundle made by the local
 * esbuild (no Docker), X-Ray tracing (unless a stage turns it off), a log level and a log group with a
 * retention.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, Lazy, RemovalPolicy } from 'aws-cdk-lib';
import { type CfnRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { acknowledgeAwsSolutions } from '../compliance.js';

/** Powertools Logger levels (`POWERTOOLS_LOG_LEVEL`). */
export const logLevels = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] as const;
export type LogLevel = (typeof logLevels)[number];

/** The AWS-managed policy a Lambda role gets by default, which reaches every log group of the account. */
const basicExecutionPolicy = 'service-role/AWSLambdaBasicExecutionRole';

/** Every default of {@link ServiceFunctionProps}, in one place. */
export const serviceFunctionDefaults = {
  logRetention: RetentionDays.ONE_MONTH,
  logLevel: 'INFO',
  tracing: true,
  sourceMaps: true,
  retainLogs: true,
} as const;

/** Directory holding `package.json`, `package-lock.json` and the `functions/` entry points. */
export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));

export interface ServiceFunctionProps {
  /** Entry file, relative to the project root (e.g. `functions/ingest.ts`). */
  readonly entry: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  /** Environment variables besides the ones every function gets (`NODE_OPTIONS`, `POWERTOOLS_*`). */
  readonly environment: Readonly<Record<string, string>>;
  /** Powertools service name (`POWERTOOLS_SERVICE_NAME`). */
  readonly serviceName: string;
  /** Powertools metrics namespace (`POWERTOOLS_METRICS_NAMESPACE`). */
  readonly metricsNamespace: string;
  /**
   * How long the function's logs are kept.
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;
  /**
   * Whether the log group outlives the stack (`RemovalPolicy.RETAIN`).
   * @default true
   */
  readonly retainLogs?: boolean;
  /**
   * Powertools log level (`POWERTOOLS_LOG_LEVEL`).
   * @default 'INFO'
   */
  readonly logLevel?: LogLevel;
  /**
   * X-Ray active tracing. Off: no tracing, no X-Ray grants, `POWERTOOLS_TRACE_ENABLED=false`, and the
   * Tracer is left out of the bundle (platform/observability.ts).
   * @default true
   */
  readonly tracing?: boolean;
  /**
   * Source maps: the bundle's `.map` beside it and `NODE_OPTIONS=--enable-source-maps`, so stack traces
   * name the TypeScript sources. Off: neither (Node then reads and parses no map at cold start).
   * @default true
   */
  readonly sourceMaps?: boolean;
}

/** The props a function takes from its entry in `lib/resources.ts`. */
export const propsFromResources = (settings: {
  readonly entry: string;
  readonly memoryMb: number;
  readonly timeoutSeconds: number;
  readonly serviceName: string;
}): Pick<ServiceFunctionProps, 'entry' | 'memoryMb' | 'timeoutSeconds' | 'serviceName'> => ({
  entry: settings.entry,
  memoryMb: settings.memoryMb,
  timeoutSeconds: settings.timeoutSeconds,
  serviceName: settings.serviceName,
});

/** The functions of a stage, for the settings a stage may give per function. */
export const functionRoles = ['ingest', 'worker', 'archive'] as const;
export type FunctionRole = (typeof functionRoles)[number];

/** A switch for every function of a stage at once, or per function (one left out keeps its default). */
export type PerFunctionSwitch = boolean | { readonly [role in FunctionRole]?: boolean };

/** The value of `setting` for `role`: the switch itself, the role's member, or the role's default. */
export const switchFor = (
  setting: PerFunctionSwitch | undefined,
  role: FunctionRole,
  defaults: Readonly<Record<FunctionRole, boolean>>,
): boolean => (typeof setting === 'boolean' ? setting : (setting?.[role] ?? defaults[role]));

/** What the functions of a stage share: how they log, trace and count (a stage's configuration). */
export type FunctionObservability = Pick<
  ServiceFunctionProps,
  'logRetention' | 'retainLogs' | 'logLevel' | 'tracing' | 'sourceMaps' | 'metricsNamespace'
>;

/** A {@link NodejsFunction} with interview-sync's runtime, bundling, tracing and logging settings. */
export class ServiceFunction extends NodejsFunction {
  /** Whether X-Ray active tracing is on. */
  public readonly tracingEnabled: boolean;
  /** Whether the bundle has a source map and Node applies it. */
  public readonly sourceMapsEnabled: boolean;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    // The log group is a child of the scope, not of the function: a NodejsFunction's children must be
    // created after `super()`, and the function needs the group in its props.
    const defaults = serviceFunctionDefaults;
    const tracing = props.tracing ?? defaults.tracing;
    const sourceMaps = props.sourceMaps ?? defaults.sourceMaps;
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? defaults.logRetention,
      removalPolicy: (props.retainLogs ?? defaults.retainLogs) ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    super(scope, id, {
      entry: join(projectRoot, props.entry),
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memoryMb,
      timeout: Duration.seconds(props.timeoutSeconds),
      tracing: tracing ? Tracing.ACTIVE : Tracing.DISABLED,
      logGroup,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: props.metricsNamespace,
        POWERTOOLS_LOG_LEVEL: props.logLevel ?? defaults.logLevel,
        // Read by Powertools and by platform/observability.ts, which loads the Tracer only when it is 'true'.
        POWERTOOLS_TRACE_ENABLED: String(tracing),
        // Stack traces point into the TypeScript sources through the bundled source map.
        ...(sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
      },
      bundling: {
        minify: true,
        sourceMap: sourceMaps,
        format: OutputFormat.ESM,
        target: 'node22',
        // Prefer packages' ESM builds so esbuild can tree-shake them.
        mainFields: ['module', 'main'],
        // The tracing switch as a constant: with tracing off, esbuild drops the Tracer and the X-Ray SDK
        // from the bundle (platform/observability.ts imports them only when it is 'true').
        define: { 'process.env.POWERTOOLS_TRACE_ENABLED': JSON.stringify(String(tracing)) },
        // An ESM bundle has no `require`; CommonJS dependencies bundled into it still call it.
        banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
        // Bundle the AWS SDK instead of using the runtime's copy: the runtime's version lags behind and
        // is not guaranteed to include every package used (e.g. `@aws-sdk/lib-storage`), and bundling
        // pins the exact version the tests ran against.
        bundleAwsSDK: true,
      },
    });
    this.tracingEnabled = tracing;
    this.sourceMapsEnabled = sourceMaps;
    // Without the AWS-managed AWSLambdaBasicExecutionRole, which lets a function create and write any log
    // group of the account (an ingest taken over could forge lines in the worker's group, which `ops watch`
    // reads as outcomes): it writes its own group's streams only. The group exists (created above, with its
    // retention), so no logs:CreateLogGroup; its ARN ends in `:*`, its streams.
    // Only that policy is taken out: one CDK adds for a feature turned on (Insights, a VPC) stays.
    const cfnRole = this.role?.node.defaultChild as CfnRole;
    const managed = cfnRole.managedPolicyArns;
    cfnRole.managedPolicyArns = Lazy.uncachedList({
      produce: (context) => {
        const arns = (context.resolve(managed) as string[] | undefined) ?? [];
        const kept = arns.filter((arn) => !JSON.stringify(arn).includes(basicExecutionPolicy));
        return kept.length === 0 ? undefined : kept;
      },
    });
    this.addToRolePolicy(
      new PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );
    if (tracing) {
      acknowledgeAwsSolutions(
        this,
        'IAM5[Resource::*]',
        'X-Ray PutTraceSegments/PutTelemetryRecords support no resource-level permissions (tracing is active).',
      );
    }
    acknowledgeAwsSolutions(
      this,
      'L1',
      'Node.js 22 is pinned on purpose: the code is built and tested for it (esbuild target node22); the ' +
        'runtime moves with the toolchain, not with each new Lambda runtime.',
    );
  }
}
