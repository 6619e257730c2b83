// Corridor offline filing: the guided referral form (one section per step),
// drafts kept in IndexedDB encrypted with AES-GCM under a non-extractable
// WebCrypto key, and sending them when the phone is back online: on the
// `online` event, on page load, and on window.corridorFiling.sync(). Each
// draft carries a fixed Idempotency-Key, so the server files it once however
// often it is sent. Without this script the form is one page and still works.
(function () {
  "use strict";
  var DB = "corridor-filing", DRAFTS = "drafts", KEYS = "keys";
  var msgs = {};
  var busy = null;

  // ---- IndexedDB ----
  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () {
        req.result.createObjectStore(DRAFTS, { keyPath: "id" });
        req.result.createObjectStore(KEYS);
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function tx(store, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(store, mode), out;
        var req = fn(t.objectStore(store));
        if (req) req.onsuccess = function () { out = req.result; };
        t.oncomplete = function () { db.close(); resolve(out); };
        t.onerror = t.onabort = function () { db.close(); reject(t.error); };
      });
    });
  }
  function allDrafts() { return tx(DRAFTS, "readonly", function (s) { return s.getAll(); }); }
  function getDraft(id) { return tx(DRAFTS, "readonly", function (s) { return s.get(id); }); }
  function putDraft(d) { return tx(DRAFTS, "readwrite", function (s) { return s.put(d); }); }
  function deleteDraft(id) { return tx(DRAFTS, "readwrite", function (s) { return s.delete(id); }); }

  // The drafts' key: AES-GCM 256, generated once on this phone and stored as
  // a CryptoKey; extractable is false, so no script can read its bytes.
  function draftKey() {
    return tx(KEYS, "readonly", function (s) { return s.get("draft"); }).then(function (k) {
      if (k) return k;
      return crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]).then(function (k) {
        return tx(KEYS, "readwrite", function (s) { return s.put(k, "draft"); }).then(function () { return k; });
      });
    });
  }
  function seal(value) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    return draftKey().then(function (k) {
      return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, k, new TextEncoder().encode(JSON.stringify(value)));
    }).then(function (ct) { return { iv: iv, data: ct }; });
  }
  function unseal(d) {
    return draftKey().then(function (k) {
      return crypto.subtle.decrypt({ name: "AES-GCM", iv: d.iv }, k, d.data);
    }).then(function (pt) { return JSON.parse(new TextDecoder().decode(pt)); });
  }

  // ---- drafts ----
  var form, current = null;
  function fields() {
    var out = [];
    new FormData(form).forEach(function (v, k) {
      if (k !== "csrf_token" && k !== "idempotency_key" && typeof v === "string") out.push([k, v]);
    });
    return out;
  }
  function title(pairs) {
    var names = pairs.filter(function (p) { return p[0].indexOf("child.name.") === 0 && p[1]; }).map(function (p) { return p[1]; });
    return names.join(" ");
  }
  // save stores the form as the current draft in state, creating it (with
  // its idempotency key) the first time.
  function save(state) {
    if (!form) return Promise.resolve(null);
    var pairs = fields();
    var d = current || { id: "draft-" + crypto.randomUUID(), key: "draft-" + crypto.randomUUID() };
    current = d;
    form.querySelector("#idempotency-key").value = d.key;
    return seal({ pairs: pairs, title: title(pairs) }).then(function (s) {
      d.iv = s.iv; d.data = s.data; d.state = state; d.updated = Date.now();
      return putDraft(d);
    }).then(function () { return list(); }).then(function () { return d; });
  }
  function fill(pairs) {
    form.reset();
    pairs.forEach(function (p) {
      form.querySelectorAll("[name='" + CSS.escape(p[0]) + "']").forEach(function (el) {
        if (el.type === "checkbox" || el.type === "radio") { if (el.value === p[1]) el.checked = true; }
        else el.value = p[1];
      });
    });
  }
  function openDraft(id) {
    return getDraft(id).then(function (d) {
      if (!d || !d.data) return;
      return unseal(d).then(function (v) {
        current = d;
        fill(v.pairs);
        form.querySelector("#idempotency-key").value = d.key;
        show(0);
      });
    });
  }

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text) e.textContent = text;
    return e;
  }
  // list shows the drafts on this phone, each with its state in data-state:
  // draft, waiting (for signal), sent, delivered, invalid or signin.
  function list() {
    var ul = document.getElementById("draft-list");
    if (!ul) return Promise.resolve();
    return allDrafts().then(function (ds) {
      ds.sort(function (a, b) { return b.updated - a.updated; });
      return Promise.all(ds.map(function (d) {
        return (d.data ? unseal(d).then(function (v) { return v.title; }, function () { return ""; }) : Promise.resolve(d.referral || ""))
          .then(function (t) { return [d, t]; });
      }));
    }).then(function (rows) {
      ul.textContent = "";
      document.getElementById("drafts-none").hidden = rows.length > 0;
      rows.forEach(function (row) {
        var d = row[0];
        var li = el("li", { id: d.id, "data-state": d.state, "data-draft-id": d.id });
        li.appendChild(el("span", { "class": "draft-title" }, row[1] || msgs.untitled));
        li.appendChild(el("span", { "class": "draft-state state-" + d.state }, msgs["state" + d.state.charAt(0).toUpperCase() + d.state.slice(1)] || d.state));
        if (d.url) { li.appendChild(el("a", { href: d.url }, d.referral)); }
        if (d.data && form) {
          var o = el("button", { type: "button", "class": "secondary", "data-open": d.id }, msgs.open);
          li.appendChild(o);
        }
        li.appendChild(el("button", { type: "button", "class": "secondary", "data-delete": d.id }, msgs["delete"]));
        ul.appendChild(li);
      });
    });
  }

  // ---- sending ----
  function csrfFromPage() {
    var m = document.querySelector("meta[name='csrf-token']");
    return m ? m.content : "";
  }
  // sync sends every draft waiting for signal and asks the state of those
  // sent; it resolves when done and dispatches "filing:synced" on document.
  function sync() {
    if (busy) return busy;
    busy = run().then(done, function (e) { done(); throw e; });
    function done() {
      busy = null;
      return settle().then(list).then(function () { document.dispatchEvent(new CustomEvent("filing:synced")); });
    }
    return busy;
  }
  function run() {
    return allDrafts().then(function (ds) {
      var waiting = ds.filter(function (d) { return d.state === "waiting" || d.state === "signin"; });
      var sent = ds.filter(function (d) { return d.state === "sent"; });
      if (!waiting.length && !sent.length) return;
      var q = sent.map(function (d) { return "id=" + encodeURIComponent(d.referral); }).join("&");
      return fetch("/filing/status" + (q ? "?" + q : ""), { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (res) {
          if (res.status === 401 || res.redirected) return markAll(waiting, "signin").then(function () { return null; });
          if (!res.ok) return null;
          return res.json();
        }, function () { return null; })
        .then(function (st) {
          if (!st) return;
          var chain = Promise.resolve();
          st.referrals.forEach(function (r) {
            sent.forEach(function (d) {
              if (d.referral === r.id && r.delivered) { d.state = "delivered"; chain = chain.then(function () { return putDraft(d); }); }
            });
          });
          waiting.forEach(function (d) { chain = chain.then(function () { return send(d, st.csrf_token); }); });
          return chain;
        });
    });
  }
  // settle starts a new draft when the one on the form was sent in the
  // background: what is typed next is another referral, with its own key.
  function settle() {
    if (!current) return Promise.resolve();
    return getDraft(current.id).then(function (d) {
      if (d && (d.state === "sent" || d.state === "delivered")) {
        current = null;
        form.reset();
        form.querySelector("#idempotency-key").value = "";
        show(0);
      }
    });
  }
  function markAll(ds, state) {
    return Promise.all(ds.map(function (d) { d.state = state; return putDraft(d); }));
  }
  function send(d, csrf) {
    return unseal(d).then(function (v) {
      var body = new URLSearchParams(v.pairs);
      body.set("csrf_token", csrf);
      return fetch("/filing/new", {
        method: "POST", credentials: "same-origin", body: body,
        headers: { Accept: "application/json", "X-CSRF-Token": csrf, "Idempotency-Key": d.key }
      });
    }).then(function (res) {
      if (res.status === 201) {
        return res.json().then(function (r) {
          // What was sent is now in the country's database: the phone
          // keeps only the referral's id and state.
          d.state = r.delivered ? "delivered" : "sent"; d.referral = r.id; d.url = r.url;
          delete d.data; delete d.iv;
          return putDraft(d);
        });
      }
      if (res.status === 401 || res.status === 403) { d.state = "signin"; return putDraft(d); }
      if (res.status === 400 || res.status === 422) { d.state = "invalid"; return putDraft(d); }
      return null; // the server is unavailable: stays waiting
    }, function () { return null; }); // no signal: stays waiting
  }

  // ---- steps ----
  var steps = [], step = 0;
  function show(i) {
    step = Math.max(0, Math.min(i, steps.length - 1));
    steps.forEach(function (s, n) { s.hidden = n !== step; });
    var last = step === steps.length - 1;
    document.getElementById("step-back").hidden = step === 0;
    document.getElementById("step-next").hidden = last;
    document.getElementById("send").hidden = !last;
    var p = document.getElementById("step-progress");
    p.hidden = false;
    p.textContent = (msgs.step || "").replace("{{.N}}", step + 1).replace("{{.Total}}", steps.length);
    form.setAttribute("data-step", steps[step].id);
  }
  function focusStep() {
    var lg = steps[step].querySelector("legend");
    lg.setAttribute("tabindex", "-1");
    lg.focus();
  }
  function stepOf(target) {
    for (var i = 0; i < steps.length; i++) if (steps[i].contains(target)) return i;
    return -1;
  }

  function ageAid() {
    var aid = document.getElementById("age-aid");
    var dob = document.getElementById("f-child-date-of-birth");
    if (!aid || !dob) return;
    var y = parseInt((dob.value || "").slice(0, 4), 10), now = new Date().getFullYear();
    if (y > 1900 && y <= now) {
      aid.textContent = aid.getAttribute("data-template").replace("{{.Year}}", y).replace("{{.Age}}", now - y);
      aid.hidden = false;
    } else aid.hidden = true;
  }

  // ---- sign-out ----
  // Signing out wipes the drafts and their key; unsent work is named first.
  function wipe() {
    var db = new Promise(function (resolve) {
      var req = indexedDB.deleteDatabase(DB);
      req.onsuccess = req.onerror = req.onblocked = function () { resolve(); };
    });
    // The cached form page holds the session's CSRF token: it goes too.
    var cached = window.caches ? caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("corridor-filing-") === 0; })
        .map(function (k) { return caches.delete(k); }));
    }).catch(function () {}) : Promise.resolve();
    return Promise.all([db, cached]);
  }
  function unsent() {
    return allDrafts().then(function (ds) {
      return ds.filter(function (d) { return d.state !== "sent" && d.state !== "delivered"; }).length;
    }, function () { return 0; });
  }
  function isLogout(f) { return f.hasAttribute("data-logout") || /\/logout$/.test(new URL(f.action, location.href).pathname); }
  document.addEventListener("submit", function (e) {
    var f = e.target;
    if (!isLogout(f) || f.getAttribute("data-wiped")) return;
    e.preventDefault();
    unsent().then(function (n) {
      if (n > 0 && !window.confirm(msgs.logout)) return;
      wipe().then(function () { f.setAttribute("data-wiped", "1"); f.submit(); });
    });
  }, true);

  // ---- start ----
  function start() {
    var m = document.getElementById("filing-msgs");
    if (m) Object.keys(m.dataset).forEach(function (k) { msgs[k] = m.dataset[k]; });
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/filing/sw.js", { scope: "/filing/" }).catch(function () {});
    form = document.getElementById("referral-form");
    var supported = window.indexedDB && window.crypto && crypto.subtle;
    var panel = document.getElementById("drafts");
    if (panel && supported) {
      panel.hidden = false;
      document.getElementById("sync-now").addEventListener("click", trySync);
      document.getElementById("draft-list").addEventListener("click", function (e) {
        var t = e.target;
        if (t.dataset.open) openDraft(t.dataset.open);
        if (t.dataset["delete"]) {
          if (current && current.id === t.dataset["delete"]) current = null;
          deleteDraft(t.dataset["delete"]).then(list);
        }
      });
    }
    if (form && supported) {
      document.getElementById("save-draft").hidden = false;
      steps = Array.prototype.slice.call(form.querySelectorAll("fieldset.step"));
      document.getElementById("step-next").addEventListener("click", function () { show(step + 1); focusStep(); });
      document.getElementById("step-back").addEventListener("click", function () { show(step - 1); focusStep(); });
      document.getElementById("save-draft").addEventListener("click", function () { save("draft"); });
      var timer;
      form.addEventListener("input", function () {
        ageAid();
        clearTimeout(timer);
        timer = setTimeout(function () { save(current ? current.state === "waiting" ? "waiting" : "draft" : "draft"); }, 800);
      });
      // The phone keyboard's Go key in a field moves to the next step; it
      // sends the form only from the last one.
      form.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && e.target.tagName === "INPUT" && step < steps.length - 1) {
          e.preventDefault();
          show(step + 1);
          focusStep();
        }
      });
      form.addEventListener("submit", function (e) {
        if (form.getAttribute("data-post")) return; // the server shows the errors
        e.preventDefault();
        clearTimeout(timer);
        save("waiting").then(function (d) {
          return sync().then(function () { return getDraft(d.id); });
        }).then(function (d) {
          if (d.url) location.assign(d.url + "?filed=1");
          else if (d.state === "invalid") {
            // The server's own page names each bad field: post the form
            // there, with the draft's key.
            d.state = "draft";
            putDraft(d).then(function () { form.setAttribute("data-post", "1"); form.submit(); });
          }
        });
      });
      var errors = document.getElementById("error-summary");
      var firstInvalid = form.querySelector("fieldset.step[data-invalid]");
      show(firstInvalid ? stepOf(firstInvalid) : 0);
      if (errors) {
        errors.focus();
        errors.addEventListener("click", function (e) {
          var href = e.target.getAttribute("href");
          var target = href && document.getElementById(href.slice(1));
          if (target && stepOf(target) >= 0) { show(stepOf(target)); }
        });
      }
      var key = form.querySelector("#idempotency-key").value;
      if (key.indexOf("draft-") === 0) {
        // The server answered a draft's post with errors: it stays that draft.
        allDrafts().then(function (ds) {
          ds.forEach(function (d) { if (d.key === key) current = d; });
        });
      }
      ageAid();
    }
    if (supported) list().then(sync).catch(function () {});
    // Tests (and anyone) can tell the script has set the page up.
    document.documentElement.setAttribute("data-filing", "ready");
  }
  function trySync() { if (window.indexedDB) sync().catch(function () {}); }
  window.addEventListener("online", trySync);
  // A phone can have a network without a way through (a weak signal, a
  // captive portal) and get it back without an online event: while a page
  // is in view, waiting drafts are tried again now and then too.
  document.addEventListener("visibilitychange", function () { if (document.visibilityState === "visible") trySync(); });
  setInterval(function () { if (document.visibilityState === "visible") trySync(); }, 60000);
  window.corridorFiling = { sync: sync, save: save, wipe: wipe };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
