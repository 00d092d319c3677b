import { requestsBody } from './requests.ts';

async function read(stream: ReadableStream<Uint8Array>): Promise<{ text: string; pieces: number }> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return { text: Buffer.concat(chunks).toString('utf8'), pieces: chunks.length };
}

describe('the streamed create body', () => {
  const requests = Array.from({ length: 1000 }, (_, i) => ({
    custom_id: `job-${i}`,
    params: {
      model: 'claude-haiku-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: `Héllo ${i} "quoted"` }],
    },
  }));

  it('is the JSON of {requests}, in pieces of about the size asked', async () => {
    const { text, pieces } = await read(
      requestsBody(
        requests.map((r) => JSON.stringify(r)),
        4096,
      ),
    );
    expect(JSON.parse(text)).toEqual({ requests });
    expect(text).toBe(JSON.stringify({ requests }));
    expect(pieces).toBeGreaterThan(10);
  });

  it('holds one request in one piece', async () => {
    const one = requests.slice(0, 1);
    const { text, pieces } = await read(requestsBody(one.map((r) => JSON.stringify(r))));
    expect(text).toBe(JSON.stringify({ requests: one }));
    expect(pieces).toBe(1);
  });
});
