// The html report's inline style sheet and script: the page loads nothing,
// so both travel inside it (the Content-Security-Policy allows inline only).
#pragma once

namespace tally::html::detail {

inline const char* kStyle = R"CSS(
:root { --ink: #1f2328; --muted: #59636e; --line: #d8dee4; --card: #f6f8fa; --good: #1a7f37; --bad: #c62828;
        --accent: #4e79a7; --warn-bg: #fff8e1; --warn: #8a6408; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff; line-height: 1.45;
       font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
.page { max-width: 1120px; margin: 0 auto; padding: 24px 28px 48px; }
header.report h1 { margin: 0 0 4px; font-size: 28px; overflow-wrap: anywhere; }
header.report .period { margin: 0; color: var(--muted); }
dl.provenance { display: flex; flex-wrap: wrap; gap: 2px 18px; margin: 6px 0 0; color: var(--muted); font-size: 13px; }
dl.provenance div { display: flex; gap: 4px; min-width: 0; }
dl.provenance dt { font-weight: 600; }
dl.provenance dd { margin: 0; min-width: 0; overflow-wrap: anywhere; }
.warnings { margin: 14px 0 0; padding: 10px 14px; border: 1px solid #e0c36b; background: var(--warn-bg);
            border-radius: 6px; color: #5c4300; }
.warnings h2 { font-size: 15px; margin: 0 0 4px; }
.warnings ul { margin: 0; padding-left: 20px; }
.note { margin: 6px 0 10px; padding: 6px 10px; border-left: 3px solid #e0c36b; background: var(--warn-bg);
        font-size: 14px; }
nav.toc { margin: 16px 0 8px; }
nav.toc ul { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 6px 14px; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover, nav.toc a:focus { text-decoration: underline; }
h2 { font-size: 21px; margin: 0 0 4px; }
h3 { font-size: 16px; margin: 0 0 8px; }
section.headlines, section.metric { margin-top: 28px; padding-top: 20px; border-top: 1px solid var(--line); }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); gap: 12px; margin: 12px 0 8px; }
.kpi { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; min-width: 0; }
.kpi-metric { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .03em; }
.kpi-label { font-size: 14px; color: var(--muted); }
.kpi-value { font-size: 26px; font-weight: 650; margin: 2px 0; font-variant-numeric: tabular-nums;
             overflow-wrap: anywhere; }
.kpi-change { font-size: 14px; font-variant-numeric: tabular-nums; }
.kpi-change.good { color: var(--good); }
.kpi-change.bad { color: var(--bad); }
.kpi-change.neutral, .kpi-change .was { color: var(--muted); }
.kpi-note { margin-top: 4px; font-size: 13px; color: var(--warn); }
.kpi-target { margin-top: 6px; font-size: 13px; color: var(--muted); }
.progress { height: 6px; background: #e4e8ec; border-radius: 3px; overflow: hidden; margin: 3px 0; }
.progress > span { display: block; height: 100%; background: var(--accent); }
.progress.met > span { background: var(--good); }
.progress.missed > span { background: var(--bad); }
.block { margin-top: 22px; }
figure.chart { margin: 0 0 10px; }
.chart-scroll { overflow-x: auto; }
figure.chart svg { display: block; width: 100%; max-width: 840px; min-width: 660px; height: auto; }
figure.chart figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
.table-scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: separate; border-spacing: 0; font-size: 14px; min-width: 50%;
        font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); font-size: 13px; padding-bottom: 4px; }
th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top;
         background: #fff; }
th:first-child, td:first-child { position: sticky; left: 0; z-index: 1; }
thead th { border-bottom: 2px solid #aab4be; font-weight: 600; white-space: nowrap; }
thead th button { all: unset; font: inherit; color: inherit; cursor: pointer; }
thead th button:focus-visible { outline: 2px solid var(--accent); }
thead th[aria-sort="ascending"] button::after { content: " ▲"; font-size: 11px; }
thead th[aria-sort="descending"] button::after { content: " ▼"; font-size: 11px; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.date { white-space: nowrap; }
td.na { color: var(--muted); }
tbody tr:nth-child(even) td { background: #fafbfc; }
.empty { color: var(--muted); font-style: italic; }
.error { border: 1px solid var(--bad); color: var(--bad); background: #fdecea; border-radius: 6px; padding: 10px 12px; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
footer { margin-top: 36px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); padding-top: 10px; }
@media (max-width: 600px) {
  body { font-size: 14px; }
  .page { padding: 14px 12px 32px; }
  header.report h1 { font-size: 22px; }
  .cards { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px; }
  .kpi { padding: 8px 10px; }
  .kpi-value { font-size: 19px; }
  .kpi-label, .kpi-change, .kpi-target { font-size: 12px; }
  .kpi-metric { font-size: 11px; }
  table { font-size: 13px; }
  th, td { padding: 4px 8px; }
}
@page { margin: 14mm; }
@media print {
  body { font-size: 10.5pt; }
  .page { max-width: none; padding: 0; }
  nav.toc { display: none; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  section.headlines, section.metric { break-before: auto; }
  h2, h3 { break-after: avoid; }
  figure.chart, .kpi, .cards, tr { break-inside: avoid; page-break-inside: avoid; }
  /* no table row alone on a page: the last two rows stay with the ones before */
  tbody tr:nth-last-child(-n+2) { break-before: avoid; page-break-before: avoid; }
  tbody tr:first-child { break-after: avoid; page-break-after: avoid; }
  thead { display: table-header-group; }
  .table-scroll, .chart-scroll { overflow: visible; }
  figure.chart svg { min-width: 0; }
  th:first-child, td:first-child { position: static; }
  thead th button::after { content: none; }
  tbody tr:nth-child(even) td { background: none; }
  a { color: inherit; text-decoration: none; }
}
)CSS";

// Makes every table sortable by a click on a column header, and checks the
// page's own structure once loaded, recording the outcome in
// #tally-self-check (and the console when something is wrong): every chart
// is an accessible SVG followed by its table. Opened with #tally-test, it
// also checks the layout at the window's width (nothing wider than the
// viewport outside a scrolling box, no text under 11 px) and that a click on
// a header sorts its table. Browser tests read the outcome.
inline const char* kScript = R"JS(
(function () {
  function cellKey(cell) {
    var v = cell.getAttribute('data-v');
    return v === null ? cell.textContent : v;
  }
  function sortBy(table, col, dir) {
    var heads = table.tHead.rows[0].cells, body = table.tBodies[0];
    var numeric = heads[col].classList.contains('num');
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (r, i) { if (!r.hasAttribute('data-i')) r.setAttribute('data-i', i); });
    rows.sort(function (a, b) {
      var x = cellKey(a.cells[col]), y = cellKey(b.cells[col]);
      var cmp;
      if (!dir) cmp = 0;
      else if (x === '' || y === '') cmp = (x === '') - (y === '');  // n/a last either way
      else {
        cmp = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y, undefined, {numeric: true});
        if (dir === 'descending') cmp = -cmp;
      }
      return cmp || a.getAttribute('data-i') - b.getAttribute('data-i');
    });
    Array.prototype.forEach.call(heads, function (h) { h.removeAttribute('aria-sort'); });
    if (dir) heads[col].setAttribute('aria-sort', dir);
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll('table.sortable').forEach(function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, col) {
      var button = th.querySelector('button');
      if (!button) return;
      button.addEventListener('click', function () {
        sortBy(table, col, th.getAttribute('aria-sort') === 'ascending' ? 'descending' : 'ascending');
      });
    });
  });

  var problems = [], lines = [];
  document.querySelectorAll('figure.chart').forEach(function (figure) {
    var svg = figure.querySelector('svg');
    if (!svg) { problems.push(figure.id + ': no svg'); return; }
    if (svg.getAttribute('role') !== 'img') problems.push(figure.id + ': svg without role=img');
    (svg.getAttribute('aria-labelledby') || '').split(' ').forEach(function (id) {
      if (!id || !document.getElementById(id)) problems.push(figure.id + ': aria-labelledby names a missing id ' + id);
    });
    if (!svg.querySelector('title') || !svg.querySelector('desc')) problems.push(figure.id + ': no title/desc');
    if (!svg.querySelector('.marks') || svg.querySelector('.marks').childElementCount === 0)
      problems.push(figure.id + ': nothing drawn');
    var next = figure.nextElementSibling;
    if (!next || !(next.tagName === 'TABLE' || next.querySelector('table')))
      problems.push(figure.id + ': not followed by its table');
  });
  document.querySelectorAll('section.metric').forEach(function (section) {
    lines.push(section.getAttribute('data-metric') + ' status=' + section.getAttribute('data-status') +
               ' charts=' + section.querySelectorAll('figure.chart svg').length +
               ' tables=' + section.querySelectorAll('table').length);
  });

  if (location.hash === '#tally-test') {
    var vw = document.documentElement.clientWidth, wide = 0, small = 0, texts = 0;
    var name = function (el) { return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                                      (el.getAttribute('class') ? '.' + el.getAttribute('class').split(' ')[0] : ''); };
    if (document.documentElement.scrollWidth > vw + 1)
      problems.push('the page scrolls sideways: ' + document.documentElement.scrollWidth + ' > ' + vw);
    document.querySelectorAll('body *').forEach(function (el) {
      if (el.closest('script, style, title, desc, [hidden]')) return;
      if (el.getClientRects().length === 0) return;
      var inBox = el.parentElement && el.parentElement.closest('.table-scroll, .chart-scroll');
      var r = el.getBoundingClientRect();
      if (!inBox && (r.right > vw + 1 || r.left < -1) && r.width > 0) {
        if (wide++ < 5) problems.push('wider than the viewport: ' + name(el) + ' ' + Math.round(r.left) + '..' +
                                      Math.round(r.right) + ' of ' + vw);
      }
      var hasText = Array.prototype.some.call(el.childNodes, function (n) {
        return n.nodeType === 3 && n.textContent.trim() !== '';
      });
      if (!hasText || el.closest('.sr-only')) return;
      texts++;
      var size = parseFloat(getComputedStyle(el).fontSize);
      var svg = el.ownerSVGElement;
      if (svg && svg.viewBox && svg.viewBox.baseVal && svg.viewBox.baseVal.width)
        size *= svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
      if (size < 10.95 && small++ < 5) problems.push('text under 11 px (' + size.toFixed(1) + ' px): ' + name(el) +
                                                    ' "' + el.textContent.trim().slice(0, 30) + '"');
    });
    var sorted = 'none';
    var table = Array.prototype.find.call(document.querySelectorAll('table.sortable'), function (t) {
      return t.tBodies[0].rows.length > 2 && t.querySelector('thead th.num button');
    });
    if (table) {
      var th = table.querySelector('thead th.num'), col = th.cellIndex;
      var values = function () {
        return Array.prototype.map.call(table.tBodies[0].rows, function (r) { return cellKey(r.cells[col]); })
            .filter(function (v) { return v !== ''; }).map(parseFloat);
      };
      var ordered = function (v, up) {
        for (var i = 1; i < v.length; i++) if (up ? v[i] < v[i - 1] : v[i] > v[i - 1]) return false;
        return true;
      };
      th.querySelector('button').click();
      var up = ordered(values(), true) && th.getAttribute('aria-sort') === 'ascending';
      th.querySelector('button').click();
      var down = ordered(values(), false) && th.getAttribute('aria-sort') === 'descending';
      sorted = up && down ? 'ok' : 'fail';
      if (!(up && down)) problems.push('a click on ' + name(th) + ' of ' + table.id + ' did not sort it');
      sortBy(table, col, null);  // back to the report's order
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) { r.removeAttribute('data-i'); });
    } else {
      problems.push('no sortable table with a numeric column to try');
    }
    lines.push('layout width=' + vw + ' texts=' + texts + ' too_wide=' + wide + ' too_small=' + small +
               ' sort=' + sorted);
  }

  var out = document.getElementById('tally-self-check');
  out.setAttribute('data-status', problems.length ? 'fail' : 'ok');
  out.textContent = lines.concat(problems.map(function (p) { return 'problem: ' + p; })).join('\n');
  if (problems.length) console.error('tally self-check failed: ' + problems.join('; '));
})();
)JS";

}  // namespace tally::html::detail
