import { runCapture, Recorder } from '../../test/support/capture-io.ts';
import {
  endFrame,
  frame,
  sseFetch,
  textDelta,
  textStart,
  type ScriptedAnswer,
} from '../../test/support/fake-sse-fetch.ts';
import { jobStatus } from '../../test/support/job-status.ts';
import { printerFor, type CliIo } from '../cli.io.ts';
import { EXIT } from '../errors.ts';
import { createIngestClient } from '../http/ingest.client.ts';
import type { CommandContext } from './command.types.ts';
import { followJob, parseEventId, summaryOf, type FollowOptions } from './jobs-follow.ts';

const API_KEY = 'follow-test-key-0123456789';
const JOB = 'job-follow-1';
const env = { PIPELINE_URL: 'http://ingest.test', PIPELINE_API_KEY: API_KEY };
/** The server's reconnect delay, short for tests. */
const RETRY = 'retry: 5\n\n';

const follow = (
  script: Parameters<typeof sseFetch>[0],
  flags: readonly string[] = [],
  io: Partial<CliIo> & { tty?: boolean } = {},
) => {
  const fake = sseFetch(script);
  const run = runCapture(['jobs', 'get', JOB, '--follow', ...flags], {
    env,
    fetch: fake.fetch,
    ...io,
  });
  return { fake, run };
};

/** Calls followJob directly, for options the command line does not expose. */
async function followDirect(
  script: Parameters<typeof sseFetch>[0],
  options: Partial<FollowOptions> & { signal?: AbortSignal } = {},
) {
  const fake = sseFetch(script);
  const out = new Recorder();
  const err = new Recorder();
  const io: CliIo = { stdout: out, stderr: err, env };
  const signal = options.signal ?? new AbortController().signal;
  const ctx: CommandContext = { io, out: printerFor(io), now: Date.now, fetch: fake.fetch, signal };
  const client = createIngestClient({
    baseUrl: env.PIPELINE_URL,
    apiKey: API_KEY,
    fetch: fake.fetch,
    signal,
  });
  const outcome = await followJob(ctx, client, JOB, {
    json: false,
    timeoutMs: undefined,
    maxReconnects: 3,
    reconnectMs: 1,
    ...options,
  });
  return { outcome, stdout: out.text, stderr: err.text, requests: fake.requests };
}

const happyStream: ScriptedAnswer = {
  chunks: [
    RETRY,
    textStart('1.1.0'),
    textDelta('1.1.1', 'Hel'),
    ': heartbeat\n\n',
    textDelta('1.1.2', 'lo'),
    textDelta('1.1.3', ' world'),
    endFrame('1.1.4'),
  ],
};

