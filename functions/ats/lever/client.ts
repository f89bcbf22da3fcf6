/**
 * The Lever transport the adapter and its doctor share: a token bucket of 10 requests/s with bursts to 20
 * (lever.md) through `bottleneck`, and list reading across `{ data, hasNext, next }` pages.
 */
import Bottleneck from 'bottleneck';
import * as v from 'valibot';
import type { HttpRequest } from '../../platform/http.js';
import { AtsPermanentError } from '../errors.js';
import { perInstance, ratePerInstance } from '../rate-share.js';
import { type AtsTransport, createAtsTransport, type HttpSettings } from '../transport.js';
import type { AtsAdapterDeps } from '../types.js';

const adapter = 'lever';

export interface LeverClientSettings {
  /** API base URL: the one host requests may go to. */
  readonly baseUrl: string;
  readonly maxPages: number;
  readonly rateLimit: { readonly perSecond: number; readonly burst: number; readonly maxConcurrent: number };
  readonly http: HttpSettings;
}

const pageSchema = <T extends v.GenericSchema>(item: T) =>
  v.looseObject({
    data: v.array(item),
    hasNext: v.optional(v.boolean(), false),
    next: v.optional(v.nullable(v.string())),
  });

export const invalidLeverAnswer = (what: string) =>
  new AtsPermanentError(`${adapter}: unexpected ${what} response`, { adapter, reason: 'invalid_response' });

export interface LeverClient extends AtsTransport {
  /** Every item of a Lever list, following `next` while `hasNext`, at most `maxPages` pages. */
  pages<T extends v.GenericSchema>(
    build: (offset?: string) => HttpRequest,
    item: T,
  ): AsyncGenerator<v.InferOutput<T>>;
  /** `{ data: … }` of a single-object answer, validated. */
  data<T>(request: HttpRequest, schema: v.GenericSchema<unknown, T>, what: string): Promise<T | undefined>;
}

export const createLeverClient = (settings: LeverClientSettings, deps: AtsAdapterDeps): LeverClient => {
  const { rateLimit } = settings;
  const burst = perInstance(rateLimit.burst, deps.rateShare);
  const refill = ratePerInstance(rateLimit.perSecond, 1000, deps.rateShare);
  const transport = createAtsTransport({
    adapter,
    urls: [settings.baseUrl],
    // Token bucket: refilled by `perSecond` every second, never above `burst` (this instance's part of both).
    limiter: new Bottleneck({
      maxConcurrent: rateLimit.maxConcurrent,
      reservoir: burst,
      reservoirIncreaseAmount: refill.amount,
      reservoirIncreaseInterval: refill.intervalMs,
      reservoirIncreaseMaximum: burst,
    }),
    http: settings.http,
    deps,
  });

  async function* pages<T extends v.GenericSchema>(
    build: (offset?: string) => HttpRequest,
    item: T,
  ): AsyncGenerator<v.InferOutput<T>> {
    let offset: string | undefined;
    for (let page = 1; page <= settings.maxPages; page += 1) {
      const response = await transport.send(build(offset));
      const parsed = v.safeParse(pageSchema(item), response.json());
      if (!parsed.success) throw invalidLeverAnswer('list');
      yield* parsed.output.data;
      if (!parsed.output.hasNext || !parsed.output.next) return;
      offset = parsed.output.next;
    }
    throw new AtsPermanentError(`${adapter}: more than ${settings.maxPages} pages`, {
      adapter,
      reason: 'too_many_pages',
    });
  }

  return {
    send: (request) => transport.send(request),
    pages,
    async data<T>(request: HttpRequest, schema: v.GenericSchema<unknown, T>, what: string) {
      const response = await transport.send(request);
      if (response.status === 404) return undefined;
      const parsed = v.safeParse(v.looseObject({ data: schema }), response.json());
      if (!parsed.success) throw invalidLeverAnswer(what);
      return parsed.output.data as T;
    },
  };
};
