// The dashboard page, its script and its style, served from memory. The
// report itself is the html report plugin's page (GET /report), whose
// content the script swaps in: one copy of the report's markup, here none.
//
// The script keeps its state in the address (?config=&period=&compare=&
// filters=), so a view can be bookmarked. Opened with #tally-test:... it
// drives itself (change the period, then a filter, then click a KPI) for the
// browser test; see tests/dashboard_browser_test.cpp.
#pragma once

namespace tally::serve {

inline const char* kPage = R"HTML(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tally dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard.css">
<style id="report-style"></style>
<script src="/dashboard.js" defer></script>
</head>
<body data-state="loading">
<header class="bar">
  <nav id="configs" aria-label="Reports served"></nav>
  <form id="controls" aria-label="Period and filters">
    <label>Period <select id="period"></select></label>
    <span id="custom" hidden>
      <label>From <input type="date" id="from"></label>
      <label>To (inclusive) <input type="date" id="to"></label>
      <button type="button" id="apply">Apply</button>
    </span>
    <label>Compare <select id="compare"></select></label>
    <span id="filters"></span>
  </form>
  <p id="status" role="status" aria-live="polite"></p>
</header>
<div id="problem" class="problem" role="alert" hidden></div>
<div id="report"></div>
<dialog id="drill" aria-labelledby="drill-title">
  <form method="dialog"><button class="close" aria-label="Close">×</button></form>
  <h2 id="drill-title"></h2>
  <p id="drill-formula"></p>
  <p id="drill-count"></p>
  <div class="table-scroll"><table id="drill-records"></table></div>
  <details id="drill-denominator" hidden><summary></summary>
    <div class="table-scroll"><table id="drill-denominator-records"></table></div></details>
</dialog>
<div id="dashboard-test" hidden></div>
</body>
</html>
)HTML";