describe('jobs get --follow', () => {
  it('writes each text delta to stdout as it arrives, then a newline and a summary', async () => {
    const { fake, run } = follow(() => happyStream);
    const { code, out, stderr } = await run;
    expect(code).toBe(EXIT.ok);
    // Not line-buffered: one write per delta.
    expect(out.chunks).toEqual(['Hel', 'lo', ' world', '\n']);
    expect(stderr).toBe('--- end_turn · claude-sonnet-4-5 · 12 in / 3 out tokens\n');
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.url).toBe(`http://ingest.test/v1/jobs/${JOB}/stream`);
    expect(fake.requests[0]?.headers['authorization']).toBe(`Bearer ${API_KEY}`);
    expect(fake.requests[0]?.headers['accept']).toBe('text/event-stream');
    expect(fake.requests[0]?.headers['last-event-id']).toBeUndefined();
  });

  it('a retry event is noted on stderr and the new attempt starts on a new line', async () => {
    const { run } = follow(() => ({
      chunks: [
        RETRY,
        textStart('1.1.0'),
        textDelta('1.1.1', 'Hel'),
        frame('1.2.-1', 'retry', {
          generation: 1,
          attempt: 2,
          reason: { class: 'transient', message: 'overloaded' },
        }),
        textStart('1.2.0'),
        textDelta('1.2.1', 'Hello'),
        endFrame('1.2.2'),
      ],
    }));
    const { code, stdout, stderr } = await run;
    expect(code).toBe(0);
    expect(stdout).toBe('Hel\nHello\n');
    expect(stderr).toContain(
      '--- retry: the attempt broke after transient: overloaded; attempt 2 (generation 1) starts the answer again ---',
    );
  });

  it('a failed event ends with exit 1 and the reason', async () => {
    const { run } = follow(() => ({
      chunks: [
        textStart('1.1.0'),
        textDelta('1.1.1', 'Partial'),
        frame('1.1.2', 'failed', {
          error: { class: 'invalid', message: 'prompt is too long' },
          retrying: false,
        }),
      ],
    }));
    const { code, stdout, stderr } = await run;
    expect(code).toBe(EXIT.failure);
    expect(stdout).toBe('Partial\n');
    expect(stderr).toContain(`pipeline: job ${JOB} failed: invalid: prompt is too long`);
  });

  it('resumes a dropped connection with Last-Event-ID: nothing missed, nothing twice', async () => {
    const { fake, run } = follow((_request, n) =>
      n === 0
        ? {
            chunks: [
              RETRY,
              textStart('1.1.0'),
              textDelta('1.1.1', 'The '),
              textDelta('1.1.2', 'quick '),
              // Cut off in the middle of an event: it must come again, whole.
              'id: 1.1.3\nevent: delta\ndata: {"index":0,"delta":{"type":"text_d',
            ],
            then: 'error',
          }
        : {
            chunks: [
              RETRY,
              // A replica that replays one event too many is not printed twice either.
              textDelta('1.1.2', 'quick '),
              textDelta('1.1.3', 'brown '),
              textDelta('1.1.4', 'fox'),
              endFrame('1.1.5'),
            ],
          },
    );
    const { code, stdout, stderr } = await run;
    expect(code).toBe(0);
    expect(stdout).toBe('The quick brown fox\n');
    expect(fake.requests.map((r) => r.headers['last-event-id'])).toEqual([undefined, '1.1.2']);
    expect(stderr).toMatch(
      /terminated: other side closed; reconnecting in 0\.0 s \(1\/10, after event 1\.1\.2\)/,
    );
  });

  it('on a terminal, a reconnect note does not land in the middle of the answer', async () => {
    const { code, stdout, stderr } = await follow(
      (_request, n) =>
        n === 0
          ? { chunks: [RETRY, textDelta('1.1.0', 'The ')], then: 'error' }
          : { chunks: [RETRY, textDelta('1.1.1', 'end'), endFrame('1.1.2')] },
      [],
      { tty: true },
    ).run;
    expect(code).toBe(0);
    expect(stdout).toBe('The end\n');
    expect(stderr).toMatch(/^\npipeline: stream of job /);
  });

  it('a stream that closes before its end is resumed too', async () => {
    const { fake, run } = follow((_request, n) =>
      n === 0
        ? { chunks: [RETRY, textStart('1.1.0'), textDelta('1.1.1', 'a')] }
        : { chunks: [RETRY, textDelta('1.1.2', 'b'), endFrame('1.1.3')] },
    );
    const { code, stdout } = await run;
    expect(code).toBe(0);
    expect(stdout).toBe('ab\n');
    expect(fake.requests[1]?.headers['last-event-id']).toBe('1.1.1');
  });

  it('waits out 503s and unreachable ingest, a bounded number of times', async () => {
    let calls = 0;
    const { outcome, stderr, requests } = await followDirect(
      () => {
        calls += 1;
        if (calls === 1) throw new TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } });
        if (calls === 2) {
          return {
            status: 503,
            body: { title: 'Service Unavailable', code: 'status_view_loading' },
          };
        }
        return happyStream;
      },
      { maxReconnects: 2 },
    );
    expect(outcome).toBe(EXIT.ok);
    expect(requests).toHaveLength(3);
    expect(stderr).toContain('cannot reach ingest at http://ingest.test: ECONNREFUSED');
    expect(stderr).toContain('503 Service Unavailable (status_view_loading)');
  });

  it('gives up after --reconnects attempts in a row without an event', async () => {
    const { fake, run } = follow(() => ({ chunks: [RETRY] }), ['--reconnects', '2']);
    const { code, stderr } = await run;
    expect(code).toBe(EXIT.failure);
    expect(fake.requests).toHaveLength(3);
    expect(stderr).toContain(
      `pipeline: stream of job ${JOB}: the connection closed; gave up after 2 reconnects`,
    );
    // Backoff: the server's 5 ms, doubled.
    expect(stderr).toMatch(/reconnecting in 0\.0 s \(1\/2\)[\s\S]*reconnecting in 0\.0 s \(2\/2\)/);
  });

  it('a connection that delivers events starts the reconnect budget over', async () => {
    // Each connection brings one delta, then breaks: 6 connections with --reconnects 1.
    const { code, stdout } = await follow(
      (_request, n) =>
        n < 5
          ? { chunks: [RETRY, textDelta(`1.1.${n}`, String(n))], then: 'error' }
          : { chunks: [RETRY, endFrame('1.1.5')] },
      ['--reconnects', '1'],
    ).run;
    expect(code).toBe(0);
    expect(stdout).toBe('01234\n');
  });

  it('a silent connection (no heartbeat) is dropped and resumed', async () => {
    const { outcome, stdout, stderr, requests } = await followDirect(
      (_request, n) =>
        n === 0
          ? { chunks: [RETRY, textDelta('1.1.0', 'x')], then: 'hang' }
          : { chunks: [RETRY, textDelta('1.1.1', 'y'), endFrame('1.1.2')] },
      { idleTimeoutMs: 50 },
    );
    expect(outcome).toBe(0);
    expect(stdout).toBe('xy\n');
    expect(stderr).toContain('no data for 0 s');
    expect(requests[1]?.headers['last-event-id']).toBe('1.1.0');
  });

  it('--json prints one object per event', async () => {
    const { code, out } = await follow(() => happyStream, ['--json']).run;
    expect(code).toBe(0);
    expect(out.jsonLines).toEqual([
      { id: '1.1.0', event: 'block_start', data: { index: 0, block: { type: 'text' } } },
      {
        id: '1.1.1',
        event: 'delta',
        data: { index: 0, delta: { type: 'text_delta', text: 'Hel' } },
      },
      {
        id: '1.1.2',
        event: 'delta',
        data: { index: 0, delta: { type: 'text_delta', text: 'lo' } },
      },
      {
        id: '1.1.3',
        event: 'delta',
        data: { index: 0, delta: { type: 'text_delta', text: ' world' } },
      },
      {
        id: '1.1.4',
        event: 'end',
        data: {
          stop_reason: 'end_turn',
          usage: {
            input_tokens: 12,
            output_tokens: 3,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
          },
          model: 'claude-sonnet-4-5',
        },
      },
    ]);
  });

  it('shows a tool call on a line of its own', async () => {
    const { stdout } = await follow(() => ({
      chunks: [
        textStart('1.1.0'),
        textDelta('1.1.1', 'Let me check.'),
        frame('1.1.2', 'block_start', {
          index: 1,
          block: { type: 'tool_use', id: 'toolu_1', name: 'get_weather' },
        }),
        frame('1.1.3', 'delta', {
          index: 1,
          delta: { type: 'input_json_delta', partial_json: '{"city":' },
        }),
        frame('1.1.4', 'delta', {
          index: 1,
          delta: { type: 'input_json_delta', partial_json: '"Paris"}' },
        }),
        endFrame('1.1.5'),
      ],
    })).run;
    expect(stdout).toBe('Let me check.\n[tool_use get_weather] {"city":"Paris"}\n');
  });

  it('a failed event that says another attempt follows does not end the stream', async () => {
    const { code, stdout, stderr } = await follow(() => ({
      chunks: [
        textDelta('1.1.0', 'a'),
        frame('1.1.1', 'failed', { error: { class: 'transient', message: 'x' }, retrying: true }),
        frame('1.2.-1', 'retry', { generation: 1, attempt: 2 }),
        textDelta('1.2.0', 'b'),
        endFrame('1.2.1'),
      ],
    })).run;
    expect(code).toBe(0);
    expect(stdout).toBe('a\nb\n');
    expect(stderr).toContain('--- the attempt failed (transient: x); another one follows ---');
    expect(stderr).toContain('--- retry: the attempt broke; attempt 2 (generation 1)');
  });

  it('an event whose data is not JSON is skipped with a note, not silently', async () => {
    const { code, stdout, stderr } = await follow(() => ({
      chunks: [
        textDelta('1.1.0', 'a'),
        frame('1.1.1', 'delta', '{"index":0,"del'),
        endFrame('1.1.2'),
      ],
    })).run;
    expect(code).toBe(0);
    expect(stdout).toBe('a\n');
    expect(stderr).toContain('pipeline: skipped event 1.1.1 (delta): its data is not JSON');
  });

  it.each([
    [401, { title: 'Unauthorized', code: 'invalid_api_key' }, 'check the API key'],
    [403, { title: 'Forbidden', code: 'forbidden' }, '403 Forbidden (forbidden)'],
    [404, { title: 'Not Found', code: 'job_not_found' }, `job ${JOB} not found`],
    [404, { title: 'Not Found', code: 'stream_not_available' }, 'has finished and has no stream'],
    [400, { title: 'Bad Request', code: 'invalid_last_event_id' }, 'invalid_last_event_id'],
  ])('HTTP %i is reported at once, without reconnecting', async (status, body, message) => {
    const { fake, run } = follow(() => ({ status, body }));
    const { code, stdout, stderr } = await run;
    expect(code).toBe(EXIT.failure);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(fake.requests).toHaveLength(1);
  });

  it('204 (the stream had ended) asks the job state', async () => {
    const { code, stderr } = await follow((request) =>
      request.url.endsWith('/stream')
        ? { status: 204 }
        : { status: 200, body: jobStatus(JOB, 'failed') },
    ).run;
    expect(code).toBe(EXIT.failure);
    expect(stderr).toContain('the stream has already ended (failed)');
  });

  it('Ctrl-C ends a waiting stream with 130 and closes the open line', async () => {
    const controller = new AbortController();
    const fake = sseFetch(() => ({ chunks: [textDelta('1.1.0', 'half')], then: 'hang' }));
    const run = runCapture(['jobs', 'get', JOB, '--follow'], {
      env,
      fetch: fake.fetch,
      signal: controller.signal,
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    controller.abort();
    const { code, stdout } = await run;
    expect(code).toBe(EXIT.interrupted);
    expect(stdout).toBe('half\n');
  });

  it('--timeout applies to --follow', async () => {
    const { code, stderr } = await follow(
      () => ({ chunks: [RETRY], then: 'hang' }),
      ['--timeout', '50ms'],
    ).run;
    expect(code).toBe(EXIT.failure);
    expect(stderr).toContain('stream not done within --timeout');
  });

  it('--watch and --follow together are a usage error', async () => {
    const { code, stderr } = await runCapture(['jobs', 'get', JOB, '--follow', '--watch'], {
      env,
    });
    expect(code).toBe(EXIT.usage);
    expect(stderr).toContain('--watch and --follow cannot be combined');
  });

  it('a 200 that is not an event stream is an error, not a reconnect loop', async () => {
    const { fake, run } = follow(() => ({ status: 200, body: { state: 'processing' } }));
    const { code, stderr } = await run;
    expect(code).toBe(EXIT.failure);
    expect(stderr).toContain('answered 200 with application/json');
    expect(fake.requests).toHaveLength(1);
  });
});

