/*
 * The analytics tracker, served minified as /js/script.js (kept under 1.5 KB gzipped by a test).
 * Plain ES5 so it runs in any browser; no cookies and no storage of any kind.
 *
 *   <script defer data-domain="example.com" src="https://stats.example.com/js/script.js"></script>
 *
 * Attributes on the script tag:
 *   data-domain            site domain(s), comma-separated for roll-ups (default: the page's host)
 *   data-api               where to send events (default: the script's origin + /api/event)
 *   data-track             space- or comma-separated options: "outbound" (outbound link clicks),
 *                          "downloads" (file download clicks), "hash" (hash-based routing: the
 *                          fragment is part of the page and each hash change is a pageview)
 *   data-allow-localhost   count visits on localhost / file: pages (ignored by default)
 * The same options may be given in the script's file name as Plausible does, so
 * /js/script.outbound-links.file-downloads.hash.js works like data-track="outbound downloads hash".
 *
 * Custom events: analytics('Signup', { props: { plan: 'pro' }, callback: fn }); window.plausible is
 * the same function, and calls queued before the script loaded (window.analytics.q /
 * window.plausible.q, filled by the usual one-line stub) are sent once it runs.
 */
(function (window, document) {
  'use strict';
  var location = window.location;
  var navigator = window.navigator;
  var script = document.currentScript;
  var attr = function (name) {
    return script && script.getAttribute(name);
  };
  var src = (script && script.src) || '';
  var api = attr('data-api') || src.split('/').slice(0, 3).join('/') + '/api/event';
  var domain = attr('data-domain') || location.hostname.replace(/^www\./, '');
  var options = (attr('data-track') || '') + ' ' + src.split(/[?#]/)[0].split('/').pop();
  var hashMode = /hash/.test(options);
  var ignored =
    attr('data-allow-localhost') == null &&
    (/^localhost$|\.localhost$|^127(\.\d+){3}$|^\[::1\]$/.test(location.hostname) || location.protocol == 'file:');
  var lastPage;

  function send(name, opts) {
    opts = opts || {};
    var callback = opts.callback;
    if (ignored) return callback && callback();
    var body = JSON.stringify({
      n: name,
      u: opts.u || location.href,
      d: domain,
      r: document.referrer || null,
      w: window.innerWidth,
      h: hashMode ? 1 : 0,
      p: opts.props
    });
    // A beacon survives the page unloading (outbound clicks, closing the tab); text/plain avoids a CORS preflight.
    if (navigator.sendBeacon && navigator.sendBeacon(api, body)) return callback && callback();
    if (window.fetch) {
      window
        .fetch(api, { method: 'POST', body: body, keepalive: true, headers: { 'Content-Type': 'text/plain' } })
        .then(callback, callback);
    } else {
      var xhr = new XMLHttpRequest();
      xhr.open('POST', api, true);
      xhr.setRequestHeader('Content-Type', 'text/plain');
      xhr.onreadystatechange = function () {
        if (xhr.readyState == 4 && callback) callback();
      };
      xhr.send(body);
    }
  }

  function pageview() {
    var page = location.pathname + (hashMode ? location.hash : '');
    // pushState to the same path (e.g. a query change) or a popstate back to it is not a new page.
    if (page === lastPage) return;
    lastPage = page;
    send('pageview');
  }

  function analytics(name, opts) {
    send(name, opts);
  }

  var queued = [].concat((window.analytics && window.analytics.q) || [], (window.plausible && window.plausible.q) || []);
  window.analytics = window.plausible = analytics;

  var pushState = window.history && window.history.pushState;
  if (pushState) {
    window.history.pushState = function () {
      pushState.apply(this, arguments);
      pageview();
    };
    window.addEventListener('popstate', pageview);
  }
  if (hashMode) window.addEventListener('hashchange', pageview);

  var outbound = /outbound/.test(options);
  var downloads = /download/.test(options);
  if (outbound || downloads) {
    var onClick = function (event) {
      if (event.type == 'auxclick' && event.button != 1) return;
      var link = event.target;
      while (link && !(link.tagName == 'A' && link.href)) link = link.parentNode;
      if (!link) return;
      var url = link.href;
      if (downloads && /\.(pdf|xlsx?|docx?|txt|rtf|csv|exe|key|pp[st]|pptx?|7z|pkg|rar|gz|zip|avi|mov|mp4|mpe?g|wmv|midi?|mp3|wav|wma|dmg|iso|msi)$/i.test(url.split(/[?#]/)[0])) {
        send('File Download', { props: { url: url } });
      } else if (outbound && link.host && link.host != location.host) {
        send('Outbound Link: Click', { props: { url: url } });
      }
    };
    document.addEventListener('click', onClick);
    document.addEventListener('auxclick', onClick);
  }

  // A prerendered page is not a visit until the user actually opens it.
  if (document.visibilityState == 'prerender') {
    document.addEventListener('visibilitychange', function () {
      if (!lastPage && document.visibilityState == 'visible') pageview();
    });
  } else {
    pageview();
  }
  // After the pageview, so a session starts on its landing page rather than on an early custom event.
  for (var i = 0; i < queued.length; i++) analytics.apply(null, queued[i]);
})(window, document);
