/**
 * Rate limits per client IP and a global ceiling (S19), through @fastify/rate-limit.
 *
 * Every route gets a family (route config `rateLimitFamily`, default `public`):
 *   request   strict per IP, then a ceiling for all clients together (codes cost money and mail reputation)
 *   exchange  moderate per IP (guesses are also limited per token and per destination, S5/S6)
 *   public    generous per IP (JWKS, metrics: static and cached, but not free to flood)
 *   none      exempt (liveness/readiness probes: throttling a probe would get a healthy pod killed)
 * The per-IP counter is checked first, so one abusive client cannot use up the ceiling.
 * IPv6 clients are keyed by their /64 (one subscriber usually holds a whole /64). The IP is
 * request.ip, which Fastify takes from X-Forwarded-For only across TRUSTED_PROXIES (S20).
 *
 * With REDIS_URL the counters live in Redis (one INCR+PEXPIRE script, atomic) and every replica
 * shares them; an unreachable Redis answers 503 and the request goes no further (fail closed,
 * S22): no offline queue, short timeouts. Without it, counters are in memory, per replica.
 */
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import type { Redis } from 'ioredis';
import type { Config } from '../config/index.ts';
import { AppError } from '../errors.ts';
import { clientIp } from './client-ip.ts';

export type RateLimitFamily = 'request' | 'exchange' | 'public' | 'none';

declare module 'fastify' {
  interface FastifyContextConfig {
    rateLimitFamily?: RateLimitFamily;
  }
  interface FastifyInstance {
    rateLimits: {
      store: 'redis' | 'memory' | 'disabled';
      /** False when the shared store is configured but does not answer (readiness, S22). */
      ping(): Promise<boolean>;
    };
  }
}

const WINDOW_MS = 60_000;
const IPV6_SUBNET = 64;
/** Distinct clients remembered per family by the in-memory store (LRU). */
const MEMORY_CACHE_SIZE = 20_000;

// INCR and start the window on the first hit; a key that somehow lost its expiry gets it back.
const INCR_SCRIPT = `
local current = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if current == 1 or ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}`;

type RateLimitResult = Awaited<ReturnType<ReturnType<FastifyInstance['createRateLimit']>>>;

/** Client key: IPv4 as is, IPv4-mapped IPv6 as IPv4, other IPv6 by /64. */
export function clientKey(ip: string): string {
  return normalizeIP(ip, IPV6_SUBNET);
}

export const rateLimitPlugin = fp(async (app: FastifyInstance, options: { config: Config }) => {
  const { config } = options;
  const exceeded = app.metrics.counter('sesame_rate_limited_total', 'Requests refused with 429 by a rate limit, by limit.');
  const storeErrors = app.metrics.counter('sesame_rate_limit_store_errors_total', 'Requests refused with 503 because the rate-limit store did not answer.');

  if (!config.rateLimitEnabled) {
    app.log.warn('RATE_LIMIT_ENABLED=false: no per-IP or global rate limits (benchmarks only)');
    app.decorate('rateLimits', { store: 'disabled' as const, ping: async () => true });
    return;
  }

  let redis: Redis | undefined;
  if (config.redisUrl !== undefined) {
    // ioredis is loaded only with REDIS_URL: the in-memory store needs none of it.
    const { Redis } = await import('ioredis');
    redis = new Redis(config.redisUrl, {
      lazyConnect: true,
      connectTimeout: config.redisTimeoutMs * 4,
      commandTimeout: config.redisTimeoutMs,
      // Fail fast instead of queueing while disconnected: the request is refused, not delayed.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
    });
    let lastErrorLog = 0;
    redis.on('error', (error: Error) => {
      if (Date.now() - lastErrorLog < 5_000) return;
      lastErrorLog = Date.now();
      app.log.error({ err: { type: error.name, message: error.message } }, 'Redis (rate limits) is unreachable; rate-limited endpoints answer 503');
    });
    redis.defineCommand('sesameRateLimit', { numberOfKeys: 1, lua: INCR_SCRIPT });
    try {
      await redis.connect();
    } catch {
      // Keep starting: readiness reports it and requests answer 503 until Redis is back.
    }
    app.addHook('onClose', async () => {
      redis!.disconnect();
    });
  } else if (config.production) {
    app.log.warn('REDIS_URL is not set: rate-limit counters are per replica (in memory); set REDIS_URL when running more than one replica');
  }

  const client = redis;
  const prefix = `${config.redisKeyPrefix}rl:`;
  const store = client === undefined ? undefined : class SharedRedisStore {
    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      (client as unknown as { sesameRateLimit(key: string, window: number): Promise<[number, number]> })
        .sesameRateLimit(prefix + key, timeWindow)
        .then(([current, ttl]) => callback(null, { current, ttl }), (error: Error) => callback(error));
    }
    child(): SharedRedisStore {
      return this;
    }
  };

  await app.register(rateLimit, { global: false, skipOnError: false, cache: MEMORY_CACHE_SIZE, ...(store ? { store } : {}) });

  function limiter(name: string, max: number, key: (request: FastifyRequest) => string) {
    const check = app.createRateLimit({ max, timeWindow: WINDOW_MS, keyGenerator: key, skipOnError: false, cache: MEMORY_CACHE_SIZE } as Parameters<FastifyInstance['createRateLimit']>[0]);
    return { name, check };
  }
  const perIp = (family: string, max: number) => limiter(family, max, (request) => `${family}:${clientKey(clientIp(request))}`);

  function hook(limiters: ReturnType<typeof limiter>[]): onRequestAsyncHookHandler {
    return async function rateLimitHook(request) {
      for (const { name, check } of limiters) {
        let result: RateLimitResult;
        try {
          result = await check(request);
        } catch (error) {
          storeErrors.inc();
          throw new AppError('service_unavailable', { cause: error });
        }
        if (!result.isAllowed && result.isExceeded) {
          exceeded.inc({ limit: name });
          throw new AppError('rate_limited', { headers: { 'retry-after': String(Math.max(1, result.ttlInSeconds)) } });
        }
      }
    };
  }

  const hooks: Record<Exclude<RateLimitFamily, 'none'>, onRequestAsyncHookHandler> = {
    request: hook([
      perIp('request', config.rateLimitRequestPerMinute),
      limiter('request_global', config.rateLimitGlobalRequestPerMinute, () => 'request:all'),
    ]),
    exchange: hook([perIp('exchange', config.rateLimitExchangePerMinute)]),
    public: hook([perIp('public', config.rateLimitPublicPerMinute)]),
  };

  app.addHook('onRoute', (route) => {
    const family = route.config?.rateLimitFamily ?? 'public';
    if (family === 'none') return;
    const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [...existing, hooks[family]];
  });

  app.decorate('rateLimits', {
    store: client === undefined ? 'memory' as const : 'redis' as const,
    async ping() {
      if (client === undefined) return true;
      try {
        return (await client.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
  });
}, { name: 'rate-limit', dependencies: ['metrics'] });