inline const char* kStyle = R"CSS(
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: #1f2328; }
header.bar { position: sticky; top: 0; z-index: 5; background: #f6f8fa; border-bottom: 1px solid #d8dee4; padding: 8px 28px; }
#configs { display: flex; flex-wrap: wrap; gap: 4px 14px; margin-bottom: 6px; }
#configs a { color: #4e79a7; text-decoration: none; font-weight: 600; }
#configs a[aria-current="page"] { color: #1f2328; border-bottom: 2px solid #4e79a7; }
#controls { display: flex; flex-wrap: wrap; gap: 6px 16px; align-items: center; }
#controls label { font-size: 14px; color: #59636e; }
#controls select, #controls input { font: inherit; font-size: 14px; }
#filters { display: contents; }
#status { margin: 4px 0 0; min-height: 1.2em; font-size: 13px; color: #59636e; }
.problem { margin: 12px 28px; padding: 10px 14px; border: 1px solid #c62828; background: #fdecea; border-radius: 6px; }
.kpi.drillable, tr.drillable { cursor: pointer; }
.kpi.drillable:hover, .kpi.drillable:focus-visible { outline: 2px solid #4e79a7; }
tr.drillable:hover, tr.drillable:focus-visible { outline: 2px solid #4e79a7; outline-offset: -2px; }
dialog#drill { max-width: min(1100px, 96vw); width: 96vw; border: 1px solid #d8dee4; border-radius: 8px; }
dialog#drill .close { float: right; font-size: 20px; border: 0; background: none; cursor: pointer; }
dialog#drill table { border-collapse: collapse; font-size: 13px; }
dialog#drill th, dialog#drill td { padding: 3px 8px; border-bottom: 1px solid #d8dee4; text-align: left; white-space: nowrap; }
dialog#drill td.num { text-align: right; font-variant-numeric: tabular-nums; }
.table-scroll { overflow-x: auto; max-height: 60vh; }
)CSS";

inline const char* kScript = R"JS(
(function () {
  'use strict';
  var $ = function (id) { return document.getElementById(id); };
  var UNITS = ['day', 'week', 'month', 'quarter', 'year'];
  var meta = null, current = null, drills = {}, rowDrills = {}, loads = 0;
  var state = readAddress();

  function readAddress() {
    var p = new URLSearchParams(location.search), filters = null;
    try { if (p.has('filters')) filters = JSON.parse(p.get('filters')); } catch (e) { filters = null; }
    return {config: p.get('config') || '', period: p.get('period') || '', compare: p.get('compare') || '',
            filters: filters};
  }
  function query(extra) {
    var p = new URLSearchParams();
    p.set('config', state.config);
    if (state.period) p.set('period', state.period);
    if (state.compare) p.set('compare', state.compare);
    if (state.filters) p.set('filters', JSON.stringify(state.filters));
    Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
    return p.toString();
  }
  function option(select, value, text, selected) {
    var o = document.createElement('option');
    o.value = value; o.textContent = text; o.selected = !!selected;
    select.appendChild(o);
  }
  function inclusiveEnd(iso) {  // periods end exclusive; people read the last day
    var d = new Date(iso + 'T00:00:00Z'); d.setUTCDate(d.getUTCDate() - 1); return d.toISOString().slice(0, 10);
  }
  function showProblem(text) {
    $('problem').textContent = text; $('problem').hidden = !text;
  }

  function buildConfigs() {
    var nav = $('configs');
    nav.textContent = '';
    meta.configs.forEach(function (c) {
      var a = document.createElement('a');
      a.href = '?config=' + encodeURIComponent(c.config);
      a.textContent = c.title || c.config;
      a.setAttribute('data-config', c.config);
      if (c.config === current.config) a.setAttribute('aria-current', 'page');
      nav.appendChild(a);
    });
  }

  function buildControls() {
    var period = $('period'), compare = $('compare'), filters = $('filters');
    period.textContent = ''; compare.textContent = ''; filters.textContent = '';
    option(period, '', 'As configured (' + current.period.from + ' – ' + inclusiveEnd(current.period.to) + ')',
           !state.period);
    ['last', 'this'].forEach(function (kind) {
      UNITS.forEach(function (u) {
        var v = kind + ':' + u;
        option(period, v, (kind === 'last' ? 'Last ' : 'This ') + u, state.period === v);
      });
    });
    var custom = state.period.indexOf('..') > 0;
    option(period, 'custom', 'From … to …', custom);
    $('custom').hidden = !custom;
    if (custom) {
      $('from').value = state.period.split('..')[0];
      $('to').value = inclusiveEnd(state.period.split('..')[1]);
    }
    option(compare, '', 'As configured (' + current.compare.replace('_', ' ') + ')', !state.compare);
    meta.compare_modes.forEach(function (m) { option(compare, m, m.replace('_', ' '), state.compare === m); });
    Object.keys(current.dimensions).forEach(function (dim) {
      var values = current.dimensions[dim];
      if (!values.length) return;
      var label = document.createElement('label');
      label.textContent = dim.charAt(0).toUpperCase() + dim.slice(1) + ' ';
      var select = document.createElement('select');
      select.id = 'filter-' + dim;
      select.setAttribute('data-dimension', dim);
      var own = current.filters[dim];
      var chosen = state.filters ? (state.filters[dim] || []) : null;
      option(select, '', own ? 'As configured (' + own.join(', ') + ')' : 'All', chosen === null);
      if (own) option(select, '*', 'All', chosen !== null && chosen.length === 0);
      values.forEach(function (v) {
        option(select, v, v, chosen !== null && chosen.length === 1 && chosen[0] === v);
      });
      select.addEventListener('change', filtersChanged);
      label.appendChild(select);
      filters.appendChild(label);
    });
  }

  function filtersChanged() {
    var all = {}, touched = false;
    document.querySelectorAll('#filters select').forEach(function (s) {
      var dim = s.getAttribute('data-dimension'), own = current.filters[dim];
      if (s.value === '') { if (own) all[dim] = own; }
      else if (s.value !== '*') { all[dim] = [s.value]; touched = true; }
      else touched = true;
    });
    state.filters = touched ? all : null;
    return load();
  }

  function load() {
    history.replaceState(null, '', '?' + query() + location.hash);
    $('status').textContent = 'Running the metrics…';
    document.body.setAttribute('data-state', 'loading');
    return fetch('/report?' + query()).then(function (res) {
      if (!res.ok) return res.json().then(function (e) { throw new Error(e.error || res.statusText); });
      drills = JSON.parse(res.headers.get('X-Tally-Drilldowns') || '{}');
      rowDrills = JSON.parse(res.headers.get('X-Tally-Row-Drilldowns') || '{}');
      return res.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, 'text/html');
      var style = doc.querySelector('style');
      $('report-style').textContent = style ? style.textContent : '';
      var page = doc.querySelector('.page');
      $('report').replaceChildren(document.importNode(page, true));
      document.querySelectorAll('#report .kpi[data-kpi]').forEach(function (card) {
        var kpis = drills[card.getAttribute('data-metric')] || [];
        if (kpis.indexOf(card.getAttribute('data-kpi')) < 0) return;
        card.classList.add('drillable');
        card.tabIndex = 0;
        card.setAttribute('role', 'button');
        card.title = 'Show the records behind this number';
      });
      // A table row whose key has a drill-down opens it too.
      document.querySelectorAll('#report section.metric table[data-table]').forEach(function (table) {
        var metric = table.closest('section.metric').getAttribute('data-metric');
        var name = table.getAttribute('data-table');
        var keys = (rowDrills[metric] || {})[name] || [];
        if (!keys.length) return;
        table.querySelectorAll('tbody tr').forEach(function (tr) {
          // The row's key: its first cell, or the first that names a row (a leaderboard's rep after its rank).
          var key = null;
          tr.querySelectorAll('td').forEach(function (td) {
            var v = td.getAttribute('data-v');
            if (key === null && keys.indexOf(v) >= 0) key = v;
          });
          if (key === null) return;
          tr.classList.add('drillable');
          tr.tabIndex = 0;
          tr.setAttribute('data-metric', metric);
          tr.setAttribute('data-table', name);
          tr.setAttribute('data-row', key);
          tr.title = 'Show the records behind this row';
        });
      });
      showProblem('');
      $('status').textContent = '';
      loads++;
      document.body.setAttribute('data-loads', String(loads));
      document.body.setAttribute('data-state', 'ready');
    }).catch(function (e) {
      showProblem(e.message);
      $('status').textContent = '';
      document.body.setAttribute('data-state', 'error');
    });
  }

  function fillTable(table, list) {
    table.textContent = '';
    var head = table.createTHead().insertRow();
    list.columns.forEach(function (c) {
      var th = document.createElement('th'); th.scope = 'col'; th.textContent = c; head.appendChild(th);
    });
    var body = table.createTBody();
    list.records.forEach(function (r) {
      var tr = body.insertRow();
      tr.className = 'record';
      list.columns.forEach(function (c) {
        var td = tr.insertCell(), v = r[c];
        td.textContent = v === null ? 'n/a' : String(v);
        if (typeof v === 'number') td.className = 'num';
      });
    });
  }

  function openDrill(metric, kpi, row) {
    $('status').textContent = 'Reading the records…';
    var ask = {metric: metric, kpi: kpi};
    if (row !== undefined) ask.row = row;
    return fetch('/api/explain?' + query(ask)).then(function (res) {
      return res.json().then(function (e) { if (!res.ok) throw new Error(e.error); return e; });
    }).then(function (e) {
      $('drill-title').textContent = e.row === null
          ? (e.label || e.kpi) + ' (' + e.metric + '): ' + (e.value === null ? 'n/a' : e.value)
          : (e.label || e.kpi) + ' (' + e.metric + '), row ' + e.row;
      $('drill-formula').textContent = e.formula ? 'Formula: ' + e.formula : '';
      $('drill-count').textContent = e.record_count + ' record(s) from ' + e.dataset +
                                     (e.denominator ? ' (the numerator)' : '');
      fillTable($('drill-records'), e);
      var den = $('drill-denominator');
      den.hidden = !e.denominator;
      if (e.denominator) {
        den.querySelector('summary').textContent = 'The denominator: ' + e.denominator.record_count + ' record(s)';
        fillTable($('drill-denominator-records'), e.denominator);
      }
      var dialog = $('drill');
      dialog.setAttribute('data-metric', e.metric);
      dialog.setAttribute('data-kpi', e.kpi);
      dialog.setAttribute('data-row', e.row === null ? '' : e.row);
      dialog.setAttribute('data-count', String(e.record_count));
      if (!dialog.open) dialog.showModal();
      $('status').textContent = '';
    }).catch(function (e) { showProblem(e.message); $('status').textContent = ''; });
  }

  function drillOf(target) {
    var card = target.closest('.kpi.drillable');
    if (card) return function () { return openDrill(card.getAttribute('data-metric'), card.getAttribute('data-kpi')); };
    var tr = target.closest('tr.drillable');
    if (tr) return function () {
      return openDrill(tr.getAttribute('data-metric'), tr.getAttribute('data-table'), tr.getAttribute('data-row'));
    };
    return null;
  }
  $('report').addEventListener('click', function (ev) {
    var open = drillOf(ev.target);
    if (open) open();
  });
  $('report').addEventListener('keydown', function (ev) {
    var open = drillOf(ev.target);
    if (open && (ev.key === 'Enter' || ev.key === ' ')) {
      ev.preventDefault();
      open();
    }
  });
  $('period').addEventListener('change', function () {
    var v = $('period').value;
    $('custom').hidden = v !== 'custom';
    if (v === 'custom') return;
    state.period = v;
    load();
  });
  $('apply').addEventListener('click', function () {
    if (!$('from').value || !$('to').value) return;
    var to = new Date($('to').value + 'T00:00:00Z');
    to.setUTCDate(to.getUTCDate() + 1);
    state.period = $('from').value + '..' + to.toISOString().slice(0, 10);
    load();
  });
  $('compare').addEventListener('change', function () { state.compare = $('compare').value; load(); });

  // #tally-test;period=last:year;filter=region:EMEA;click=metric.kpi;clickrow=metric.table
  function selfTest() {
    var steps = {}, out = $('dashboard-test'), log = [];
    location.hash.slice(1).split(';').slice(1).forEach(function (kv) {
      var i = kv.indexOf('='); steps[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1));
    });
    var chain = Promise.resolve();
    if (steps.period) chain = chain.then(function () {
      $('period').value = steps.period;
      state.period = steps.period;
      return load().then(function () { log.push('period ' + steps.period + ' loads=' + loads); });
    });
    if (steps.filter) chain = chain.then(function () {
      var dim = steps.filter.split(':')[0], value = steps.filter.split(':').slice(1).join(':');
      var select = $('filter-' + dim);
      select.value = value;
      return filtersChanged().then(function () { log.push('filter ' + dim + '=' + value + ' loads=' + loads); });
    });
    if (steps.click) chain = chain.then(function () {
      var parts = steps.click.split('.');
      var card = document.querySelector('#report section.metric .kpi.drillable[data-metric="' + parts[0] +
                                         '"][data-kpi="' + parts[1] + '"]');
      if (!card) { log.push('problem: no drillable card ' + steps.click); return; }
      card.click();
      return new Promise(function (resolve) {
        var tries = 0;
        (function wait() {
          if ($('drill').open || tries++ > 100) { resolve(); return; }
          setTimeout(wait, 50);
        })();
      }).then(function () {
        log.push('clicked ' + steps.click + ' open=' + $('drill').open + ' records=' +
                 $('drill-records').querySelectorAll('tr.record').length);
      });
    });
    // clickrow=metric.table: the table's first drillable row; logs its cells' raw values.
    if (steps.clickrow) chain = chain.then(function () {
      var parts = steps.clickrow.split('.');
      var tr = document.querySelector('#report section.metric tr.drillable[data-metric="' + parts[0] +
                                      '"][data-table="' + parts[1] + '"]');
      if (!tr) { log.push('problem: no drillable row in ' + steps.clickrow); return; }
      var row = tr.getAttribute('data-row');
      $('drill').removeAttribute('data-row');
      tr.click();
      return new Promise(function (resolve) {
        var tries = 0;
        (function wait() {
          if ($('drill').getAttribute('data-row') === row || tries++ > 200) { resolve(); return; }
          setTimeout(wait, 50);
        })();
      }).then(function () {
        var cells = [];
        tr.querySelectorAll('td').forEach(function (td) { cells.push(td.getAttribute('data-v')); });
        log.push('clicked row ' + steps.clickrow + ' [' + row + '] open=' + $('drill').open + ' records=' +
                 $('drill-records').querySelectorAll('tr.record').length + ' cells=' + cells.join('|'));
      });
    });
    return chain.then(function () {
      out.setAttribute('data-status', 'done');
      out.textContent = log.join('\n');
    });
  }

  fetch('/api/configs').then(function (res) { return res.json(); }).then(function (m) {
    meta = m;
    current = meta.configs.filter(function (c) { return c.config === state.config; })[0] || meta.configs[0];
    state.config = current.config;
    buildConfigs();
    buildControls();
    return load();
  }).then(function () {
    if (location.hash.indexOf('#tally-test') === 0) return selfTest();
  }).catch(function (e) { showProblem(e.message); });
})();
)JS";

}  // namespace tally::serve
