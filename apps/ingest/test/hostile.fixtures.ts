/**
 * Helpers of the hostile-input suite: a raw HTTP/1.1 client for requests that `fetch` refuses
 * to send (duplicated headers, bare CR/LF, NUL, obs-fold, request smuggling, raw header bytes),
 * and payload builders.
 */
import { connect } from 'node:net';
import { createSigner } from '@claude-pipeline/signing';
import { API_KEYS } from './server-fixture.ts';
import { SECRETS } from './webhook-fixtures.ts';

export interface HostileResponse {
  status: number;
  contentType: string | null;
  body: string;
}

/** One header line as sent: name and value are written as they are (latin1 bytes). */
export type RawHeader = readonly [name: string, value: string];

export interface RawRequestOptions {
  method?: string;
  path: string;
  headers: readonly RawHeader[];
  body?: string | Buffer;
  /** The Content-Length to declare (default: the body's length; none without a body). */
  contentLength?: number;
}

/** acme's API key. */
export const API_KEY = API_KEYS[0]!.key;

/** `[[[...]]]` nested `depth` levels. */
export const deepArray = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

/** Headers of a shop (hmac scheme) delivery signed over exactly these bytes. */
export function signedShopBytes(body: Buffer): Record<string, string> {
  return {
    'content-type': 'application/json',
    ...createSigner({
      scheme: 'hmac',
      secrets: [SECRETS.INGEST_TEST_SHOP],
      header: 'x-shop-hmac-sha256',
      encoding: 'base64',
      timestamp: { header: 'x-shop-timestamp' },
    }).sign(body),
    'x-shop-event-id': `evt-${Date.now()}`,
  };
}

/** Parses the first response of an HTTP/1.1 byte stream (status, content type, body). */
function parseResponse(data: Buffer): HostileResponse {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0)
    throw new Error(`no complete response head: ${JSON.stringify(data.toString('latin1'))}`);
  const head = data.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '')?.[1]);
  const headers = new Map<string, string>();
  for (const line of head.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const length = headers.get('content-length');
  const rest = data.subarray(end + 4);
  const body = length === undefined ? rest : rest.subarray(0, Number(length));
  return { status, contentType: headers.get('content-type') ?? null, body: body.toString('utf8') };
}

/**
 * Sends one request over a fresh TCP connection (with `connection: close`) and resolves with the
 * first response once the server closes the connection.
 */
export function rawRequest(port: number, options: RawRequestOptions): Promise<HostileResponse> {
  const body =
    options.body === undefined
      ? undefined
      : typeof options.body === 'string'
        ? Buffer.from(options.body, 'utf8')
        : options.body;
  const lines = [
    `${options.method ?? 'POST'} ${options.path} HTTP/1.1`,
    `host: 127.0.0.1:${port}`,
    'connection: close',
    ...options.headers.map(([name, value]) => `${name}: ${value}`),
  ];
  const length = options.contentLength ?? body?.length;
  if (length !== undefined) lines.push(`content-length: ${length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.setTimeout(20_000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may answer and reset before it read everything we sent (e.g. a 431).
    socket.on('error', (error) => {
      if (chunks.length > 0) resolve(parseResponse(Buffer.concat(chunks)));
      else reject(error);
    });
    socket.on('close', () => {
      if (chunks.length > 0) resolve(parseResponse(Buffer.concat(chunks)));
      else reject(new Error('connection closed without a response'));
    });
    socket.on('connect', () => {
      socket.write(head);
      if (body !== undefined) socket.write(body);
    });
  });
}
