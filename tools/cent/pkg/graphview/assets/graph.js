(function () {
  "use strict";
  // Everything below treats project names as data: they are only ever
  // assigned to textContent or drawn on the canvas.
  var data = JSON.parse(document.getElementById("graph-data").textContent);
  var nodes = data.nodes, edges = data.edges, colors = data.colors;
  var N = nodes.length;
  var H = 24, FADED = 0.12;

  var out = [], inn = [];
  for (var i = 0; i < N; i++) { out.push([]); inn.push([]); }
  for (var e = 0; e < edges.length; e++) {
    out[edges[e][0]].push(edges[e][1]);
    inn[edges[e][1]].push(edges[e][0]);
  }

  var canvas = document.getElementById("canvas");
  var ctx = canvas.getContext("2d");
  var search = document.getElementById("search");
  var list = document.getElementById("list");
  var details = document.getElementById("details");
  var affectedOnly = document.getElementById("affected-only");

  var view = { scale: 1, tx: 0, ty: 0 };
  var focus = -1, focusSet = null, matches = null, pending = false;

  function el(tag, text, cls) {
    var x = document.createElement(tag);
    if (text !== undefined) x.textContent = text;
    if (cls) x.className = cls;
    return x;
  }
  function colorOf(n) { return colors[n.t || ""] || "#bab0ac"; }

  // Sidebar: legend, cycles and the searchable project list.
  var legend = document.getElementById("legend");
  var counts = {}, affectedCount = 0;
  nodes.forEach(function (n) { counts[n.t || ""] = (counts[n.t || ""] || 0) + 1; if (n.a) affectedCount++; });
  Object.keys(counts).sort().forEach(function (t) {
    var item = el("span");
    var sw = el("span", undefined, "sw");
    sw.style.background = colors[t] || "#bab0ac";
    item.appendChild(sw);
    item.appendChild(document.createTextNode((t || "untyped") + " " + counts[t]));
    legend.appendChild(item);
  });
  if (affectedCount > 0) {
    var a = el("span");
    a.appendChild(el("span", undefined, "sw affected"));
    a.appendChild(document.createTextNode("affected " + affectedCount));
    legend.appendChild(a);
  }
  if (data.cycles.length > 0) {
    var cyc = document.getElementById("cycles");
    cyc.hidden = false;
    cyc.appendChild(el("h2", data.cycles.length + (data.cycles.length === 1 ? " cycle" : " cycles")));
    var ul = el("ul");
    data.cycles.forEach(function (c) {
      var li = el("li", c.map(function (k) { return nodes[k].n; }).join(" → "));
      li.addEventListener("click", function () { setFocus(c[0], true); });
      ul.appendChild(li);
    });
    cyc.appendChild(ul);
  }

  var items = new Array(N);
  var frag = document.createDocumentFragment();
  nodes.forEach(function (n, k) {
    var li = el("li", n.n, n.a ? "project affected" : "project");
    li.dataset.index = String(k);
    li.style.borderLeftColor = colorOf(n);
    li.title = (n.t || "") + (n.r ? "  " + n.r : "");
    items[k] = li;
    frag.appendChild(li);
  });
  list.appendChild(frag);
  list.addEventListener("click", function (ev) {
    var li = ev.target.closest("li");
    if (li) setFocus(Number(li.dataset.index), true);
  });
  function updateCount(shown) {
    document.getElementById("count").textContent = shown === N ? N + " projects" : shown + " of " + N + " projects";
  }
  updateCount(N);

  search.addEventListener("input", function () {
    var q = search.value.trim().toLowerCase();
    var shown = 0;
    matches = q ? {} : null;
    for (var k = 0; k < N; k++) {
      var hit = !q || nodes[k].n.toLowerCase().indexOf(q) >= 0;
      items[k].hidden = !hit;
      if (hit) { shown++; if (q) matches[k] = true; }
    }
    updateCount(shown);
    redraw();
  });
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && matches) {
      for (var k = 0; k < N; k++) if (matches[k]) { setFocus(k, true); return; }
    }
  });
  affectedOnly.addEventListener("change", redraw);
  document.getElementById("fit").addEventListener("click", function () { fit(); redraw(); });
  document.getElementById("clear").addEventListener("click", function () { setFocus(-1); });
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape") setFocus(-1);
  });

  // Focus: a project with everything it depends on and everything that
  // depends on it, transitively.
  function closure(start, adj) {
    var seen = {}, stack = [start];
    seen[start] = true;
    while (stack.length) {
      var x = stack.pop(), next = adj[x];
      for (var j = 0; j < next.length; j++) if (!seen[next[j]]) { seen[next[j]] = true; stack.push(next[j]); }
    }
    return seen;
  }
  function setFocus(k, center) {
    if (focus >= 0) items[focus].classList.remove("selected");
    focus = k;
    details.textContent = "";
    if (k < 0) { focusSet = null; details.hidden = true; redraw(); return; }
    var deps = closure(k, out), dependents = closure(k, inn);
    focusSet = {};
    Object.keys(deps).forEach(function (x) { focusSet[x] = 1; });
    Object.keys(dependents).forEach(function (x) { focusSet[x] = 1; });
    items[k].classList.add("selected");
    showDetails(k, Object.keys(deps).length - 1, Object.keys(dependents).length - 1);
    items[k].scrollIntoView({ block: "nearest" });
    if (center) fitTo(Object.keys(focusSet).map(Number), 1.2);
    redraw();
  }
  function linkList(title, idx) {
    details.appendChild(el("h2", title + " (" + idx.length + ")"));
    var ul = el("ul");
    idx.slice().sort(function (p, q) { return nodes[p].n < nodes[q].n ? -1 : 1; }).forEach(function (x) {
      var li = el("li", nodes[x].n);
      li.addEventListener("click", function () { setFocus(x, true); });
      ul.appendChild(li);
    });
    details.appendChild(ul);
  }
  function showDetails(k, nDeps, nDependents) {
    var n = nodes[k];
    details.hidden = false;
    details.appendChild(el("h2", n.n));
    var meta = [n.t || "untyped"];
    if (n.r) meta.push(n.r);
    if (n.a) meta.push("affected");
    if (n.b) meta.push("broken");
    details.appendChild(el("div", meta.join(" · ")));
    if (n.g && n.g.length) details.appendChild(el("div", "tags: " + n.g.join(", ")));
    details.appendChild(el("div", nDeps + " dependencies and " + nDependents + " dependents in all"));
    linkList("Depends on", out[k]);
    linkList("Used by", inn[k]);
  }

  // View transform, zoom and pan.
  function bounds(idx) {
    var b = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
    idx.forEach(function (k) {
      var n = nodes[k];
      b.x0 = Math.min(b.x0, n.x - n.w / 2); b.x1 = Math.max(b.x1, n.x + n.w / 2);
      b.y0 = Math.min(b.y0, n.y - H / 2); b.y1 = Math.max(b.y1, n.y + H / 2);
    });
    if (!idx.length) b = { x0: 0, y0: 0, x1: 1, y1: 1 };
    return b;
  }
  // fitTo shows the given nodes, zooming in no further than maxScale.
  function fitTo(idx, maxScale) {
    var b = bounds(idx), w = canvas.clientWidth || 800, h = canvas.clientHeight || 600;
    view.scale = Math.min(maxScale, 0.95 * Math.min(w / (b.x1 - b.x0 + 40), h / (b.y1 - b.y0 + 40)));
    view.tx = w / 2 - (b.x0 + b.x1) / 2 * view.scale;
    view.ty = h / 2 - (b.y0 + b.y1) / 2 * view.scale;
  }
  function fit() { fitTo(nodes.map(function (_, k) { return k; }), 2); }
  function zoomAt(px, py, factor) {
    var s = Math.min(8, Math.max(0.01, view.scale * factor));
    factor = s / view.scale;
    view.tx = px - (px - view.tx) * factor;
    view.ty = py - (py - view.ty) * factor;
    view.scale = s;
    redraw();
  }
  canvas.addEventListener("wheel", function (ev) {
    ev.preventDefault();
    var r = canvas.getBoundingClientRect();
    zoomAt(ev.clientX - r.left, ev.clientY - r.top, Math.exp(-ev.deltaY * 0.0015));
  }, { passive: false });
  var drag = null;
  canvas.addEventListener("pointerdown", function (ev) {
    drag = { x: ev.clientX, y: ev.clientY, tx: view.tx, ty: view.ty, moved: false };
    try { canvas.setPointerCapture(ev.pointerId); } catch (e) { /* synthetic or finished pointer */ }
    canvas.classList.add("dragging");
  });
  canvas.addEventListener("pointermove", function (ev) {
    if (!drag) return;
    var dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    view.tx = drag.tx + dx; view.ty = drag.ty + dy;
    if (drag.moved) redraw();
  });
  canvas.addEventListener("pointerup", function (ev) {
    canvas.classList.remove("dragging");
    if (drag && !drag.moved) {
      var r = canvas.getBoundingClientRect();
      setFocus(hit(ev.clientX - r.left, ev.clientY - r.top), false);
    }
    drag = null;
  });
  function hit(px, py) {
    var x = (px - view.tx) / view.scale, y = (py - view.ty) / view.scale;
    for (var k = 0; k < N; k++) {
      var n = nodes[k];
      if (Math.abs(x - n.x) <= n.w / 2 && Math.abs(y - n.y) <= H / 2) return k;
    }
    return -1;
  }
  window.addEventListener("resize", function () { redraw(); });

  // Drawing.
  function dimmed(k) {
    if (focusSet) return !focusSet[k];
    if (affectedOnly.checked) return !nodes[k].a;
    if (matches) return !matches[k];
    return false;
  }
  function redraw() {
    if (pending) return;
    pending = true;
    (window.requestAnimationFrame || setTimeout)(draw);
  }
  function draw() {
    pending = false;
    var t0 = window.performance ? performance.now() : 0;
    var dpr = window.devicePixelRatio || 1;
    var w = canvas.clientWidth, h = canvas.clientHeight;
    if (canvas.width !== Math.round(w * dpr) || canvas.height !== Math.round(h * dpr)) {
      canvas.width = Math.round(w * dpr); canvas.height = Math.round(h * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.setTransform(dpr * view.scale, 0, 0, dpr * view.scale, dpr * view.tx, dpr * view.ty);
    var x0 = -view.tx / view.scale, y0 = -view.ty / view.scale;
    var x1 = x0 + w / view.scale, y1 = y0 + h / view.scale;
    drawEdges(x0, y0, x1, y1);
    drawNodes(x0, y0, x1, y1);
    document.body.setAttribute("data-rendered", String(N));
    if (t0) document.body.setAttribute("data-draw-ms", String(Math.round(performance.now() - t0)));
  }
  function edgeVisible(a, b, x0, y0, x1, y1) {
    return !(Math.max(a.x, b.x) < x0 || Math.min(a.x, b.x) > x1 || Math.max(a.y, b.y) < y0 || Math.min(a.y, b.y) > y1);
  }
  // Edges are drawn in batches, one path per style.
  var styles = [
    { dash: [], color: "#8a8a8a" },
    { dash: [6, 4], color: "#8a8a8a" },
    { dash: [2, 3], color: "#6b6b9a" }
  ];
  function drawEdges(x0, y0, x1, y1) {
    var lw = Math.max(0.6, 1 / view.scale);
    for (var pass = 0; pass < 2; pass++) { // 0: faded, 1: emphasised
      for (var s = 0; s < styles.length; s++) {
        for (var cyc = 0; cyc < 2; cyc++) {
          ctx.beginPath();
          var any = false;
          for (var k = 0; k < edges.length; k++) {
            var ed = edges[k];
            if (ed[2] !== s || ed[3] !== cyc) continue;
            var strong = !(dimmed(ed[0]) || dimmed(ed[1]));
            if ((pass === 1) !== strong) continue;
            var a = nodes[ed[0]], b = nodes[ed[1]];
            if (!edgeVisible(a, b, x0, y0, x1, y1)) continue;
            ctx.moveTo(a.x, a.y + H / 2);
            ctx.lineTo(b.x, b.y - H / 2);
            any = true;
          }
          if (!any) continue;
          ctx.setLineDash(styles[s].dash.map(function (d) { return d / Math.max(view.scale, 0.2); }));
          ctx.strokeStyle = cyc ? "#d62728" : styles[s].color;
          ctx.globalAlpha = pass === 1 ? (focusSet ? 0.9 : (N > 500 ? 0.25 : 0.5)) : 0.05;
          ctx.lineWidth = cyc ? 2 * lw : lw;
          ctx.stroke();
        }
      }
    }
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
  }
  function drawNodes(x0, y0, x1, y1) {
    var labels = view.scale * 11 >= 6;
    ctx.font = "11px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.textBaseline = "middle";
    for (var k = 0; k < N; k++) {
      var n = nodes[k];
      if (n.x + n.w / 2 < x0 || n.x - n.w / 2 > x1 || n.y + H < y0 || n.y - H > y1) continue;
      var faded = dimmed(k);
      ctx.globalAlpha = faded ? FADED : 1;
      ctx.fillStyle = colorOf(n);
      ctx.fillRect(n.x - n.w / 2, n.y - H / 2, n.w, H);
      if (n.a || n.b || k === focus || (matches && matches[k])) {
        // Outlines keep a visible width on screen when zoomed out.
        ctx.lineWidth = Math.min(H / 3, (k === focus ? 3 : n.a ? 2.5 : 2) / Math.min(1, view.scale));
        ctx.strokeStyle = k === focus ? "#000" : (matches && matches[k] && !focusSet) ? "#e6b800" : n.a ? "#d62728" : "#333";
        ctx.setLineDash(n.b ? [4, 3] : []);
        ctx.strokeRect(n.x - n.w / 2, n.y - H / 2, n.w, H);
        ctx.setLineDash([]);
      }
      if (labels) {
        ctx.fillStyle = "#111";
        var label = (n.b ? "! " : "") + n.n;
        var max = n.w - 8;
        if (ctx.measureText(label).width > max) {
          while (label.length > 1 && ctx.measureText(label + "…").width > max) label = label.slice(0, -1);
          label += "…";
        }
        ctx.fillText(label, n.x, n.y);
      }
    }
    ctx.globalAlpha = 1;
  }

  // A link can carry #focus=<project> or #q=<search>.
  function fromHash() {
    var h = window.location.hash, k;
    if (h.indexOf("#focus=") === 0) {
      var name = decodeURIComponent(h.slice(7));
      for (k = 0; k < N; k++) if (nodes[k].n === name) { setFocus(k, true); return; }
    } else if (h.indexOf("#q=") === 0) {
      search.value = decodeURIComponent(h.slice(3));
      search.dispatchEvent(new Event("input"));
    }
  }
  window.addEventListener("hashchange", fromHash);

  // #selftest drives the real wheel, drag and click handlers with synthetic
  // events and records what happened in data-selftest, for browser tests.
  function selfTest() {
    var r = canvas.getBoundingClientRect(), res = [];
    function ptr(type, x, y) {
      canvas.dispatchEvent(new PointerEvent(type, { clientX: x, clientY: y, pointerId: 1, bubbles: true }));
    }
    var cx = r.left + r.width / 2, cy = r.top + r.height / 2;
    var s0 = view.scale;
    canvas.dispatchEvent(new WheelEvent("wheel", { deltaY: -300, clientX: cx, clientY: cy, bubbles: true, cancelable: true }));
    res.push(view.scale > s0 ? "wheel:ok" : "wheel:fail");
    var tx0 = view.tx, ty0 = view.ty;
    ptr("pointerdown", cx, cy); ptr("pointermove", cx + 100, cy + 50); ptr("pointerup", cx + 100, cy + 50);
    res.push(Math.abs(view.tx - tx0 - 100) < 0.5 && Math.abs(view.ty - ty0 - 50) < 0.5 && focus < 0 ? "drag:ok" : "drag:fail");
    if (N > 0) {
      var n = nodes[0];
      view.tx = r.width / 2 - n.x * view.scale; view.ty = r.height / 2 - n.y * view.scale;
      ptr("pointerdown", cx, cy); ptr("pointerup", cx, cy);
      res.push(focus === 0 && !details.hidden ? "click:ok" : "click:fail");
      ptr("pointerdown", r.left + 2, r.top + 2); ptr("pointerup", r.left + 2, r.top + 2);
      res.push(focus < 0 ? "clear:ok" : "clear:fail");
    }
    document.body.setAttribute("data-selftest", res.join(" "));
  }

  fit();
  draw();
  fromHash();
  if (window.location.hash === "#selftest") selfTest();
})();
