"""The page's inline style sheet and script (no CDN, no external font: works offline).

The script sorts and filters the access table. It reads cell text and toggles `hidden`,
never writes markup. `#q=TEXT` in the address pre-fills the filter (a link to a view).
"""

from __future__ import annotations

STYLE = """
:root { --fg: #1d2329; --muted: #5b6670; --line: #d8dde3; --ok: #2e8540; --warn: #b35c00;
  --off: #8a939c; --flag: #b3261e; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px; color: var(--fg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 10px; }
h3 { font-size: 15px; margin: 0 0 4px; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.meta, .count, .who, .subject, .email, .since, .key, .detail { color: var(--muted); }
.note { background: var(--bg); border-left: 3px solid var(--warn); padding: 6px 10px; }
.tiles { display: grid; grid-template-columns: repeat(5, 1fr); gap: 12px; margin-top: 16px; }
.tile { border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
.tile .value { font-size: 28px; font-weight: 600; }
.tile.warn .value { color: var(--flag); }
.chart { width: 100%; max-width: 760px; height: auto; font-size: 11px; fill: var(--fg); }
.controls { display: flex; gap: 16px; align-items: center; flex-wrap: wrap; margin: 8px 0; }
.controls input[type=search] { width: 280px; padding: 4px 8px; }
table { border-collapse: collapse; width: 100%; }
td[data-sort] { white-space: nowrap; }
th, td { text-align: left; vertical-align: top; padding: 6px 8px;
  border-bottom: 1px solid var(--line); }
th button { all: unset; cursor: pointer; font-weight: 600; }
th button[data-dir=asc]::after { content: " \\25B2"; }
th button[data-dir=desc]::after { content: " \\25BC"; }
tbody tr:nth-child(even) { background: var(--bg); }
.state { font-weight: 600; } .state.ok { color: var(--ok); } .state.warn { color: var(--warn); }
.state.off { color: var(--off); }
.flag { color: var(--flag); font-weight: 600; }
.subject { font-size: 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
.card ul { list-style: none; margin: 0; padding: 0; }
.card li { padding: 3px 0; border-top: 1px solid var(--line); }
.card li span { display: block; } .email, .since { font-size: 12px; }
tr.removal td:nth-child(2) { color: var(--flag); } tr.grant td:nth-child(2) { color: var(--ok); }
.print-only { display: none; }
@media print {
  body { padding: 0; max-width: none; font-size: 10pt; }
  .controls { display: none; }
  .print-only { display: block; }
  .tiles { grid-template-columns: repeat(5, 1fr); }
  thead { display: table-header-group; }
  tr, .card, .tile, svg { break-inside: avoid; }
  tbody tr:nth-child(even) { background: none; }
  h2 { break-after: avoid; }
}
"""

SCRIPT = """
(function () {
  "use strict";
  var table = document.getElementById("access-table");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var texts = rows.map(function (row) { return row.textContent.toLowerCase(); });
  var filter = document.getElementById("filter");
  var state = document.getElementById("state-filter");
  var mismatch = document.getElementById("mismatch-filter");
  var shown = document.getElementById("shown");
  var printed = document.getElementById("print-filter");

  function apply() {
    var words = filter.value.toLowerCase().split(/\\s+/).filter(Boolean);
    var wanted = state.value;
    var count = 0;
    rows.forEach(function (row, i) {
      var ok = words.every(function (w) { return texts[i].indexOf(w) !== -1; }) &&
        (!wanted || row.getAttribute("data-state") === wanted) &&
        (!mismatch.checked || row.getAttribute("data-mismatch") === "1");
      row.hidden = !ok;
      if (ok) { count += 1; }
    });
    shown.textContent = count + " of " + rows.length + " rows";
    var parts = [];
    if (filter.value) { parts.push("text \\u201c" + filter.value + "\\u201d"); }
    if (wanted) { parts.push("state " + wanted); }
    if (mismatch.checked) { parts.push("mismatches only"); }
    printed.textContent = parts.length ? "Filtered: " + parts.join(", ") + " (" +
      shown.textContent + ")" : "";
  }

  function key(row, col) {
    var cell = row.cells[col];
    return cell.getAttribute("data-sort") || cell.textContent.toLowerCase();
  }

  function sortBy(button) {
    var col = Number(button.getAttribute("data-col"));
    var dir = button.getAttribute("data-dir") === "asc" ? "desc" : "asc";
    table.querySelectorAll("th button").forEach(function (b) { b.removeAttribute("data-dir"); });
    button.setAttribute("data-dir", dir);
    var sign = dir === "asc" ? 1 : -1;
    var order = rows.map(function (row, i) { return [key(row, col), i]; });
    order.sort(function (a, b) {
      return a[0] < b[0] ? -sign : a[0] > b[0] ? sign : a[1] - b[1];
    });
    var fragment = document.createDocumentFragment();
    order.forEach(function (pair) { fragment.appendChild(rows[pair[1]]); });
    body.appendChild(fragment);
  }

  table.querySelectorAll("th button").forEach(function (button) {
    button.addEventListener("click", function () { sortBy(button); });
  });
  [filter, state, mismatch].forEach(function (el) {
    el.addEventListener("input", apply);
    el.addEventListener("change", apply);
  });
  var match = /^#q=(.*)$/.exec(window.location.hash);
  if (match) { filter.value = decodeURIComponent(match[1]); }
  apply();
  document.body.setAttribute("data-ready", "1");
})();
"""
