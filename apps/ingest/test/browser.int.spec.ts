/**
 * The live stream in a real browser: headless Chromium (Debian's package, installed without root
 * by deploy/local/chromium/install.sh, driven by playwright-core) opens ingest's dev page
 * (`INGEST_DEV_MODE=true`), which renders a job's stream with EventSource. Stream records are
 * produced to the real broker with kafkajs at a slow pace, as the claude-worker writes them.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { contracts, encode, type StreamRecord } from '@claude-pipeline/schemas';
import { workspaceRoot } from '@claude-pipeline/testing';
import type { Producer } from 'kafkajs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startHarness, type Harness } from './ingest-harness.ts';
import { bearer } from './server-fixture.ts';
import { clock } from './sse-client.ts';
import { abort, blockStart, delta, end } from './stream-fixtures.ts';

const PACE_MS = 80; // between two records, as a slow token rate
const INSTALL_SCRIPT = join(workspaceRoot(), 'deploy/local/chromium/install.sh');
// A fresh machine downloads ~110 MB of .debs and unpacks them: allow it on a loaded machine.
const INSTALL_TIMEOUT_MS = 900_000; // 15 min

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An answer as the worker streams it: block start, one delta per part, end. */
const answer = (parts: readonly string[], attempt = 1): StreamRecord[] => [
  blockStart(0, attempt),
  ...parts.map((text, i) => delta(i + 1, text, attempt)),
  end(parts.length + 1, attempt),
];

describe('the dev stream page in headless Chromium (real broker)', () => {
  let harness: Harness;
  let producer: Producer;
  let browser: Browser;
  const pages: Page[] = [];

  beforeAll(async () => {
    const { stdout } = await promisify(execFile)('bash', [INSTALL_SCRIPT], {
      timeout: INSTALL_TIMEOUT_MS,
      maxBuffer: 1024 * 1024,
    });
    const executablePath = stdout.trim().split('\n').at(-1) ?? '';
    [harness, browser] = await Promise.all([
      startHarness({ config: { devMode: true } }),
      chromium.launch({ executablePath, args: ['--no-sandbox', '--headless=new'] }),
    ]);
    producer = await harness.producer();
  }, INSTALL_TIMEOUT_MS + 120_000);
  afterEach(async () => {
    await Promise.all(pages.splice(0).map((page) => page.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.close();
  });

  const submit = async (key: string) => {
    const res = await fetch(`${harness.ingest.url}/v1/jobs`, {
      method: 'POST',
      headers: {
        authorization: bearer('acme'),
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify({ prompt: 'Tell a story.', stream: true }),
    });
    expect(res.status).toBe(202);
    return (await res.json()) as { id: string; stream_url: string };
  };

  /** Produces the records one by one; `produced` counts those Kafka acknowledged. */
  const producing = (jobId: string, records: readonly StreamRecord[], paceMs = PACE_MS) => {
    const progress = { produced: 0, done: Promise.resolve() };
    progress.done = (async () => {
      for (const record of records) {
        await producer.send({
          topic: harness.names.stream,
          acks: -1,
          messages: [
            {
              key: jobId,
              value: encode(contracts.streamRecord, { ...record, job_id: jobId, tenant: 'acme' }),
            },
          ],
        });
        progress.produced += 1;
        if (paceMs > 0) await sleep(paceMs);
      }
    })();
    return progress;
  };

  /** Opens the dev page on a stream URL; collects what the browser complained about. */
  const openPage = async (streamUrl: string) => {
    const page = await browser.newPage();
    pages.push(page);
    const complaints: string[] = [];
    page.on('pageerror', (error) => complaints.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      // Chromium asks for /favicon.ico on its own; that 404 is not the page's doing.
      if (message.type() === 'error' && !message.location().url.endsWith('/favicon.ico')) {
        complaints.push(`console: ${message.text()}`);
      }
    });
    await page.goto(`${harness.ingest.url}/dev/stream#${streamUrl}`);
    return { page, complaints };
  };

  const WAIT = { timeout: 30_000 };
  // Locators rather than functions run in the page: the test's TypeScript has no DOM types.
  const until = (page: Page, selector: string) => page.locator(selector).first().waitFor(WAIT);
  const untilState = (page: Page, ...states: string[]) =>
    until(page, states.map((s) => `body[data-state="${s}"]`).join(', '));
  const state = (page: Page) => page.getAttribute('body', 'data-state');
  const rendered = async (page: Page) => (await page.textContent('#answer')) ?? '';

  it('renders the deltas as they arrive, then the stop reason', async () => {
    const job = await submit('browser-live');
    expect(job.stream_url).toMatch(/^\/v1\/jobs\/[^/]+\/stream\?token=/);
    const { page, complaints } = await openPage(job.stream_url);
    // The stream is open (ingest answered 200 and sent its headers) before anything is produced.
    await untilState(page, 'streaming');

    // Markup in the text must show as text, never become elements.
    const parts = [
      ...Array.from({ length: 24 }, (_, i) => `word${i} `),
      '<b>not bold</b> & ',
      'ünïcödé ✓',
    ];
    const records = answer(parts);
    const progress = producing(job.id, records);
    await until(page, '#answer:not(:empty)');
    const firstRenderedAt = clock();
    const producedBeforeFirstRender = progress.produced;
    await progress.done;
    const endProducedAt = clock();

    await untilState(page, 'ended', 'failed', 'closed');
    expect(await state(page)).toBe('ended');
    expect(await rendered(page)).toBe(parts.join(''));
    expect(await page.textContent('#status')).toBe('stop reason: end_turn');
    expect(await page.locator('#answer b').count()).toBe(0);
    // The first delta was on screen while most of the answer was still to be produced.
    expect(producedBeforeFirstRender).toBeLessThan(records.length - 10);
    expect(firstRenderedAt).toBeLessThan(endProducedAt - 10 * PACE_MS);
    expect(complaints).toEqual([]);
  });

  it('drops a broken attempt on the retry event and renders only the new answer', async () => {
    const job = await submit('browser-retry');
    const { page, complaints } = await openPage(job.stream_url);
    await untilState(page, 'streaming');
    await producing(job.id, [blockStart(0), delta(1, 'Once upon'), delta(2, ' a ti')]).done;
    await page.locator('#answer', { hasText: 'Once upon a ti' }).waitFor(WAIT);
    expect(await rendered(page)).toBe('Once upon a ti');
    // The worker's stream broke and it retries: the page drops the broken text at once.
    await producing(job.id, [abort(3, true)]).done;
    await page.locator('#status', { hasText: 'retrying' }).waitFor(WAIT);
    expect(await rendered(page)).toBe('');
    const parts = Array.from({ length: 8 }, (_, i) => `second${i} `);
    await producing(job.id, answer(parts, 2), 20).done;
    await untilState(page, 'ended');
    expect(await rendered(page)).toBe(parts.join(''));
    expect(complaints).toEqual([]);
  });

  it('shows why a stream URL is refused instead of rendering anything', async () => {
    const job = await submit('browser-forged');
    const forged = job.stream_url.replace(/token=[^&]+/, 'token=v1.acme.1.9999999999.forged');
    const { page } = await openPage(forged);
    // EventSource fails on a non-200 answer (401 here) and does not reconnect.
    await untilState(page, 'closed');
    expect(await rendered(page)).toBe('');
  });
});
