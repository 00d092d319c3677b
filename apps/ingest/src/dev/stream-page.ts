import { createHash } from 'node:crypto';

/**
 * The dev-mode page that renders a job's live stream (`GET /dev/stream`). Plain HTML with one
 * inline script and one inline style, both allowed by hash in the page's own CSP: no external
 * assets, no inline handlers, nothing written with innerHTML.
 *
 * The stream URL (the `stream_url` of the 202) goes in the fragment, `/dev/stream#<stream_url>`:
 * a fragment never reaches the server, so the token stays out of request logs and spans. The page
 * opens the stream on the server that served it (only the URL's path and query are used).
 */

/** Runs in the browser. Reads the `delta`, `retry`, `end` and `failed` events of the README. */
const SCRIPT = `(() => {
  'use strict';
  const body = document.body;
  const answer = document.getElementById('answer');
  const status = document.getElementById('status');
  const form = document.getElementById('open');
  let source;
  const show = (state, text) => {
    body.dataset.state = state;
    status.textContent = text;
  };
  const start = () => {
    if (source) source.close();
    answer.textContent = '';
    delete body.dataset.stopReason;
    const given = location.hash.slice(1);
    let url;
    try {
      url = new URL(given, location.href);
    } catch {
      url = undefined;
    }
    if (given === '' || !url || !/^\\/v1\\/jobs\\/[^/]+\\/stream$/.test(url.pathname)) {
      show('idle', 'Paste a stream_url to open it.');
      return;
    }
    show('connecting', 'connecting');
    const es = new EventSource(url.pathname + url.search);
    source = es;
    es.onopen = () => show('streaming', 'streaming');
    es.addEventListener('delta', (event) => {
      const delta = JSON.parse(event.data).delta;
      if (delta.type === 'text_delta') answer.append(delta.text);
    });
    es.addEventListener('retry', () => {
      // A new attempt follows from its first block: drop what the broken one showed.
      answer.textContent = '';
      show('streaming', 'retrying (new attempt)');
    });
    es.addEventListener('end', (event) => {
      es.close();
      const end = JSON.parse(event.data);
      body.dataset.stopReason = end.stop_reason;
      show('ended', 'stop reason: ' + end.stop_reason);
    });
    es.addEventListener('failed', (event) => {
      es.close();
      show('failed', 'failed: ' + JSON.parse(event.data).error.message);
    });
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) show('closed', 'closed by the server');
      else show('reconnecting', 'reconnecting');
    };
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = form.elements.url.value.trim();
  });
  window.addEventListener('hashchange', start);
  start();
})();`;

const STYLE = `body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 46rem; }
#answer { white-space: pre-wrap; border: 1px solid #ccc; padding: 1rem; min-height: 6rem; }
#status { color: #555; }
input { width: 34rem; }`;

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>ingest dev: live stream</title>
<style>${STYLE}</style>
</head>
<body data-state="loading">
<h1>Live stream</h1>
<form id="open"><input name="url" placeholder="/v1/jobs/&lt;id&gt;/stream?token=..." autocomplete="off"> <button>Open</button></form>
<p id="status" role="status"></p>
<div id="answer" aria-live="polite"></div>
<script>${SCRIPT}</script>
</body>
</html>
`;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/** Only what the page needs: its own script and style, and EventSource to this origin. */
const CSP = [
  "default-src 'none'",
  `script-src ${sha256(SCRIPT)}`,
  `style-src ${sha256(STYLE)}`,
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const STREAM_PAGE = {
  html: HTML,
  headers: {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': CSP,
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
  },
} as const;
