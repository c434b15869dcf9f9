// The inbox's only door to the server: JSON over fetch (session cookie +
// CSRF header) and the operator socket, reconnecting with backoff.

export class APIError extends Error {
  constructor(status, body) {
    const e = (body && body.error) || {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || 'http_' + status;
    this.field = e.field || '';
    this.problems = e.problems || null; // an invalid bot flow's, each naming its node
  }
}

let csrf = '';

export function setCSRF(token) { csrf = token || ''; }

export async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  let res;
  try {
    res = await fetch('/api/v1' + path, {
      method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new APIError(0, { error: { code: 'offline', message: 'Cannot reach the server' } });
  }
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!res.ok) throw new APIError(res.status, data);
  return data;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body === undefined ? {} : body);
export const put = (path, body) => call('PUT', path, body);

// Socket keeps one operator socket open. onEvent gets every event frame;
// onState('live' | 'connecting' | 'offline'); after a reconnect onResync
// runs so screens catch up over REST on what they missed.
export class Socket {
  constructor({ onEvent, onState, onResync, onClosed }) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.onResync = onResync;
    this.onClosed = onClosed;
    this.attempt = 0;
    this.stopped = false;
    this.everOpen = false;
    this.open();
  }

  open() {
    if (this.stopped) return;
    this.onState('connecting');
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}/ws/operator`);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.onState('live');
      if (this.everOpen) this.onResync();
      this.everOpen = true;
      clearInterval(this.ping);
      this.ping = setInterval(() => { if (ws.readyState === 1) ws.send('{"type":"ping"}'); }, 25000);
    };
    ws.onmessage = (m) => {
      let frame;
      try { frame = JSON.parse(m.data); } catch { return; }
      if (frame.type && frame.type !== 'pong' && frame.type !== 'error') this.onEvent(frame);
    };
    ws.onclose = (e) => {
      clearInterval(this.ping);
      if (this.stopped) return;
      // 4401: the credential was revoked; 4403: access changed for good.
      if (e.code === 4401 || e.code === 4403 || e.code === 1008) {
        this.stopped = true;
        this.onState('offline');
        this.onClosed(e.code);
        return;
      }
      this.onState('offline');
      const delay = Math.min(10000, 500 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
      this.attempt++;
      this.timer = setTimeout(() => this.open(), delay);
    };
  }

  // reconnectNow skips the backoff (the browser said it is online again).
  reconnectNow() {
    if (this.stopped || (this.ws && this.ws.readyState <= 1)) return;
    clearTimeout(this.timer);
    this.open();
  }

  close() {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.ping);
    if (this.ws) this.ws.close();
  }
}