describe('send job --follow', () => {
  it('submits with stream: true and prints only the answer on stdout', async () => {
    const fake = sseFetch((request) =>
      request.method === 'POST'
        ? {
            status: 202,
            body: {
              id: JOB,
              status_url: `/v1/jobs/${JOB}`,
              stream_url: `/v1/jobs/${JOB}/stream?token=t`,
            },
          }
        : happyStream,
    );
    const run = await runCapture(['send', 'job', '--prompt', 'Say hello', '--follow'], {
      env,
      fetch: fake.fetch,
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe('Hello world\n');
    expect(run.stderr).toContain(`← 202 accepted  job ${JOB}`);
    expect(run.stderr).toContain('--- end_turn');
    expect(JSON.parse(fake.requests[0]?.body.toString() ?? '{}')).toEqual({
      prompt: 'Say hello',
      stream: true,
    });
    expect(fake.requests[1]?.url).toBe(`http://ingest.test/v1/jobs/${JOB}/stream`);
  });

  it('--json: the submission, then one line per event', async () => {
    const fake = sseFetch((request) =>
      request.method === 'POST'
        ? { status: 202, body: { id: JOB, status_url: `/v1/jobs/${JOB}` } }
        : happyStream,
    );
    const run = await runCapture(['send', 'job', '-p', 'Hi', '--follow', '--json'], {
      env,
      fetch: fake.fetch,
    });
    expect(run.code).toBe(0);
    const lines = run.out.jsonLines as Record<string, unknown>[];
    expect(lines[0]).toMatchObject({ ok: true, id: JOB });
    expect(lines.slice(1).map((l) => l['event'])).toEqual([
      'block_start',
      'delta',
      'delta',
      'delta',
      'end',
    ]);
  });
});

describe('follow helpers', () => {
  it('reads ingest event ids', () => {
    expect(parseEventId('2.3.-1')).toEqual([2, 3, -1]);
    expect(parseEventId('1.1.17')).toEqual([1, 1, 17]);
    expect(parseEventId('17')).toBeUndefined();
  });

  it('summarises the end event', () => {
    expect(
      summaryOf({
        stop_reason: 'max_tokens',
        model: 'claude-haiku-4-5',
        usage: {
          input_tokens: 1200,
          output_tokens: 50,
          cache_read_input_tokens: 1000,
          cache_creation_input_tokens: 0,
        },
      }),
    ).toBe(
      'max_tokens · claude-haiku-4-5 · 1,200 in / 50 out tokens (cache read 1,000, written 0)',
    );
    expect(summaryOf('nonsense')).toBe('done');
  });
});
