// SSLBoard settings pages: small enhancements over server-rendered forms.
// Everything is built with DOM APIs and textContent (never innerHTML), and
// every state change sends the CSRF token from <meta name="csrf-token">.
"use strict";
(function () {
  var meta = document.querySelector('meta[name="csrf-token"]');
  var csrf = meta ? meta.getAttribute("content") : "";

  // Type selectors: show and enable only the fieldsets of the chosen type.
  function applySwitch(select) {
    var group = select.getAttribute("data-switch");
    document.querySelectorAll('fieldset[data-group="' + group + '"]').forEach(function (fs) {
      var on = fs.getAttribute("data-value") === select.value;
      fs.hidden = !on;
      fs.disabled = !on;
    });
    document.querySelectorAll('[data-group-show="' + group + '"]').forEach(function (el) {
      var values = (el.getAttribute("data-values") || "").split(" ");
      var on = values.indexOf(select.value) >= 0;
      el.hidden = !on;
      el.querySelectorAll("input, select, textarea").forEach(function (i) { i.disabled = !on; });
    });
  }
  document.querySelectorAll("select[data-switch]").forEach(function (select) {
    select.addEventListener("change", function () { applySwitch(select); });
    applySwitch(select);
  });

  // Custom secrets: one more name/value row.
  document.querySelectorAll("button[data-add-row]").forEach(function (button) {
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

  // Test Connection: POST to start, EventSource for progress, POST to cancel.
  var STEPS = ["zone_lookup", "create", "verify", "cleanup"];
  var STEP_NAMES = { zone_lookup: "Zone lookup", create: "Create record", verify: "Verify on nameservers", cleanup: "Clean up", done: "Done" };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded" },
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
})();
