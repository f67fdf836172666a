/* The pages' only script: live countdowns, inline panels, more source rows, htmx errors.
   Everything here is an enhancement; without it the pages work with plain forms. */
(function () {
  "use strict";

  var words = {};

  function readWords() {
    var el = document.getElementById("clock-words");
    if (el) { try { words = JSON.parse(el.textContent); } catch (e) { words = {}; } }
  }

  function fill(template, values) {
    return String(template || "").replace(/\{(\w+)\}/g, function (_, k) {
      return values[k] === undefined ? "" : values[k];
    });
  }

  function span(seconds) {
    var minutes = Math.floor(Math.abs(seconds) / 60);
    var d = Math.floor(minutes / 1440), h = Math.floor((minutes % 1440) / 60), m = minutes % 60;
    if (d) { return fill(words.dh, { d: d, h: h }); }
    if (h) { return fill(words.hm, { h: h, m: m }); }
    return fill(words.m, { m: m });
  }

  // Every element with data-deadline is an open clock: refresh its words and its colour. The
  // server (huiying/cases/clocks.py) decides which clocks are open and gives each its due-soon
  // window in data-soon; this only repaints them as time passes between page loads.
  function tick(root) {
    var now = Date.now();
    (root || document).querySelectorAll("[data-deadline]").forEach(function (el) {
      var due = Date.parse(el.getAttribute("data-deadline"));
      var soon = parseInt(el.getAttribute("data-soon") || "0", 10);
      if (isNaN(due)) { return; }
      var left = Math.round((due - now) / 1000);
      var out = el.querySelector(".clock-left");
      if (out) { out.textContent = fill(left >= 0 ? words.left : words.over, { span: span(left) }); }
      el.classList.toggle("overdue", left < 0);
      el.classList.toggle("due_soon", left >= 0 && left <= soon);
      el.classList.toggle("running", left > soon);
    });
  }

  // "Cancel" in an inline panel just closes it.
  document.addEventListener("click", function (ev) {
    var dismiss = ev.target.closest("[data-dismiss]");
    if (dismiss) {
      var panel = dismiss.closest(".action-panel");
      if (panel) { ev.preventDefault(); panel.remove(); }
      return;
    }
    var add = ev.target.closest("[data-add-row]");
    if (add) { ev.preventDefault(); addRow(add.getAttribute("data-add-row")); }
  });

  // A Django formset row from its <template>; __prefix__ becomes the next index.
  function addRow(prefix) {
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    var tpl = document.getElementById(prefix + "-empty");
    var rows = document.getElementById(prefix + "-rows");
    if (!total || !tpl || !rows) { return; }
    var n = parseInt(total.value, 10);
    if (max && n >= parseInt(max.value, 10)) { return; }
    var html = tpl.innerHTML.replace(/__prefix__/g, String(n));
    rows.insertAdjacentHTML("beforeend", html);
    total.value = String(n + 1);
    var first = rows.lastElementChild && rows.lastElementChild.querySelector("input, textarea");
    if (first) { first.focus(); }
  }

  function toast(text) {
    var el = document.getElementById("toast");
    if (!el) { return; }
    el.textContent = text;
    el.hidden = false;
    window.clearTimeout(el._timer);
    el._timer = window.setTimeout(function () { el.hidden = true; }, 6000);
  }

  document.addEventListener("DOMContentLoaded", function () {
    readWords();
    document.querySelectorAll(".js-only").forEach(function (el) { el.hidden = false; });
    tick();
    window.setInterval(tick, 30000);
  });

  document.addEventListener("htmx:afterSettle", function (ev) { tick(ev.target); });

  // The page's messages tell of the step that loaded it; once a later step has answered in
  // place, they are stale ("已保存草稿" after 提交审核): the fresh answer brings its own.
  document.addEventListener("htmx:afterSwap", function (ev) {
    var verb = ev.detail.requestConfig && ev.detail.requestConfig.verb;
    if (verb && verb.toLowerCase() === "post") {
      document.querySelectorAll("ul.messages").forEach(function (el) { el.remove(); });
    }
  });

  // A session that ran out answers with the login page: go there instead of pasting it in.
  // (The session middleware answers htmx with HX-Redirect, which htmx follows by itself; this
  // covers a login page reached any other way.)
  document.addEventListener("htmx:beforeSwap", function (ev) {
    var url = ev.detail.xhr && ev.detail.xhr.responseURL;
    if (url && url.indexOf("/accounts/login/") !== -1) {
      ev.detail.shouldSwap = false;
      window.location.href = url;
    }
  });

  // A new API token is shown once: one tap selects all of it for copying.
  document.addEventListener("focusin", function (ev) {
    if (ev.target.matches && ev.target.matches("textarea.token-key")) { ev.target.select(); }
  });

  document.addEventListener("htmx:responseError", function () { toast(words.failed); });
  document.addEventListener("htmx:sendError", function () { toast(words.failed); });
})();
