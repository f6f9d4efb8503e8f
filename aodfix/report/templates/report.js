/* report.html's table: every row lives in the #report-data block; this draws one page of
   them at a time, filters and sorts over all of them, and draws a row's details and diff
   only when it is opened. Data text only ever goes in through textContent. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var rows = data.rows, size = data.pageSize, labels = data.labels, widest = data.widest;
  var ERROR_LINE = 200, SUMMARY_LINE = 300; // html.py: ERROR_LINE_CHARS, SUMMARY_LINE_CHARS
  var table = document.getElementById("results");
  var filter = document.getElementById("filter");
  var status = document.getElementById("status");
  var shown = document.getElementById("shown");
  var totals = document.querySelectorAll("#totals .total");
  var pagers = document.querySelectorAll(".pager");
  var names = rows.map(function (r) { return r.repo.toLowerCase(); });
  var order = rows.map(function (r, i) { return i; }); // all rows, in the chosen sort
  var visible = order, page = 0, open = {};
  var KEYS = {
    repo: function (i) { return names[i]; },
    status: function (i) { return rows[i].status; },
    pr: function (i) { return rows[i].pr || 0; },
    changed: function (i) { var s = rows[i].stat; return s ? s[1] + s[2] : 0; },
    turns: function (i) { return rows[i].turns || 0; },
    session: function (i) { return rows[i].session || 0; },
    total: function (i) { return rows[i].total || 0; }
  };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.textContent = text; }
    return e;
  }
  function add(parent, child) { parent.appendChild(child); return child; }
  function clip(text, n) { return text.length <= n ? text : text.slice(0, n - 1) + "\u2026"; }
  function seconds(v) { return (v || 0).toFixed(1) + " s"; }
  function passed(c) { return c[1] === 0; }
  function checksLine(r) { // html.py: checks_line
    var c = r.checks || [], n = [0, 0, 0], parts = [], words = ["passed", "failed",
      "failing on the base too"];
    if (!c.length) { return ""; }
    c.forEach(function (x) { n[passed(x) ? 0 : (x[2] ? 2 : 1)]++; });
    n.forEach(function (k, j) { if (k) { parts.push(k + " " + words[j]); } });
    var line = "checks: " + parts.join(", ");
    return r.rounds ? line + " \u00b7 " + r.rounds + " feedback turn" + (r.rounds !== 1 ? "s" : "")
      : line;
  }
  function hasDetails(r) {
    return !!(r.patch || r.notes || r.judge || r.checks ||
      (r.error && r.error.length > ERROR_LINE) || (r.summary && r.summary.length > SUMMARY_LINE));
  }

  function rowBody(i) {
    var r = rows[i], body = el("tbody", "repo"), tr = add(body, el("tr")), td;
    body.dataset.repo = names[i];
    body.dataset.status = r.status;
    td = add(tr, el("td"));
    add(td, el("code", "", r.repo));
    if (r.branch) { add(td, el("div", "meta", r.branch)); }
    if (r.run) { add(td, el("div", "meta", "run " + r.run)); }
    add(tr, el("td", "status s-" + r.status, labels[r.status]));
    td = add(tr, el("td"));
    if (r.pr && r.prUrl) {
      add(td, el("a", "", "#" + r.pr)).href = r.prUrl;
    } else if (r.pr) { td.textContent = "#" + r.pr; }
    td = add(tr, el("td", "num"));
    if (r.stat) {
      var s = r.stat;
      td.appendChild(document.createTextNode(s[0] + " file" + (s[0] !== 1 ? "s" : "") + " "));
      add(td, el("span", "s-pr_opened", "+" + s[1]));
      td.appendChild(document.createTextNode(" "));
      add(td, el("span", "s-failed", "\u2212" + s[2]));
      var bar = add(td, el("div", "bar"));
      bar.title = "+" + s[1] + " \u2212" + s[2];
      add(bar, el("span", "add")).style.width = (100 * s[1] / widest).toFixed(1) + "%";
      add(bar, el("span", "del")).style.width = (100 * s[2] / widest).toFixed(1) + "%";
    }
    add(tr, el("td", "num", r.turns ? String(r.turns) : ""));
    add(tr, el("td", "num", seconds(r.session)));
    add(tr, el("td", "num", seconds(r.total)));
    td = add(tr, el("td"));
    if (r.error) { add(td, el("div", "err", clip(r.error, ERROR_LINE))); }
    if (r.summary) { add(td, el("div", "summary", clip(r.summary, SUMMARY_LINE))); }
    if (r.notes) {
      add(td, el("div", "meta", r.notes.length + " note" + (r.notes.length !== 1 ? "s" : "")));
    }
    if (r.judge) { add(td, el("div", "meta", "judge: " + (r.judge[0] || "no verdict"))); }
    if (r.checks) { add(td, el("div", "meta checks", checksLine(r))); }
    if (r.log) { add(td, el("a", "log", "agent log")).href = r.log; }
    if (r.raw) {
      td.appendChild(document.createTextNode(" "));
      add(td, el("a", "log raw", "raw log")).href = r.raw;
    }
    if (hasDetails(r)) {
      var btn = add(td, el("button", "toggle"));
      btn.type = "button";
      btn.dataset.index = i;
      btn.setAttribute("aria-controls", "detail-" + i);
      label(btn, r, !!open[i]);
      if (open[i]) { add(body, detailRow(i)); }
    }
    return body;
  }
  function label(btn, r, isOpen) {
    btn.setAttribute("aria-expanded", String(isOpen));
    btn.textContent = (isOpen ? "hide " : "show ") + (r.patch ? "diff" : "details");
  }

  function detailRow(i) {
    var r = rows[i], tr = el("tr", "detail"), td = add(tr, el("td")), box;
    tr.id = "detail-" + i;
    td.colSpan = 8;
    box = add(td, el("div", "details"));
    if (r.error && r.error.length > ERROR_LINE) { add(box, el("div", "err", r.error)); }
    if (r.summary && r.summary.length > SUMMARY_LINE) {
      add(box, el("div", "summary", r.summary));
    }
    if (r.notes) {
      var notes = add(box, el("ul", "notes"));
      r.notes.forEach(function (n) { add(notes, el("li", "meta", n)); });
    }
    if (r.judge) {
      add(box, el("div", "meta", "judge: " + (r.judge[0] || "no verdict") +
        (r.judge[1] ? " \u2014 " + r.judge[1] : "")));
    }
    if (r.checks) {
      var list = add(box, el("ul", "checks"));
      r.checks.forEach(function (c) {
        var li = add(list, el("li", passed(c) ? "s-pr_opened" : (c[2] ? "meta" : "s-failed")));
        add(li, el("code", "", c[0]));
        li.appendChild(document.createTextNode(": " + (passed(c) ? "passed" : (c[2]
          ? "fails on the base too" : "failed (exit " + c[1] + ")")) + " \u00b7 " + seconds(c[3])));
        if (c[4]) { add(li, el("pre", "tail", c[4])); }
      });
    }
    if (r.patch) { add(add(box, el("div", "diff")), diffLines(r.patch)); }
    return tr;
  }

  // One span per run of lines of a kind: file headers, hunk headers, added, deleted, context.
  function diffLines(text) {
    var pre = el("pre"), lines = text.split("\n"), header = false, kind = "", run = [];
    function flush() {
      if (run.length) { add(pre, el("span", kind, run.join("\n") + "\n")); }
      run = [];
    }
    if (lines[lines.length - 1] === "") { lines.pop(); }
    lines.forEach(function (line) {
      var k;
      if (line.lastIndexOf("diff --git ", 0) === 0) { header = true; k = "ln-head"; }
      else if (line.lastIndexOf("@@", 0) === 0) { header = false; k = "ln-hunk"; }
      else if (header) { k = "ln-head"; }
      else if (line[0] === "+") { k = "ln-add"; }
      else if (line[0] === "-") { k = "ln-del"; }
      else if (line[0] === " ") { k = "ln-ctx"; }
      else { k = "ln-meta"; }
      if (k !== kind) { flush(); kind = k; }
      run.push(line);
    });
    flush();
    return pre;
  }

  function draw() {
    var text = filter.value.trim().toLowerCase(), want = status.value;
    visible = order.filter(function (i) {
      return (!text || names[i].indexOf(text) !== -1) && (!want || rows[i].status === want);
    });
    var pages = Math.max(1, Math.ceil(visible.length / size));
    page = Math.min(page, pages - 1);
    table.querySelectorAll("tbody.repo").forEach(function (b) { b.remove(); });
    var frag = document.createDocumentFragment();
    visible.slice(page * size, (page + 1) * size).forEach(function (i) {
      frag.appendChild(rowBody(i));
    });
    table.appendChild(frag);
    shown.textContent = visible.length + " of " + rows.length + " shown";
    pagers.forEach(function (p) {
      p.querySelector(".page").textContent = "page " + (page + 1) + " of " + pages;
      p.querySelector(".prev").disabled = page === 0;
      p.querySelector(".next").disabled = page >= pages - 1;
    });
    totals.forEach(function (t) {
      t.setAttribute("aria-pressed", String(t.dataset.status === want));
    });
  }
  function refilter() { page = 0; draw(); }

  filter.addEventListener("input", refilter);
  status.addEventListener("change", refilter);
  totals.forEach(function (t) {
    t.addEventListener("click", function () {
      status.value = status.value === t.dataset.status ? "" : t.dataset.status;
      refilter();
    });
  });
  pagers.forEach(function (p) {
    p.querySelector(".prev").addEventListener("click", function () { page--; draw(); });
    p.querySelector(".next").addEventListener("click", function () { page++; draw(); });
  });
  table.querySelectorAll("th[data-key]").forEach(function (th) {
    th.addEventListener("click", function () {
      var num = th.dataset.type === "num", asc = th.getAttribute("aria-sort") !== "ascending";
      var key = order.map(KEYS[th.dataset.key]), rank = [];
      table.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      order.forEach(function (i, j) { rank[i] = key[j]; });
      order.sort(function (a, b) {
        var x = rank[a], y = rank[b];
        var c = num ? x - y : (x < y ? -1 : (x > y ? 1 : 0));
        return asc ? c : -c;
      });
      refilter();
    });
  });
  table.addEventListener("click", function (e) {
    var btn = e.target.closest("button.toggle");
    if (!btn) { return; }
    var i = Number(btn.dataset.index), body = btn.closest("tbody"), isOpen = !open[i];
    if (isOpen) { open[i] = true; body.appendChild(detailRow(i)); }
    else { delete open[i]; body.removeChild(body.querySelector("tr.detail")); }
    label(btn, rows[i], isOpen);
  });
  draw();
}());
