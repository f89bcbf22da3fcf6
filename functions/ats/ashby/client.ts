/**
 * The Ashby RPC client the adapter and its doctor share: every call a POST through a conservative
 * `bottleneck`, `{ success: false }` answers turned into errors by code, and cursor pagination.
 */
import Bottleneck from 'bottleneck';
import * as v from 'valibot';
import type { HttpRequest } from '../../platform/http.js';
import { AtsNotFoundError, AtsPermanentError, AtsTransientError } from '../errors.js';
import { spacingPerInstance } from '../rate-share.js';
import { createAtsTransport, type HttpSettings } from '../transport.js';
import type { AtsAdapterDeps } from '../types.js';

const adapter = 'ashby';

export interface AshbyClientSettings {
  /** API base URL: the one host requests may go to. */
  readonly baseUrl: string;
  readonly maxPages: number;
  readonly rateLimit: { readonly minTimeMs: number; readonly maxConcurrent: number };
  readonly http: HttpSettings;
}

const envelopeSchema = v.looseObject({
  success: v.boolean(),
  results: v.optional(v.unknown()),
  errors: v.optional(v.array(v.unknown())),
  errorInfo: v.optional(v.looseObject({ code: v.optional(v.string()) })),
  moreDataAvailable: v.optional(v.boolean()),
  nextCursor: v.optional(v.nullable(v.string())),
});
export type AshbyEnvelope = v.InferOutput<typeof envelopeSchema>;

/** Only code-like strings become a reason: free-text errors may echo the input (PII). */
const errorCodes = (envelope: AshbyEnvelope): string[] => {
  const raw = [envelope.errorInfo?.code, ...(envelope.errors ?? [])];
  const codes = raw.filter((e): e is string => typeof e === 'string' && /^[a-z][a-z0-9_.]*$/i.test(e));
  return codes.length ? codes : ['unspecified'];
};

const isTransientCode = (code: string) => /rate_?limit|too_many|unavailable|timeout|internal/i.test(code);

/** The error a `success: false` answer stands for. */
export const ashbyFailure = (operation: string, envelope: AshbyEnvelope): Error => {
  const codes = errorCodes(envelope);
  const message = `${adapter}: ${operation} failed: ${codes.join(', ')}`;
  if (codes.some((code) => /not_?found/i.test(code))) return new AtsNotFoundError(message, { adapter });
  if (codes.some(isTransientCode)) return new AtsTransientError(message, { adapter });
  return new AtsPermanentError(message, { adapter, reason: codes.join(',') });
};

export interface AshbyClient {
  /** Sends one RPC and returns its envelope; `success: false` throws (see {@link ashbyFailure}). */
  call(request: HttpRequest): Promise<AshbyEnvelope>;
  /** `results` validated against `schema`. */
  results<T>(envelope: AshbyEnvelope, schema: v.GenericSchema<unknown, T>, operation: string): T;
  /** Every result of a cursor-paginated list, at most `maxPages` pages. */
  listAll<T>(build: (cursor?: string) => HttpRequest, item: v.GenericSchema<unknown, T>): Promise<T[]>;
}

export const createAshbyClient = (settings: AshbyClientSettings, deps: AtsAdapterDeps): AshbyClient => {
  // Ashby's per-key limits are not published as numbers: a conservative default, 429 + Retry-After honoured.
  const transport = createAtsTransport({
    adapter,
    urls: [settings.baseUrl],
    limiter: new Bottleneck({
      // This instance's part of the account's pace (ats/rate-share.ts).
      minTime: spacingPerInstance(settings.rateLimit.minTimeMs, deps.rateShare),
      maxConcurrent: settings.rateLimit.maxConcurrent,
    }),
    http: settings.http,
    deps,
  });

  const call = async (request: HttpRequest): Promise<AshbyEnvelope> => {
    const response = await transport.send(request);
    const parsed = v.safeParse(envelopeSchema, response.json());
    const operation = request.operation ?? 'call';
    if (!parsed.success) {
      throw new AtsPermanentError(`${adapter}: ${operation}: unexpected response`, {
        adapter,
        reason: 'invalid_response',
      });
    }
    if (!parsed.output.success) throw ashbyFailure(operation, parsed.output);
    return parsed.output;
  };

  const results = <T>(envelope: AshbyEnvelope, schema: v.GenericSchema<unknown, T>, operation: string): T => {
    const parsed = v.safeParse(schema, envelope.results);
    if (!parsed.success) {
      throw new AtsPermanentError(`${adapter}: ${operation}: unexpected results`, {
        adapter,
        reason: 'invalid_response',
      });
    }
    return parsed.output;
  };

  return {
    call,
    results,
    async listAll(build, item) {
      const all = [];
      let cursor: string | undefined;
      for (let page = 1; page <= settings.maxPages; page += 1) {
        const request = build(cursor);
        const envelope = await call(request);
        all.push(...results(envelope, v.array(item), request.operation ?? 'list'));
        if (!envelope.moreDataAvailable || !envelope.nextCursor) return all;
        cursor = envelope.nextCursor;
      }
      throw new AtsPermanentError(`${adapter}: more than ${settings.maxPages} pages`, {
        adapter,
        reason: 'too_many_pages',
      });
    },
  };
};
