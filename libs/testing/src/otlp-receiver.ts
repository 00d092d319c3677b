/**
 * A local OTLP/HTTP endpoint standing in for Jaeger in tests of child processes started under
 * the real `--import @claude-pipeline/telemetry/register` entry: it answers every export with
 * 200 and decodes the trace requests (protobuf, what the apps' exporter sends) into spans.
 * Used by libs/kafka's trace tests and anthropic-sim's tracing test.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ExportedSpan {
  serviceName: string | undefined;
  traceId: string;
  spanId: string;
  /** '' for a root span. */
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
}

export const OTLP_SPAN_KIND = { internal: 1, server: 2, client: 3, producer: 4, consumer: 5 };

export interface OtlpReceiver {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT. */
  url: string;
  /** Every span of every `/v1/traces` request received so far. */
  spans(): ExportedSpan[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const bodies: Buffer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.url === '/v1/traces') bodies.push(Buffer.concat(chunks));
      // An empty ExportTraceServiceResponse is a valid (successful) OTLP answer.
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    spans: () => bodies.flatMap(decodeExportTraceServiceRequest),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

interface WireField {
  no: number;
  /** Varint fields. */
  int?: number;
  /** Length-delimited and fixed-size fields. */
  bytes?: Buffer;
}

/** The fields of one protobuf message, in order (just enough of the wire format for OTLP). */
function fields(buf: Buffer): WireField[] {
  const out: WireField[] = [];
  let pos = 0;
  const varint = (): number => {
    let result = 0;
    for (let shift = 0; ; shift += 7) {
      const byte = buf[pos++];
      if (byte === undefined) throw new Error('protobuf: truncated varint');
      result += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  const take = (length: number): Buffer => {
    if (pos + length > buf.length) throw new Error('protobuf: truncated field');
    const bytes = buf.subarray(pos, pos + length);
    pos += length;
    return bytes;
  };
  while (pos < buf.length) {
    const tag = varint();
    const no = Math.floor(tag / 8);
    switch (tag % 8) {
      case 0:
        out.push({ no, int: varint() });
        break;
      case 1:
        out.push({ no, bytes: take(8) });
        break;
      case 2:
        out.push({ no, bytes: take(varint()) });
        break;
      case 5:
        out.push({ no, bytes: take(4) });
        break;
      default:
        throw new Error(`protobuf: unsupported wire type ${tag % 8}`);
    }
  }
  return out;
}

const messages = (buf: Buffer, no: number): Buffer[] =>
  fields(buf).flatMap((f) => (f.no === no && f.bytes ? [f.bytes] : []));
const bytesField = (buf: Buffer, no: number): Buffer =>
  fields(buf).find((f) => f.no === no)?.bytes ?? Buffer.alloc(0);
const intField = (buf: Buffer, no: number): number =>
  fields(buf).find((f) => f.no === no)?.int ?? 0;

/** `service.name` among a Resource's attributes (KeyValue 1: key, 2: AnyValue{1: string}). */
function serviceNameOf(resource: Buffer | undefined): string | undefined {
  if (!resource) return undefined;
  const attribute = messages(resource, 1).find(
    (kv) => bytesField(kv, 1).toString() === 'service.name',
  );
  return attribute ? bytesField(bytesField(attribute, 2), 1).toString() : undefined;
}

/**
 * opentelemetry/proto/collector/trace/v1 ExportTraceServiceRequest: 1 resource_spans
 * (ResourceSpans: 1 resource, 2 scope_spans (ScopeSpans: 2 spans (Span: 1 trace_id, 2 span_id,
 * 4 parent_span_id, 5 name, 6 kind))).
 */
export function decodeExportTraceServiceRequest(body: Buffer): ExportedSpan[] {
  return messages(body, 1).flatMap((resourceSpans) => {
    const serviceName = serviceNameOf(messages(resourceSpans, 1)[0]);
    return messages(resourceSpans, 2).flatMap((scopeSpans) =>
      messages(scopeSpans, 2).map((span) => ({
        serviceName,
        traceId: bytesField(span, 1).toString('hex'),
        spanId: bytesField(span, 2).toString('hex'),
        parentSpanId: bytesField(span, 4).toString('hex'),
        name: bytesField(span, 5).toString(),
        kind: intField(span, 6),
      })),
    );
  });
}
