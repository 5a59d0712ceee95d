// SSLBoard settings pages: small enhancements over server-rendered forms.
// Everything is built with DOM APIs and textContent (never innerHTML), and
// every state change sends the CSRF token from <meta name="csrf-token">.
"use strict";
(function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  // Typed forms (ui-bridge/src/web/typed.rs): changing the type asks the
  // server to render the form again for the new type, and the form is
  // swapped in place, so focus stays on the type select (no page load per
  // arrow key). The secret inputs are disabled first, so what was typed into
  // them is not even sent. Anything unexpected falls back to the
  // no-JavaScript path: the "Change type" button, a normal form POST.
  function initTyped(root) {
    root.querySelectorAll("select[data-rerender]").forEach(function (select) {
      var form = select.form;
      var button = form && form.querySelector("button[data-rerender-button]");
      if (!button) { return; }
      button.classList.add("js-hidden");
      var pending = 0;
      select.addEventListener("change", function () {
        var mine = ++pending;
        form.querySelectorAll("[data-secret-input]").forEach(function (i) { i.disabled = true; });
        form.setAttribute("aria-busy", "true");
        var body = new URLSearchParams(new FormData(form));
        body.set("_rerender", "1");
        post(form.action, body.toString(), "text/html").then(function (r) {
          if (!r.ok) { throw new Error("HTTP " + r.status); }
          return r.text();
        }).then(function (html) {
          if (mine !== pending) { return; } // a later change is on its way
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = form.id ? doc.getElementById(form.id) : null;
          if (!fresh) { throw new Error("no form in the answer"); }
          var node = document.importNode(fresh, true);
          form.replaceWith(node);
          // The errors of the previous submit no longer apply.
          document.querySelectorAll("main [data-form-error]").forEach(function (e) { e.remove(); });
          if (doc.title) { document.title = doc.title; }
          var params = new URLSearchParams(location.search);
          params.set("type", select.value);
          history.replaceState(null, "", location.pathname.replace(/\/secrets$/, "/secrets/new").replace(/\/providers$/, "/providers/new").replace(/\/accounts$/, "/accounts/new") + "?" + params.toString());
          initTyped(node);
          initAddRow(node);
          var again = node.querySelector("select[data-rerender]");
          if (again) { again.focus(); }
        }).catch(function () {
          form.querySelectorAll("[data-secret-input]").forEach(function (i) { i.disabled = true; });
          button.click();
        });
      });
    });
  }

  // After a failed submit, focus goes to the first field in error (or to the
  // form's error notice when no field is named).
  (function () {
    var first = document.querySelector('main [aria-invalid="true"]') ||
      document.querySelector("main [data-form-error]");
    if (first) { first.focus(); }
  })();

  // Times: relative within a week ("3 days ago"), else a date, in the
  // reader's locale; the exact local time in the tooltip.
  (function () {
    var WEEK = 7 * 86400e3;
    var rtf = window.Intl && Intl.RelativeTimeFormat ? new Intl.RelativeTimeFormat(undefined, { numeric: "auto" }) : null;
    var dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
    var exactFmt = new Intl.DateTimeFormat(undefined, { dateStyle: "full", timeStyle: "long" });
    var now = Date.now();
    document.querySelectorAll("time[data-when]").forEach(function (t) {
      var at = new Date(t.getAttribute("datetime"));
      if (isNaN(at.getTime())) { return; }
      var diff = at.getTime() - now;
      var text;
      if (rtf && Math.abs(diff) < WEEK) {
        var s = Math.round(diff / 1000), m = Math.round(s / 60), h = Math.round(m / 60), d = Math.round(h / 24);
        if (Math.abs(s) < 60) { text = rtf.format(0, "second"); }
        else if (Math.abs(m) < 60) { text = rtf.format(m, "minute"); }
        else if (Math.abs(h) < 24) { text = rtf.format(h, "hour"); }
        else { text = rtf.format(d, "day"); }
      } else {
        text = dateFmt.format(at);
      }
      t.textContent = text;
      t.title = exactFmt.format(at);
    });
  })();

  // Custom secrets: one more name/value row.
  function initAddRow(root) {
  root.querySelectorAll("button[data-add-row]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      var rows = document.getElementById(button.getAttribute("data-add-row"));
      var all = rows.querySelectorAll(".custom-row");
      if (!all.length || all.length >= 64) { return; }
      var last = all[all.length - 1];
      var n = all.length;
      var row = last.cloneNode(true);
      row.querySelectorAll("input, textarea, label").forEach(function (el) {
        ["name", "id", "for"].forEach(function (a) {
          var v = el.getAttribute(a);
          if (v) { el.setAttribute(a, v.replace(/\.\d+\./, "." + n + ".").replace(/-\d+-/, "-" + n + "-")); }
        });
        if (el.tagName !== "LABEL") { el.value = ""; }
      });
      rows.appendChild(row);
      var first = row.querySelector("input");
      if (first) { first.focus(); }
    });
  });
  }

  // Test Connection: POST to start, EventSource for progress, POST to cancel.
  var STEPS = ["zone_lookup", "create", "verify", "cleanup"];
  var STEP_NAMES = { zone_lookup: "Zone lookup", create: "Create record", verify: "Verify on nameservers", cleanup: "Clean up", done: "Done" };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function post(url, body, accept) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": accept || "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: body || ""
    });
  }

  function startTest(form) {
    var panel = document.getElementById(form.getAttribute("data-panel"));
    var button = form.querySelector("button[type=submit]");
    panel.hidden = false;
    panel.replaceChildren();
    var heading = el("p", "", "Testing connection…");
    var bar = el("progress");
    bar.max = STEPS.length;
    bar.setAttribute("aria-label", "Test Connection progress");
    var list = el("ol", "steps");
    var items = {};
    STEPS.forEach(function (s) {
      var li = el("li");
      li.setAttribute("data-step", s);
      li.appendChild(el("span", "step", STEP_NAMES[s]));
      var st = el("span", "status", "pending");
      li.appendChild(st);
      var d = el("span", "detail muted small", "");
      li.appendChild(d);
      list.appendChild(li);
      items[s] = { li: li, status: st, detail: d };
    });
    var live = el("p", "small muted", "");
    live.setAttribute("data-live", "");
    var cancel = el("button", "secondary", "Cancel");
    cancel.type = "button";
    var outcome = el("div", "outcome");
    panel.append(heading, bar, list, live, cancel, outcome);
    button.disabled = true;

    var finished = false;
    function end() { finished = true; cancel.remove(); bar.remove(); button.disabled = false; button.focus(); }

    post(form.action, new URLSearchParams(new FormData(form)).toString()).then(function (r) {
      if (!r.ok) { throw new Error("could not start the test (HTTP " + r.status + ")"); }
      return r.json();
    }).then(function (started) {
      cancel.addEventListener("click", function () {
        cancel.disabled = true;
        post(form.action + "/" + started.run + "/cancel");
      });
      var es = new EventSource(started.events);
      es.addEventListener("progress", function (ev) {
        var p = JSON.parse(ev.data);
        var it = items[p.step];
        if (it) {
          it.status.textContent = p.status;
          it.status.className = "status " + p.status;
          it.detail.textContent = p.detail;
          it.li.setAttribute("data-status", p.status);
          var idx = STEPS.indexOf(p.step) + (p.status === "ok" ? 1 : 0);
          if (idx > bar.value) { bar.value = idx; }
        }
        live.textContent = (STEP_NAMES[p.step] || p.step) + ": " + p.status + (p.detail ? " — " + p.detail : "");
      });
      es.addEventListener("result", function (ev) {
        es.close();
        var r = JSON.parse(ev.data);
        heading.textContent = r.success ? "Connection test passed" : "Connection test failed";
        var line = el("p", "result " + (r.success ? "success" : "failure"));
        line.setAttribute("data-result", r.success ? "success" : "failure");
        if (r.success) {
          line.textContent = "Success: " + (r.recordName || "the test record") + " was created" +
            (r.zone ? " in zone " + r.zone : "") + ", seen on every nameserver" + (r.cleanedUp ? " and removed." : ".");
        } else {
          line.textContent = "Failed" + (r.failedStep ? " at step " + r.failedStep : "") + ": " + (r.message || "unknown error");
        }
        outcome.appendChild(line);
        if (r.cleanupError) { outcome.appendChild(el("p", "small", "Cleanup: " + r.cleanupError)); }
        if (r.suggestions && r.suggestions.length) {
          outcome.appendChild(el("p", "", "Things to check:"));
          var ul = el("ul", "suggestions");
          r.suggestions.forEach(function (s) { ul.appendChild(el("li", "", s)); });
          outcome.appendChild(ul);
        }
        end();
      });
      es.addEventListener("error", function (ev) {
        if (finished) { return; }
        es.close();
        var msg = "the connection to the test was lost";
        if (ev.data) { try { msg = JSON.parse(ev.data).message; } catch (e) { /* keep default */ } }
        heading.textContent = "Connection test could not run";
        var line = el("p", "result failure", msg);
        line.setAttribute("data-result", "error");
        outcome.appendChild(line);
        end();
      });
    }).catch(function (e) {
      heading.textContent = "Connection test could not start";
      outcome.appendChild(el("p", "result failure", String(e.message || e)));
      end();
    });
  }

  document.querySelectorAll("form[data-test-form]").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      startTest(form);
    });
  });
  // A running issuance (pages/certificates.rs) or workflow run
  // (pages/workflows/mod.rs): the page is rendered on the server from what
  // the run has seen; here its server-sent events drive the live line and a
  // re-render of the run's section in place (fetched again, so there is one
  // renderer), until the outcome arrives.
  function followRun(section, describe) {
    if (section.getAttribute("data-done") === "true") { return; }
    var id = section.id;
    var es = new EventSource(section.getAttribute("data-events"));
    var busy = false, again = false, ended = false;
    function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      fetch(location.pathname, { credentials: "same-origin", headers: { "Accept": "text/html" } }).then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        return r.text();
      }).then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById(id);
        var current = document.getElementById(id);
        if (fresh && current) {
          var live = current.querySelector("[data-live]");
          var text = live ? live.textContent : "";
          var node = document.importNode(fresh, true);
          current.replaceWith(node);
          var nl = node.querySelector("[data-live]");
          if (nl) { nl.textContent = text; }
          if (node.getAttribute("data-done") === "true") {
            var out = node.querySelector("[data-outcome]");
            if (out) { out.focus(); }
          }
        }
      }).catch(function () { /* the next event or a reload shows it */ }).then(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
    }
    function say(text) {
      var live = document.querySelector("#" + id + " [data-live]");
      if (live) { live.textContent = text; }
    }
    es.addEventListener("progress", function (ev) {
      say(describe.progress(JSON.parse(ev.data)));
      refresh();
    });
    function end() { ended = true; es.close(); refresh(); }
    es.addEventListener("result", function (ev) {
      say(describe.result(JSON.parse(ev.data)));
      end();
    });
    es.addEventListener("error", function (ev) {
      if (ended) { return; }
      if (ev.data) { try { say("Not started: " + JSON.parse(ev.data).message); } catch (e) { /* keep */ } }
      end();
    });
  }

  var run = document.getElementById("issue-run");
  if (run) {
    followRun(run, {
      progress: function (p) { return (p.name ? p.name + " · " : "") + p.step + ": " + p.status + (p.detail ? " — " + p.detail : ""); },
      result: function (r) { return r.success ? "Issued." : "Not issued: " + (r.message || "unknown error"); }
    });
  }
  var wfRun = document.getElementById("workflow-run");
  if (wfRun) {
    followRun(wfRun, {
      progress: function (p) { return p.node + ": " + p.status + (p.detail ? " — " + p.detail : ""); },
      result: function (r) { return r.success ? "Every step succeeded." : "The run failed."; }
    });
  }
  // The workflow form after a step was added or moved: focus that step.
  (function () {
    var form = document.getElementById("workflow-form");
    var i = form && form.getAttribute("data-focus-node");
    if (i === null || i === undefined || i === "" || document.querySelector('main [aria-invalid="true"]')) { return; }
    var first = document.querySelector("#node-" + i + " input:not([type=hidden]), #node-" + i + " select");
    if (first) { first.focus(); }
  })();
  initTyped(document);
  initAddRow(document);
})();
