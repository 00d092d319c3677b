/**
 * What the e2e tests do to and read from the stack, as its users would: signed webhooks and API
 * jobs over HTTP, job status, Jaeger's query API, and a plain kafkajs reader of the public topics.
 */
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { createSigner } from '@claude-pipeline/signing';
import { localBroker } from '@claude-pipeline/kafka';
import { uniqueName, waitFor } from '@claude-pipeline/testing';
import { JAEGER_QUERY } from './stack.ts';

export interface Accepted {
  id: string;
  status_url?: string;
}

async function answer(response: Response): Promise<unknown> {
  const text = await response.text();
  if (response.status !== 202) throw new Error(`expected 202, got ${response.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

export async function postJob(
  ingest: string,
  apiKey: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<Accepted & { traceId: string; correlationId: string }> {
  const traceId = randomUUID().replace(/-/g, '');
  const correlationId = `e2e-${randomUUID()}`;
  const response = await fetch(`${ingest}/v1/jobs`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
      traceparent: `00-${traceId}-${randomUUID().replace(/-/g, '').slice(0, 16)}-01`,
      'correlation-id': correlationId,
      ...headers,
    },
    body: JSON.stringify(body),
  });
  return { ...((await answer(response)) as Accepted), traceId, correlationId };
}

export async function postGithubWebhook(
  ingest: string,
  secret: string,
  payload: unknown,
): Promise<Accepted & { traceId: string; correlationId: string; delivery: string }> {
  const body = JSON.stringify(payload);
  const delivery = randomUUID();
  const traceId = randomUUID().replace(/-/g, '');
  const correlationId = `e2e-${delivery}`;
  const signer = createSigner({ scheme: 'github', secrets: [secret] });
  const signed = signer.sign(body);
  const response = await fetch(`${ingest}/v1/webhooks/github`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'pull_request',
      'x-github-delivery': delivery,
      traceparent: `00-${traceId}-${randomUUID().replace(/-/g, '').slice(0, 16)}-01`,
      'correlation-id': correlationId,
      ...signed,
    },
    body,
  });
  return { ...((await answer(response)) as Accepted), traceId, correlationId, delivery };
}

export interface JobStatus {
  state: string;
  generation: number;
  [key: string]: unknown;
}

export async function getStatus(ingest: string, apiKey: string, id: string): Promise<JobStatus> {
  const response = await fetch(`${ingest}/v1/jobs/${id}`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  if (response.status !== 200) throw new Error(`GET /v1/jobs/${id}: ${response.status}`);
  return (await response.json()) as JobStatus;
}

export async function waitForState(
  ingest: string,
  apiKey: string,
  id: string,
  states: readonly string[],
  timeoutMs = 60_000,
  minGeneration = 1,
): Promise<JobStatus> {
  return waitFor(
    async () => {
      const status = await getStatus(ingest, apiKey, id);
      return states.includes(status.state) && status.generation >= minGeneration
        ? status
        : undefined;
    },
    { timeoutMs, intervalMs: 250, description: `job ${id} in ${states.join('/')}` },
  );
}

// --- Jaeger (v2 query API: /api/v3/traces/{trace_id}, OTLP JSON) --------------------------------

export interface TraceSpan {
  service: string;
  name: string;
  spanId: string;
  parentSpanId: string;
  traceId: string;
  kind: number;
  attributes: Record<string, unknown>;
  links: { traceId: string; spanId: string }[];
}

interface OtlpValue {
  stringValue?: string;
  intValue?: string;
  boolValue?: boolean;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  attributes?: { key: string; value: OtlpValue }[];
  links?: { traceId: string; spanId: string }[];
}
interface OtlpTrace {
  result?: {
    resourceSpans?: {
      resource?: { attributes?: { key: string; value: OtlpValue }[] };
      scopeSpans?: { spans?: OtlpSpan[] }[];
    }[];
  };
}

const valueOf = (v: OtlpValue) => v.stringValue ?? v.intValue ?? v.boolValue;

/** Jaeger returns trace and span ids base64 or hex depending on the endpoint; normalise to hex. */
function hex(id: string): string {
  return /^[0-9a-f]+$/i.test(id) ? id.toLowerCase() : Buffer.from(id, 'base64').toString('hex');
}

export async function fetchTrace(traceId: string): Promise<TraceSpan[]> {
  const response = await fetch(`${JAEGER_QUERY}/api/v3/traces/${traceId}`);
  if (response.status === 404) return [];
  if (!response.ok) throw new Error(`jaeger ${response.status}: ${await response.text()}`);
  const body = (await response.json()) as OtlpTrace;
  const spans: TraceSpan[] = [];
  for (const rs of body.result?.resourceSpans ?? []) {
    const service = String(
      valueOf(rs.resource?.attributes?.find((a) => a.key === 'service.name')?.value ?? {}) ?? '',
    );
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        spans.push({
          service,
          name: s.name,
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          parentSpanId: s.parentSpanId ? hex(s.parentSpanId) : '',
          kind: s.kind ?? 0,
          attributes: Object.fromEntries(
            (s.attributes ?? []).map((a) => [a.key, valueOf(a.value)]),
          ),
          links: (s.links ?? []).map((l) => ({ traceId: hex(l.traceId), spanId: hex(l.spanId) })),
        });
      }
    }
  }
  return spans;
}

/** The chain of services from a span up to the root, following parent span ids. */
export function ancestry(spans: readonly TraceSpan[], span: TraceSpan): TraceSpan[] {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  const chain: TraceSpan[] = [span];
  let current = span;
  while (current.parentSpanId) {
    const parent = byId.get(current.parentSpanId);
    if (!parent) break;
    chain.push(parent);
    current = parent;
  }
  return chain;
}

// --- Kafka, as another team reads it ---------------------------------------------------------------

export interface PlainRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
  partition: number;
  offset: string;
}

function headersOf(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {})) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? String(v[0]) : String(v);
  }
  return out;
}

/**
 * Reads a topic from the beginning with a plain kafkajs consumer (read_committed, its own
 * group), until `until` holds over what was read or the timeout passes.
 */
export async function readTopic(
  topic: string,
  until: (records: readonly PlainRecord[]) => boolean,
  timeoutMs = 30_000,
): Promise<PlainRecord[]> {
  const kafka = new Kafka({
    clientId: 'another-team',
    brokers: (process.env['KAFKA_BROKERS'] ?? localBroker()).split(','),
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({ groupId: uniqueName('another-team') });
  const records: PlainRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        records.push({
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          headers: headersOf(message.headers),
          partition,
          offset: message.offset,
        });
      },
    });
    await waitFor(() => until(records), {
      timeoutMs,
      intervalMs: 200,
      description: `records on ${topic}`,
    });
    return records;
  } finally {
    await consumer.disconnect();
  }
}
