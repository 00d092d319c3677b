/** A fetch that answers from a handler and records every request (unit tests: no sockets). */
export interface FakeRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface FakeAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export function fakeFetch(handler: (request: FakeRequest) => FakeAnswer | Promise<FakeAnswer>) {
  const requests: FakeRequest[] = [];
  const fetchFn = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const body =
      init.body === undefined || init.body === null
        ? Buffer.alloc(0)
        : Buffer.from(init.body as string | Uint8Array);
    const request = { url: String(input), method: init.method ?? 'GET', headers, body };
    requests.push(request);
    const answer = await handler(request);
    const text =
      answer.body === undefined
        ? null
        : typeof answer.body === 'string'
          ? answer.body
          : JSON.stringify(answer.body);
    return new Response(text, {
      status: answer.status,
      headers: { 'content-type': 'application/json', ...answer.headers },
    });
  }) as typeof fetch;
  return { fetch: fetchFn, requests };
}
