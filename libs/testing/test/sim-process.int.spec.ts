import Anthropic from '@anthropic-ai/sdk';
import { startSimProcess, type SimProcess } from '../src/index.ts';

describe('anthropic-sim launcher', () => {
  let sim: SimProcess;

  beforeAll(async () => {
    sim = await startSimProcess();
  }, 60_000);

  afterAll(async () => sim.stop());

  it('starts the sim as a process that the real SDK talks to, with stats', async () => {
    const client = new Anthropic({ apiKey: 'sim-key', baseURL: sim.url, maxRetries: 0 });
    const message = await client.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Say hello.' }],
    });
    expect(message.type).toBe('message');
    expect(message.content[0]?.type).toBe('text');
    const stats = (await sim.stats()) as Record<string, unknown>;
    expect(JSON.stringify(stats)).toMatch(/messages/);
  });
});
