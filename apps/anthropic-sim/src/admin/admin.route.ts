import type { FastifyInstance } from 'fastify';
import type { ELDHistogram } from 'node:perf_hooks';
import { z } from 'zod';
import { invalidRequest, isSimConfigError, notFound } from '../errors.ts';
import { errorRatesSchema, faultRuleSchema, latencySchema } from '../faults/fault.schema.ts';
import { modelLimitsSchema, perModelLimitsSchema } from '../limits/limits.schema.ts';
import type { SimServices } from '../services.ts';
import { parseOrThrow } from '../validation.ts';

/**
 * `/_sim/...`: the sim's own control API (only with SIM_ADMIN_ENABLED=true). No authentication:
 * it is meant for a laptop, a CI job or a test, never for a shared network.
 */
const rulesBody = z.union([faultRuleSchema, z.array(faultRuleSchema).min(1)]);

const rateLimitsBody = z.strictObject({
  defaults: modelLimitsSchema.partial().optional(),
  models: perModelLimitsSchema.optional(),
});

const generationBody = z.strictObject({
  tokens_per_second: z.number().nonnegative().optional(),
  ttft_ms: z.number().nonnegative().optional(),
  ping_interval_ms: z.number().positive().optional(),
  output_tokens_min: z.number().int().nonnegative().optional(),
  output_tokens_max: z.number().int().nonnegative().optional(),
});

const advanceBody = z
  .strictObject({
    ms: z.number().nonnegative().optional(),
    seconds: z.number().nonnegative().optional(),
  })
  .refine(
    (b) => (b.ms === undefined) !== (b.seconds === undefined),
    'give exactly one of ms, seconds',
  );

const NANOS_PER_MS = 1e6;

export interface AdminOptions {
  /** Event loop delay of the sim's process (started by createSim). */
  eventLoopDelay: ELDHistogram;
}

export function registerAdminRoutes(
  app: FastifyInstance,
  services: SimServices,
  options: AdminOptions,
): void {
  const { faults, limiter, clock, stats, batches, cache, config } = services;
  const admin = { config: { endpoint: 'admin' } };

  const generationView = () => {
    const g = services.generation.current;
    return {
      tokens_per_second: g.tokensPerSecond,
      ttft_ms: g.ttftMs,
      ping_interval_ms: g.pingIntervalMs,
      output_tokens_min: g.outputTokensMin,
      output_tokens_max: g.outputTokensMax,
    };
  };

  app.get('/_sim/stats', admin, async () => {
    const snapshot = stats.snapshot();
    const loop = options.eventLoopDelay;
    return {
      ...snapshot,
      batches: { ...snapshot.batches, running: batches.running() },
      faults_injected: faults.injected(),
      cache_entries: cache.size(),
      clock_offset_ms: clock.offsetMs(),
      event_loop_delay_ms: {
        p50: loop.count === 0 ? 0 : loop.percentile(50) / NANOS_PER_MS,
        p99: loop.count === 0 ? 0 : loop.percentile(99) / NANOS_PER_MS,
        max: loop.count === 0 ? 0 : loop.max / NANOS_PER_MS,
      },
    };
  });

  app.post('/_sim/reset', admin, async () => {
    stats.reset();
    faults.reset();
    cache.clear();
    batches.reset();
    limiter.reset();
    clock.reset();
    services.generation.current = config.generation;
    options.eventLoopDelay.reset();
    return { reset: true };
  });

  app.get('/_sim/faults', admin, async () => ({ data: faults.rules() }));
  app.post('/_sim/faults', admin, async (request, reply) => {
    const body = parseOrThrow(rulesBody, request.body);
    try {
      const added = faults.addRules(Array.isArray(body) ? body : [body]);
      return reply.code(201).send({ data: added });
    } catch (error) {
      if (isSimConfigError(error)) throw invalidRequest(error.message);
      throw error;
    }
  });
  app.delete('/_sim/faults', admin, async () => {
    faults.clearRules();
    return { data: [] };
  });
  app.delete('/_sim/faults/:id', admin, async (request) => {
    const { id } = request.params as { id: string };
    if (!faults.removeRule(id)) throw notFound(`fault rule ${id} not found`);
    return { id, deleted: true };
  });

  app.get('/_sim/error-rates', admin, async () => faults.errorRates());
  app.put('/_sim/error-rates', admin, async (request) => {
    faults.setErrorRates(parseOrThrow(errorRatesSchema, request.body));
    return faults.errorRates();
  });

  app.get('/_sim/latency', admin, async () => faults.latency());
  app.put('/_sim/latency', admin, async (request) => {
    faults.setLatency(parseOrThrow(latencySchema, request.body));
    return faults.latency();
  });

  app.get('/_sim/rate-limits', admin, async () => {
    const settings = limiter.settings();
    return { defaults: settings.defaults, models: settings.perModel };
  });
  app.put('/_sim/rate-limits', admin, async (request) => {
    const body = parseOrThrow(rateLimitsBody, request.body);
    const current = limiter.settings();
    limiter.configure({
      defaults: {
        rpm: body.defaults?.rpm ?? current.defaults.rpm,
        itpm: body.defaults?.itpm ?? current.defaults.itpm,
        otpm: body.defaults?.otpm ?? current.defaults.otpm,
      },
      perModel: body.models ?? current.perModel,
    });
    const settings = limiter.settings();
    return { defaults: settings.defaults, models: settings.perModel };
  });

  app.get('/_sim/generation', admin, async () => generationView());
  app.put('/_sim/generation', admin, async (request) => {
    const body = parseOrThrow(generationBody, request.body);
    const g = services.generation.current;
    const next = {
      ...g,
      tokensPerSecond: body.tokens_per_second ?? g.tokensPerSecond,
      ttftMs: body.ttft_ms ?? g.ttftMs,
      pingIntervalMs: body.ping_interval_ms ?? g.pingIntervalMs,
      outputTokensMin: body.output_tokens_min ?? g.outputTokensMin,
      outputTokensMax: body.output_tokens_max ?? g.outputTokensMax,
    };
    if (next.outputTokensMin > next.outputTokensMax) {
      throw invalidRequest('output_tokens_min must not exceed output_tokens_max');
    }
    services.generation.current = next;
    return generationView();
  });

  const clockView = () => ({
    now: new Date(clock.now()).toISOString(),
    offset_ms: clock.offsetMs(),
  });
  app.get('/_sim/clock', admin, async () => clockView());
  app.post('/_sim/clock/advance', admin, async (request) => {
    const body = parseOrThrow(advanceBody, request.body);
    clock.advance(body.ms ?? (body.seconds ?? 0) * 1000);
    batches.tick();
    return clockView();
  });

  app.get('/_sim/cache', admin, async () => ({ entries: cache.size() }));
  app.delete('/_sim/cache', admin, async () => {
    cache.clear();
    return { entries: 0 };
  });
}
