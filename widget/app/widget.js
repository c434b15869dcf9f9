/* Switchboard site widget loader, served at /widget.js.
 *
 * A site adds it with one snippet:
 *   <script>window.Switchboard=window.Switchboard||function(){(Switchboard.q=Switchboard.q||[]).push(arguments)};</script>
 *   <script async src="https://HOST/widget.js" data-inbox="INBOX_ID"></script>
 *
 * It adds one iframe, the chat (launcher and window), served from
 * Switchboard's origin: the host page's CSS and scripts cannot reach into
 * it. It replaces window.Switchboard with the real API, replays the calls
 * queued before it loaded, and talks to the frame with postMessage, only
 * to and from the frame's window at Switchboard's origin.
 */
(function () {
  'use strict';
  var script = document.currentScript;
  if (!script || window.Switchboard && window.Switchboard.loaded) return;
  var inbox = script.getAttribute('data-inbox') || '';
  var origin = new URL(script.src, location.href).origin;
  var queued = (window.Switchboard && window.Switchboard.q) || [];
  var EVENTS = ['message', 'unread', 'open', 'close'];
  var listeners = { message: [], unread: [], open: [], close: [] };
  var ready = false;
  var pending = []; // commands waiting for the frame
  var frame = null;

  var Z = '2147483000';
  var isOpen = false;
  var unread = 0;

  // Closed, the frame holds the launcher and room for its shadow; open,
  // the chat window, or the whole screen of a phone.
  function narrow() { return window.innerWidth < 480; }
  function size() {
    var w = '96px', h = '96px';
    if (isOpen) {
      w = narrow() ? '100vw' : 'min(424px, 100vw)';
      h = narrow() ? '100vh' : 'min(720px, 100vh)';
    }
    frame.style.width = w;
    frame.style.height = h;
  }

  function mount() {
    frame = document.createElement('iframe');
    frame.src = origin + '/widget/frame?inbox=' + encodeURIComponent(inbox);
    frame.title = 'Chat';
    frame.setAttribute('allow', 'clipboard-write');
    var st = frame.style;
    st.position = 'fixed';
    st.right = '0';
    st.bottom = '0';
    st.border = '0';
    st.margin = '0';
    st.padding = '0';
    st.background = 'transparent';
    st.colorScheme = 'normal';
    st.zIndex = Z;
    st.maxWidth = '100vw';
    st.maxHeight = '100vh';
    st.display = 'block';
    size();
    // Say hello on every load: the frame learns the page's origin from
    // this message (the browser vouches for it) and answers only there.
    frame.addEventListener('load', function () {
      ready = false;
      frame.contentWindow.postMessage({ sb: 1, type: 'hello', full: narrow() }, origin);
      clearTimeout(mount.timer);
      mount.timer = setTimeout(function () {
        if (!ready) console.warn('Switchboard: the chat did not start; is data-inbox an inbox id whose allowed origins include ' + location.origin + '?');
      }, 10000);
    });
    document.body.appendChild(frame);
    window.addEventListener('resize', function () {
      size();
      if (ready) frame.contentWindow.postMessage({ sb: 1, type: 'layout', full: narrow() }, origin);
    });
  }

  function send(cmd, arg) {
    var msg = { sb: 1, type: 'command', cmd: cmd, arg: arg === undefined ? null : arg };
    if (ready) frame.contentWindow.postMessage(msg, origin);
    else pending.push(msg);
  }

  function emit(name, value) {
    listeners[name].forEach(function (fn) {
      try { fn(value); } catch (err) { setTimeout(function () { throw err; }); }
    });
  }

  window.addEventListener('message', function (e) {
    if (!frame || e.source !== frame.contentWindow || e.origin !== origin) return;
    var d = e.data;
    if (!d || d.sb !== 1) return;
    if (d.type === 'ready') {
      ready = true;
      var out = pending;
      pending = [];
      out.forEach(function (m) { frame.contentWindow.postMessage(m, origin); });
    } else if (d.type === 'state') {
      if (!!d.open === isOpen) return;
      isOpen = !!d.open;
      size();
      emit(isOpen ? 'open' : 'close');
    } else if (d.type === 'unread') {
      var n = Number(d.count) || 0;
      if (n === unread) return;
      unread = n;
      emit('unread', n);
    } else if (d.type === 'message' && d.message) {
      emit('message', d.message);
    }
  });

  // Switchboard('identify', {external_id, user_hash, name, email}),
  // ('open'), ('close'), ('on', 'message'|'unread'|'open'|'close', fn),
  // ('off', name, fn), ('shutdown').
  function api(cmd, a, b) {
    switch (cmd) {
      case 'on':
        if (EVENTS.indexOf(a) < 0 || typeof b !== 'function') throw new TypeError('Switchboard: on takes one of ' + EVENTS.join(', ') + ' and a function');
        listeners[a].push(b);
        return;
      case 'off':
        if (listeners[a]) listeners[a] = listeners[a].filter(function (fn) { return fn !== b; });
        return;
      case 'identify':
        if (!a || typeof a !== 'object' || !a.external_id) throw new TypeError('Switchboard: identify takes {external_id, user_hash, name, email}');
        send('identify', { external_id: String(a.external_id), user_hash: String(a.user_hash || ''), name: String(a.name || ''), email: String(a.email || '') });
        return;
      case 'open':
      case 'close':
      case 'shutdown':
        send(cmd);
        return;
      default:
        throw new TypeError('Switchboard: unknown command ' + cmd);
    }
  }
  api.loaded = true;
  window.Switchboard = api;

  function start() {
    mount();
    queued.forEach(function (args) {
      try { api.apply(null, args); } catch (err) { console.error(err); }
    });
  }
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
})();
