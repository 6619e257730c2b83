// Corridor filing service worker. Its scope is /filing/: it keeps the
// referral form's shell so that the form opens with no signal, and nothing
// else. It never caches a POST or a JSON answer, and sends nothing by
// itself: the page's script sends drafts (it does not rely on Background
// Sync, which few phones' browsers offer). The server fills in the shell's
// content-hashed URLs and their version.
"use strict";
var CACHE = "corridor-filing-__VERSION__";
var SHELL = __SHELL__;
var FORM = "/filing/new";

self.addEventListener("install", function (e) {
  e.waitUntil(caches.open(CACHE).then(function (c) {
    return c.addAll(SHELL).then(function () { return cacheForm(c); });
  }).then(function () { return self.skipWaiting(); }));
});

// cacheForm keeps the form page, unless the answer is the sign-in page.
function cacheForm(c) {
  return fetch(FORM, { credentials: "same-origin" }).then(function (res) {
    if (res.ok && !res.redirected) return c.put(FORM, res);
  }, function () {});
}

self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("corridor-filing-") === 0 && k !== CACHE; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (e) {
  var req = e.request;
  var url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    // Static files have content-hashed names: the cache first.
    e.respondWith(caches.match(req).then(function (hit) {
      return hit || fetch(req).then(function (res) {
        if (res.ok) { var copy = res.clone(); caches.open(CACHE).then(function (c) { c.put(req, copy); }); }
        return res;
      });
    }));
    return;
  }
  if (req.mode === "navigate" && url.pathname === FORM) {
    // The form: the network first, so that the page is fresh with signal;
    // the cached shell without. A sign-in page is not cached.
    e.respondWith(fetch(req).then(function (res) {
      if (res.ok && !res.redirected && url.search === "") {
        var copy = res.clone();
        caches.open(CACHE).then(function (c) { c.put(FORM, copy); });
      }
      return res;
    }, function () {
      return caches.match(FORM).then(function (hit) { return hit || Response.error(); });
    }));
  }
});
