// The demo site's own script: the snippet's queueing stub (a page whose
// Content-Security-Policy forbids inline scripts, like this one, keeps it
// in a file), the snippet shown as text, and buttons that call the API.
window.Switchboard = window.Switchboard || function () { (Switchboard.q = Switchboard.q || []).push(arguments); };

(function () {
  'use strict';
  var events = [];
  function note(text) {
    events.push(text);
    document.getElementById('demo-events').textContent = events.slice(-4).join(' · ');
  }
  // Calls made before widget.js loads are queued, then replayed.
  Switchboard('on', 'open', function () { note('open'); });
  Switchboard('on', 'close', function () { note('close'); });
  Switchboard('on', 'unread', function (n) { note('unread ' + n); });
  Switchboard('on', 'message', function (m) { note(m.sender_type + ' wrote'); });

  document.addEventListener('DOMContentLoaded', function () {
    var tag = document.querySelector('script[data-inbox]');
    var inbox = tag ? tag.getAttribute('data-inbox') : 'INBOX_ID';
    document.getElementById('snippet').textContent =
      '<script>window.Switchboard=window.Switchboard||function(){(Switchboard.q=Switchboard.q||[]).push(arguments)};</script>\n' +
      '<script async src="' + location.origin + '/widget.js" data-inbox="' + inbox + '"></script>';
    var on = function (id, fn) { document.getElementById(id).addEventListener('click', fn); };
    on('demo-open', function () { Switchboard('open'); });
    on('api-open', function () { Switchboard('open'); });
    on('api-close', function () { Switchboard('close'); });
    on('api-shutdown', function () { Switchboard('shutdown'); note('shutdown'); });
  });
})();
