import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { TelemetryConfigError } from './errors.ts';
import type {
  CounterDefinition,
  GaugeDefinition,
  HistogramDefinition,
  MetricDefinition,
} from './metrics.ts';

export interface MetricsRegistryOptions {
  /** Becomes the `service` label of every metric. */
  service: string;
  /** Node process metrics (CPU, memory, event loop lag, GC, handles). Default true. */
  defaultMetrics?: boolean;
  /** More labels for every metric, e.g. `{ instance: podName }`. */
  labels?: Readonly<Record<string, string>>;
}

/** A registry of its own per service (never prom-client's global one), labelled with `service`. */
export function createMetricsRegistry(options: MetricsRegistryOptions): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ ...options.labels, service: options.service });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

type MetricClass = typeof Counter | typeof Gauge | typeof Histogram;

/** The metric already registered under the definition's name, if it is of the right kind. */
function existing<M>(
  registry: Registry,
  definition: MetricDefinition,
  kind: MetricClass,
): M | undefined {
  const found = registry.getSingleMetric(definition.name);
  if (found === undefined) return undefined;
  if (!(found instanceof kind)) {
    throw new TelemetryConfigError(
      `metric ${definition.name} is already registered as another type than ${definition.type}`,
    );
  }
  return found as M;
}

/**
 * Get-or-create helpers: components of one service that share a registry may ask for the same
 * definition (several consumers, the producer) and get the one instance.
 */
export function createCounter<L extends string>(
  registry: Registry,
  definition: CounterDefinition<L>,
): Counter<L> {
  return (
    existing<Counter<L>>(registry, definition, Counter) ??
    new Counter<L>({
      name: definition.name,
      help: definition.help,
      labelNames: definition.labelNames,
      registers: [registry],
    })
  );
}

export function createGauge<L extends string>(
  registry: Registry,
  definition: GaugeDefinition<L>,
): Gauge<L> {
  return (
    existing<Gauge<L>>(registry, definition, Gauge) ??
    new Gauge<L>({
      name: definition.name,
      help: definition.help,
      labelNames: definition.labelNames,
      registers: [registry],
    })
  );
}

export function createHistogram<L extends string>(
  registry: Registry,
  definition: HistogramDefinition<L>,
): Histogram<L> {
  return (
    existing<Histogram<L>>(registry, definition, Histogram) ??
    new Histogram<L>({
      name: definition.name,
      help: definition.help,
      labelNames: definition.labelNames,
      buckets: [...definition.buckets],
      registers: [registry],
    })
  );
}

export interface MetricsResponse {
  /** Value for the `content-type` response header. */
  contentType: string;
  /** Prometheus text exposition. */
  body: string;
}

/**
 * The `/metrics` endpoint for any HTTP server, e.g. with fastify:
 * `app.get('/metrics', async (_, reply) => { const m = await metrics(); reply.type(m.contentType).send(m.body); })`.
 */
export function metricsHandler(registry: Registry): () => Promise<MetricsResponse> {
  return async () => ({ contentType: registry.contentType, body: await registry.metrics() });
}
