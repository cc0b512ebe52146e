// The style sheet and script of the HTML report: plain CSS and ES2015, no libraries. The
// treemap is squarified (Bruls, Huizing, van Wijk 2000) into absolutely positioned boxes.
#include "report/html_report.h"

namespace cuslim {

const char* const kReportCss = R"CSS(
:root { --app:#4e79a7; --cuda:#59a14f; --driver:#e15759; --jit:#f28e2b; --system:#9c755f; --toolkit:#b07aa1; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d2430; background: #f6f7f9; }
header { background: #1d2430; color: #fff; padding: 18px 28px; }
header h1 { margin: 0 0 6px; font-size: 21px; }
header .sub { color: #b8c1cf; font-family: ui-monospace, monospace; font-size: 12.5px; word-break: break-all; }
main { padding: 8px 28px 40px; max-width: 1500px; }
section { background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: 14px 18px; margin: 16px 0; }
h2 { font-size: 16px; margin: 0 0 10px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { background: #fff; border: 1px solid #dde1e7; border-radius: 8px; padding: 10px 14px; min-width: 150px; }
.card b { display: block; font-size: 19px; }
.card span { color: #5b6575; font-size: 12px; }
.card.fail b { color: #c62828; } .card.pass b { color: #2e7d32; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eceff3; vertical-align: top; }
th { color: #5b6575; font-weight: 600; } td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.path { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; }
td.group { font-family: ui-monospace, monospace; font-size: 12px; white-space: nowrap; } td.cls { white-space: nowrap; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
.bar { display: flex; height: 22px; border-radius: 4px; overflow: hidden; margin: 6px 0 12px; background: #eceff3; }
.bar div { height: 100%; }
.hbar { background: #e15759; height: 10px; border-radius: 2px; display: inline-block; vertical-align: middle; }
.status-pass { color: #2e7d32; font-weight: 600; } .status-fail { color: #c62828; font-weight: 600; } .status-skip { color: #8a6d00; font-weight: 600; }
.dropped { color: #8a94a3; }
.treemap { position: relative; width: 100%; height: 560px; background: #eceff3; border-radius: 4px; overflow: hidden; }
.tm-node { position: absolute; overflow: hidden; border: 1px solid rgba(255,255,255,.85); color: #fff; font-size: 11px; line-height: 1.25;
           padding: 1px 3px; cursor: default; white-space: nowrap; text-overflow: ellipsis; }
.tm-group { border: 2px solid #fff; padding: 0; }
.tm-group > .tm-label { font-weight: 600; background: rgba(0,0,0,.18); padding: 1px 4px; }
.tm-class > .tm-label { font-weight: 700; font-size: 12px; background: rgba(0,0,0,.3); padding: 2px 5px; }
.tm-class { border: 2px solid #1d2430; padding: 0; cursor: zoom-in; }
.tm-file:hover, .tm-group:hover > .tm-label { filter: brightness(1.15); }
.tm-bar { margin: 4px 0 8px; font-size: 13px; } .tm-bar button { margin-right: 8px; }
.legend span { margin-right: 14px; font-size: 12.5px; }
.note { color: #5b6575; font-size: 12.5px; }
footer { color: #8a94a3; font-size: 12px; padding: 0 28px 24px; }
)CSS";

const char* const kReportJs = R"JS(
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('report-data').textContent);
  var colors = { app: '#4e79a7', cuda: '#59a14f', driver: '#e15759', jit: '#f28e2b', system: '#9c755f', toolkit: '#b07aa1' };
  function human(b) {
    if (b >= 1e9) return (b / 1e9).toFixed(1) + ' GB';
    if (b >= 1e6) return (b / 1e6).toFixed(1) + ' MB';
    if (b >= 1e3) return (b / 1e3).toFixed(1) + ' kB';
    return b + ' B';
  }
  function shade(hex, k) {  // k in [-1, 1]: darker .. lighter
    var n = parseInt(hex.slice(1), 16), r = n >> 16, g = (n >> 8) & 255, b = n & 255;
    function f(c) { return Math.round(k < 0 ? c * (1 + k) : c + (255 - c) * k); }
    return 'rgb(' + f(r) + ',' + f(g) + ',' + f(b) + ')';
  }
  // class -> group -> file, from the report's groups (kept or dropped ones).
  function hierarchy(kept) {
    var byClass = {};
    (data.groups || []).forEach(function (g) {
      if (g.kept !== kept || !g.bytes) return;
      var c = byClass[g['class']] || (byClass[g['class']] = { name: g['class'], cls: g['class'], value: 0, children: [], kind: 'class' });
      var files = g.largest.map(function (f) { return { name: f.path, value: f.bytes, cls: g['class'], kind: 'file', group: g.group }; });
      var listed = files.reduce(function (s, f) { return s + f.value; }, 0);
      if (g.bytes > listed) files.push({ name: (g.files - files.length) + ' other files', value: g.bytes - listed, cls: g['class'], kind: 'file', group: g.group });
      c.children.push({ name: g.group, value: g.bytes, cls: g['class'], kind: 'group', files: g.files, reason: g.reason, children: files });
      c.value += g.bytes;
    });
    var root = { name: kept ? 'image' : 'dropped', value: 0, children: [] };
    Object.keys(byClass).forEach(function (k) { root.children.push(byClass[k]); root.value += byClass[k].value; });
    return root;
  }
  function worst(row, side) {
    var s = 0, mx = 0, mn = Infinity;
    row.forEach(function (r) { s += r.area; mx = Math.max(mx, r.area); mn = Math.min(mn, r.area); });
    return Math.max(side * side * mx / (s * s), (s * s) / (side * side * mn));
  }
  function squarify(nodes, x, y, w, h) {
    var items = nodes.filter(function (n) { return n.value > 0; }).sort(function (a, b) { return b.value - a.value; });
    var total = items.reduce(function (s, n) { return s + n.value; }, 0), out = [];
    if (!total || w <= 0 || h <= 0) return out;
    var scale = w * h / total, rest = items.map(function (n) { return { node: n, area: n.value * scale }; }), row = [];
    function place(row) {
      var s = row.reduce(function (a, r) { return a + r.area; }, 0);
      if (w >= h) {
        var cw = s / h, yy = y;
        row.forEach(function (r) { var rh = r.area / cw; out.push({ node: r.node, x: x, y: yy, w: cw, h: rh }); yy += rh; });
        x += cw; w -= cw;
      } else {
        var ch = s / w, xx = x;
        row.forEach(function (r) { var rw = r.area / ch; out.push({ node: r.node, x: xx, y: y, w: rw, h: ch }); xx += rw; });
        y += ch; h -= ch;
      }
    }
    while (rest.length) {
      var side = Math.min(w, h), c = rest[0];
      if (!row.length || worst(row.concat([c]), side) <= worst(row, side)) { row.push(c); rest.shift(); }
      else { place(row); row = []; }
    }
    if (row.length) place(row);
    return out;
  }
  function box(parent, r, cls, color, title, label) {
    var d = document.createElement('div');
    d.className = 'tm-node ' + cls;
    d.style.left = r.x + 'px'; d.style.top = r.y + 'px'; d.style.width = Math.max(r.w, 0) + 'px'; d.style.height = Math.max(r.h, 0) + 'px';
    d.style.background = color; d.title = title;
    if (label && r.w > 36 && r.h > 13) {
      var l = document.createElement('div'); l.className = 'tm-label'; l.textContent = label; d.appendChild(l);
    }
    parent.appendChild(d);
    return d;
  }
  // Stored sizes: the layers' own (not a base's) compression ratio applied to each box -- an
  // estimate, said as one ("≈"); a layer's exact stored size is in the layers table.
  var packed = 0, unpacked = 0;
  (data.layers || []).forEach(function (l) { if (l.from !== 'base') { packed += l.stored_bytes || 0; unpacked += l.uncompressed_bytes || 0; } });
  var ratio = unpacked ? packed / unpacked : 0, storedNotes = false;
  function sizes(v) { return human(v) + (storedNotes && ratio ? ' unpacked, ≈ ' + human(Math.round(v * ratio)) + ' stored' : ''); }
  function draw(el, root, total, onZoom) {
    el.innerHTML = '';
    var W = el.clientWidth, H = el.clientHeight;
    squarify(root.children, 0, 0, W, H).forEach(function (rc) {
      var c = rc.node, base = colors[c.cls] || '#777';
      var cd = box(el, rc, 'tm-class', base, c.name + ': ' + sizes(c.value) + ' (' + (100 * c.value / total).toFixed(1) + '%)',
                   c.name + ' ' + human(c.value));
      cd.dataset.cls = c.cls;
      if (onZoom) cd.addEventListener('click', function () { onZoom(c); });
      var top = rc.w > 36 && rc.h > 13 ? 17 : 0;
      squarify(c.children, 0, top, rc.w - 4, rc.h - top - 4).forEach(function (rg, gi) {
        var g = rg.node;
        var gd = box(cd, rg, 'tm-group', shade(base, -0.15), g.name + '\n' + c.name + ' · ' + g.files + ' files · ' + sizes(g.value) +
                     (g.reason ? '\n' + g.reason : ''), g.name + ' ' + human(g.value));
        var gt = rg.w > 36 && rg.h > 13 ? 15 : 0;
        if (rg.w < 24 || rg.h < 24) return;
        squarify(g.children, 0, gt, rg.w - 4, rg.h - gt - 4).forEach(function (rf, fi) {
          var f = rf.node;
          box(gd, rf, 'tm-file', shade(base, 0.12 + 0.18 * ((fi + gi) % 3) / 2), f.name + '\n' + g.name + ' · ' + c.name + '\n' + sizes(f.value),
              rf.w > 70 && rf.h > 14 ? f.name.split('/').pop() + ' ' + human(f.value) : '');
        });
      });
    });
  }
  function mount(id, kept) {
    var el = document.getElementById(id);
    if (!el) return;
    var root = hierarchy(kept), bar = document.getElementById(id + '-bar');
    function zoom(node) {
      storedNotes = kept;  // dropped files are stored nowhere
      var view = node ? { children: [node], value: node.value } : root;
      draw(el, view, root.value || 1, node ? null : zoom);
      if (bar) {
        bar.innerHTML = '';
        if (node) {
          var b = document.createElement('button'); b.textContent = '← all classes'; b.onclick = function () { zoom(null); }; bar.appendChild(b);
        }
        bar.appendChild(document.createTextNode(node ? node.name + ': ' + human(node.value) : 'click a class to zoom in; hover for sizes and reasons'));
      }
    }
    zoom(null);
    el.dataset.drawn = String(el.querySelectorAll('.tm-node').length);
    window.addEventListener('resize', function () { zoom(null); });
  }
  mount('treemap', true);
  mount('dropped-treemap', false);
})();
)JS";

}  // namespace cuslim
