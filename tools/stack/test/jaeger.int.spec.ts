/**
 * The local Jaeger accepts OTLP and answers the query API that the end-to-end tests use:
 * a span posted over OTLP/HTTP comes back from `/api/v3/traces/<id>` with its parent link.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { waitFor, workspaceRoot } from '@claude-pipeline/testing';

const OTLP = `http://127.0.0.1:${process.env['JAEGER_OTLP_HTTP_PORT'] ?? '4318'}`;
const QUERY = `http://127.0.0.1:${process.env['JAEGER_QUERY_PORT'] ?? '16686'}`;

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

beforeAll(() => {
  // Idempotent: builds Jaeger into the cache on first use, starts it unless it runs.
  execFileSync('bash', [join(workspaceRoot(), 'deploy/local/jaeger/start.sh')], {
    stdio: 'ignore',
    timeout: 1_200_000,
  });
}, 1_200_000);

it('stores an OTLP trace and returns it from the v3 query API with parent links', async () => {
  const traceId = randomBytes(16).toString('hex');
  const rootId = randomBytes(8).toString('hex');
  const childId = randomBytes(8).toString('hex');
  const nowNs = BigInt(Date.now()) * 1_000_000n;
  const span = (spanId: string, name: string, parentSpanId?: string) => ({
    traceId,
    spanId,
    ...(parentSpanId ? { parentSpanId } : {}),
    name,
    kind: 2,
    startTimeUnixNano: String(nowNs),
    endTimeUnixNano: String(nowNs + 1_000_000n),
  });
  const response = await fetch(`${OTLP}/v1/traces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      resourceSpans: [
        {
          resource: {
            attributes: [{ key: 'service.name', value: { stringValue: 'stack-smoke' } }],
          },
          scopeSpans: [
            {
              scope: { name: 'smoke' },
              spans: [span(rootId, 'root'), span(childId, 'child', rootId)],
            },
          ],
        },
      ],
    }),
  });
  expect(response.status).toBe(200);

  const spans = await waitFor(
    async () => {
      const r = await fetch(`${QUERY}/api/v3/traces/${traceId}`);
      if (r.status !== 200) return undefined;
      const body = (await r.json()) as {
        result: { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] };
      };
      const all = body.result.resourceSpans.flatMap((rs) =>
        rs.scopeSpans.flatMap((ss) => ss.spans),
      );
      return all.length === 2 ? all : undefined;
    },
    { timeoutMs: 10_000, description: `trace ${traceId} in Jaeger` },
  );
  const child = spans.find((s) => s.name === 'child');
  expect(child?.spanId).toBe(childId);
  expect(child?.parentSpanId).toBe(rootId);

  const services = (await (await fetch(`${QUERY}/api/v3/services`)).json()) as {
    services: string[];
  };
  expect(services.services).toContain('stack-smoke');
});
