// The status page in the browser: refresh the live part of the view without reloading
// (If-None-Match polling, only while the tab is visible), draw the charts with uPlot, and
// carry the buttons out through the admin API with the session's CSRF token.
(function () {
  'use strict';
  var live = document.getElementById('live');
  var stateEl = document.getElementById('live-state');
  var csrfMeta = document.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.getAttribute('content') : null;
  var etag = null;
  var charts = [];

  function si(v) {
    if (v == null) return '';
    var a = Math.abs(v);
    if (a >= 1e9) return +(v / 1e9).toPrecision(3) + 'G';
    if (a >= 1e6) return +(v / 1e6).toPrecision(3) + 'M';
    if (a >= 1e4) return +(v / 1e3).toPrecision(3) + 'k';
    return String(+v.toPrecision(3));
  }
  function pad(x) { return (x < 10 ? '0' : '') + x; }
  function hhmmss(d) { return pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()) + ':' + pad(d.getUTCSeconds()) + 'Z'; }
  function say(text) { if (stateEl) stateEl.textContent = text; }

  // ---- charts ---------------------------------------------------------------------------
  var PHASE_COLORS = { planned: '#9aa5b1', applying: '#f0a020', validating: '#2f80ed', succeeded: '#27ae60', rolling_back: '#eb5757', rolled_back: '#a01010', failed: '#222', awaiting_approval: '#9b51e0', skipped: '#bbb' };

  function destroyCharts() { charts.forEach(function (c) { c.destroy(); }); charts = []; }

  function timelineChart(el, d) {
    var times = {};
    d.readings.forEach(function (r) { times[r.at] = true; });
    d.spans.forEach(function (s) { times[s.start] = true; if (s.end) times[s.end] = true; });
    d.decisions.forEach(function (x) { times[x.at] = true; });
    d.runs.forEach(function (r) { r.phases.forEach(function (p) { times[p.start] = true; }); });
    var xs = Object.keys(times).map(Number).sort(function (a, b) { return a - b; });
    if (!xs.length) { el.textContent = 'Nothing to draw yet.'; return; }
    if (xs.length === 1) xs.push(xs[0] + 1000);
    var byAt = {};
    d.readings.forEach(function (r) { byAt[r.at] = r; });
    function col(k) { return xs.map(function (t) { var r = byAt[t]; return r ? r[k] : null; }); }
    var now = xs[xs.length - 1];
    var stepped = uPlot.paths.stepped ? uPlot.paths.stepped({ align: 1 }) : undefined;
    function line(label, stroke, width, dash) { return { label: label, stroke: stroke, width: width, dash: dash, spanGaps: true, paths: stepped, points: { show: false } }; }
    var opts = {
      width: Math.max(320, el.clientWidth || 900), height: 300,
      scales: { x: { time: true }, y: { range: function (u, min, max) { return [0, Math.max(4, (max || 0) + 2)]; } } },
      axes: [{}, { label: 'replicas' }],
      legend: { show: true },
      series: [{ value: function (u, v) { return v == null ? '' : hhmmss(new Date(v * 1000)); } },
        line('desired', '#2f80ed', 2), line('ready', '#27ae60', 2), line('HPA min', '#9b51e0', 1, [6, 4]), line('HPA max', '#c39bd3', 1, [2, 4])],
      hooks: { draw: [function (u) {
        var ctx = u.ctx, top = u.bbox.top, h = u.bbox.height, dpr = window.devicePixelRatio || 1;
        function x(ms) { return u.valToPos(ms / 1000, 'x', true); }
        ctx.save();
        // alerts: firing → resolved bands along the top
        d.spans.forEach(function (s, i) {
          var x0 = x(s.start), x1 = x(s.end || now), row = i % 4;
          ctx.fillStyle = 'rgba(235,87,87,0.18)'; ctx.fillRect(x0, top, Math.max(2, x1 - x0), h);
          ctx.fillStyle = 'rgba(235,87,87,0.85)'; ctx.fillRect(x0, top + row * 7 * dpr, Math.max(2, x1 - x0), 5 * dpr);
        });
        // runs: phases as segments along the bottom
        d.runs.forEach(function (r, i) {
          r.phases.forEach(function (p) {
            var x0 = x(p.start), x1 = p.end ? x(p.end) : x0 + 4 * dpr;
            ctx.fillStyle = PHASE_COLORS[p.phase] || '#888';
            ctx.fillRect(x0, top + h - (10 + (i % 3) * 8) * dpr, Math.max(3 * dpr, x1 - x0), 6 * dpr);
          });
        });
        // decisions: a vertical tick each, act green, skip grey
        d.decisions.forEach(function (dc) {
          var xx = x(dc.at);
          ctx.strokeStyle = dc.act ? '#0b5d2e' : '#8895a7'; ctx.lineWidth = (dc.act ? 2 : 1) * dpr;
          ctx.setLineDash(dc.act ? [] : [3 * dpr, 3 * dpr]);
          ctx.beginPath(); ctx.moveTo(xx, top + 30 * dpr); ctx.lineTo(xx, top + h - 28 * dpr); ctx.stroke();
          if (dc.act) { ctx.fillStyle = '#0b5d2e'; ctx.beginPath(); ctx.moveTo(xx - 5 * dpr, top + 30 * dpr); ctx.lineTo(xx + 5 * dpr, top + 30 * dpr); ctx.lineTo(xx, top + 38 * dpr); ctx.fill(); }
        });
        ctx.restore();
      }] },
    };
    var data = [xs.map(function (t) { return t / 1000; }), col('desired'), col('ready'), col('min'), col('max')];
    charts.push(new uPlot(opts, data, el));
  }

  function checkChart(el, c) {
    if (!c.points.length) { el.textContent = 'no measurements'; return; }
    var xs = c.points.map(function (p) { return p.at / 1000; });
    var vals = c.points.map(function (p) { return p.value; });
    var thr = c.threshold ? xs.map(function () { return c.threshold.value; }) : xs.map(function () { return null; });
    var base = xs.map(function () { return c.baseline; });
    var opts = {
      width: Math.max(240, el.clientWidth || 300), height: 140, legend: { show: false },
      scales: { x: { time: true } },
      axes: [{ size: 30 }, { size: 50, values: function (u, vals) { return vals.map(si); } }],
      series: [{}, { label: 'measured', stroke: '#2f80ed', width: 2, points: { show: true, size: 5 } },
        { label: 'threshold', stroke: '#eb5757', width: 1, dash: [6, 4], points: { show: false } },
        { label: 'baseline', stroke: '#8895a7', width: 1, dash: [2, 3], points: { show: false } }],
    };
    charts.push(new uPlot(opts, [xs, vals, thr, base], el));
  }

  function drawCharts() {
    destroyCharts();
    if (typeof uPlot === 'undefined') return;
    document.querySelectorAll('script[data-chart]').forEach(function (s) {
      var kind = s.getAttribute('data-chart');
      var el = document.querySelector('[data-chart-ref="' + CSS.escape(kind) + '"]');
      if (!el) return;
      el.textContent = '';
      var data = JSON.parse(s.textContent);
      if (kind === 'timeline') timelineChart(el, data); else checkChart(el, data);
    });
  }

  // ---- live updates ---------------------------------------------------------------------
  var pollMs = live ? Number(live.getAttribute('data-poll-ms')) || 2000 : 0;
  var inFlight = false;
  function refresh(force) {
    if (!live || inFlight) return;
    if (!force && document.hidden) return;
    var active = document.activeElement;
    if (!force && active && live.contains(active) && active.tagName === 'INPUT') return; // someone is typing a reason
    inFlight = true;
    var headers = { 'X-Status-Fragment': 'live' };
    if (etag && !force) headers['If-None-Match'] = etag;
    fetch(location.pathname + location.search, { headers: headers, credentials: 'same-origin', cache: 'no-store' })
      .then(function (res) {
        if (res.status === 401) { location.reload(); return; }
        if (res.status === 304) { say('live · unchanged ' + hhmmss(new Date())); return; }
        if (!res.ok) { say('live · error ' + res.status); return; }
        etag = res.headers.get('ETag');
        return res.text().then(function (html) { live.innerHTML = html; drawCharts(); say('live · updated ' + hhmmss(new Date())); });
      })
      .catch(function () { say('live · offline'); })
      .then(function () { inFlight = false; });
  }

  // ---- buttons --------------------------------------------------------------------------
  function flash(text, bad) {
    var el = document.createElement('p');
    el.className = 'flash' + (bad ? ' error' : '');
    el.setAttribute('role', 'status');
    el.textContent = text;
    var main = document.querySelector('main');
    main.insertBefore(el, main.children[1] || null);
    setTimeout(function () { el.remove(); }, 15000);
  }

  function post(path, body) {
    var headers = { 'Content-Type': 'application/json', 'X-Actor': 'status page' };
    if (csrf) headers['X-CSRF-Token'] = csrf;
    return fetch(path, { method: 'POST', headers: headers, credentials: 'same-origin', body: JSON.stringify(body || {}) }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (json) { return { ok: res.ok, status: res.status, json: json }; });
    });
  }

  function errorText(j) {
    if (!j) return 'failed';
    var e = j.error;
    var text = e && typeof e === 'object' ? (e.message || e.code) : e;
    return [text, j.reason].filter(Boolean).join(': ') || 'failed';
  }

  function replayHtml(r) {
    var box = document.getElementById('replay-result');
    if (!box) return;
    box.textContent = '';
    var h = document.createElement('h2'); h.textContent = 'Replay preview (dry run, rule table ' + String(r.ruleTableVersion || '').slice(0, 12) + ')'; box.appendChild(h);
    (r.results || []).forEach(function (res) {
      (res.decisions || []).forEach(function (d) {
        var p = document.createElement('p');
        p.textContent = (d.outcome === 'act' ? 'act' : 'skip: ' + d.reason) + ' — ' + d.explanation;
        box.appendChild(p);
      });
    });
  }

  document.addEventListener('click', function (ev) {
    var b = ev.target.closest ? ev.target.closest('button[data-action]') : null;
    if (!b) return;
    var a = b.getAttribute('data-action');
    var id = b.getAttribute('data-id');
    var req = null, done = '';
    if (a === 'reset-breaker') {
      var t = b.getAttribute('data-target');
      if (!confirm('Reset the breaker of ' + t + '? Automatic actions on it start again.')) return;
      req = post('/api/v1/breakers/' + encodeURIComponent(t) + '/reset'); done = 'Breaker of ' + t + ' reset.';
    } else if (a === 'rollback') {
      if (!confirm('Roll back remediation ' + id + '?')) return;
      req = post('/api/v1/remediations/' + encodeURIComponent(id) + '/rollback'); done = 'Rolled back.';
    } else if (a === 'approve' || a === 'deny') {
      var input = document.querySelector('input[data-reason-for="' + CSS.escape(id) + '"]');
      req = post('/api/v1/remediations/' + encodeURIComponent(id) + '/' + a, { reason: input ? input.value : '' }); done = a === 'approve' ? 'Approved.' : 'Denied.';
    } else if (a === 'replay') {
      req = post('/api/v1/replay', { alertId: b.getAttribute('data-alert-id'), dryRun: true }); done = '';
    } else return;
    b.disabled = true;
    req.then(function (r) {
      b.disabled = false;
      if (!r.ok) { flash('HTTP ' + r.status + ': ' + errorText(r.json), true); return; }
      if (a === 'replay') replayHtml(r.json); else flash(done, false);
      refresh(true);
    }, function () { b.disabled = false; flash('request failed', true); });
  });

  if (live) {
    drawCharts();
    setInterval(refresh, pollMs);
    document.addEventListener('visibilitychange', function () { if (!document.hidden) refresh(false); });
    var resizeTimer;
    window.addEventListener('resize', function () { clearTimeout(resizeTimer); resizeTimer = setTimeout(drawCharts, 200); });
    say('live');
  }
})();
