/* 热力与热点: per-micro-grid counts, density from server-side bins, Gi* hotspot classes, the
 * townships for orientation, a legend for each layer that is on, and the periods the page
 * was given (computed from the data) or a chosen range of days. */
"use strict";

function wanggeHeat(map, cfg) {
  const api = cfg.api;
  const state = { category: cfg.defaultCategory, period: 0, range: null, hotspotCounts: {}, legends: {} };
  window.wanggeHeatState = state;
  const { escape, getJSON } = window.wangge;
  const classColour = {};
  cfg.hotspotClasses.forEach((c) => { classColour[c.label] = c.colour; });
  const ramp = ["#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"];
  const gradient = { 0.2: "#fee391", 0.5: "#fe9929", 0.8: "#d95f0e", 1.0: "#8c2d04" };

  const townships = L.geoJSON(null, {
    style: { color: "#54278f", weight: 2, fill: false, opacity: 0.8 }, interactive: false,
  });
  const choropleth = L.geoJSON(null, { style: () => ({ weight: 0.3, color: "#888", fillOpacity: 0.7 }) });
  const hexbins = L.geoJSON(null, { style: () => ({ weight: 0.3, color: "#fff", fillOpacity: 0.6 }) });
  const heat = L.heatLayer([], { radius: 22, blur: 18, maxZoom: 12, gradient });
  const hotspots = L.geoJSON(null, {
    style: (f) => ({ weight: 0.3, color: "#999", fillColor: classColour[f.properties.label] || "#f7f7f7",
      fillOpacity: f.properties.label === "不显著" ? 0.05 : 0.8 }),
    onEachFeature: (f, layer) => layer.bindTooltip(hotspotText(f.properties)),
  }).addTo(map);
  state.layers = { choropleth, hexbins, heat, hotspots, townships };
  const names = new Map([[hotspots, "hotspots"], [choropleth, "counts"], [hexbins, "hexagons"], [heat, "heat"]]);
  L.control.layers(null, {
    "热点与冷点（Gi*）": hotspots, "数量分级（按微网格）": choropleth, "密度（六边形格网）": hexbins,
    "热力": heat, "苏木镇界线": townships,
  }, { collapsed: false, position: "topright" }).addTo(map);
  getJSON(api + "/areas?level=township&simplify=100").then((fc) => {
    townships.addData(fc);
    townships.addTo(map);
    townships.bringToFront();
    state.townshipCount = fc.features.length;
  }).catch((e) => setStatus("加载失败：" + e.message));

  /* Whether the micro-grid is hot by its own cases or by its neighbours'. */
  function hotspotText(p) {
    const own = Number(p.count);
    const around = Number(p.neighbour_count);
    const head = escape(p.name || p.code) + "<br><b>" + escape(p.label) + "</b><br>";
    const few = (raw, n) => (raw == null ? "件数过少，不公开" : n + " 件");
    const figures = "本微网格 " + few(p.count, own) + "，相邻微网格共 " + few(p.neighbour_count, around);
    let why = "";
    if (p.class && p.class.indexOf("hot") === 0) {
      why = own === 0 ? "<br>本身没有纠纷，是相邻微网格纠纷多，使它处在热点片区" :
        "<br>本身有纠纷，且处在纠纷偏多的片区";
    } else if (p.class && p.class.indexOf("cold") === 0) {
      why = "<br>它和相邻微网格的纠纷都偏少";
    }
    const z = p.gi_z == null ? "无法计算" : Number(p.gi_z).toFixed(2);
    return head + figures + why + "<br><small>统计量 Gi* 的 z 值 " + z + "</small>";
  }

  function query(extra) {
    const period = state.range || cfg.periods[state.period];
    const params = new URLSearchParams(Object.assign({ category: state.category }, extra || {}));
    if (period.from) { params.set("from", period.from); }
    if (period.to) { params.set("to", period.to); }
    return params;
  }

  function breaksOf(fc) {
    if (Array.isArray(fc.breaks) && fc.breaks.length) { return fc.breaks; }
    const counts = fc.features.map((f) => f.properties.count).filter((c) => c > 0).sort((a, b) => a - b);
    return [0.2, 0.4, 0.6, 0.8, 0.95].map((q) => counts.length ? counts[Math.floor(q * (counts.length - 1))] : 0);
  }

  function colourFor(count, breaks) {
    if (!count) { return "#ffffff"; }
    let i = 0;
    while (i < breaks.length && count > breaks[i]) { i += 1; }
    return ramp[Math.min(i, ramp.length - 1)];
  }

  function load() {
    setStatus("加载中…");
    state.loaded = false;
    const areas = getJSON(api + "/heat/areas?" + query({ simplify: "30" })).then((fc) => {
      const breaks = breaksOf(fc);
      choropleth.clearLayers();
      choropleth.addData(fc);
      choropleth.eachLayer((layer) => {
        const p = layer.feature.properties;
        layer.setStyle({ fillColor: colourFor(p.count, breaks) });
        const few = p.count == null ? "少于 " + escape(fc.suppressed_below) + " 件（不公开）" : null;
        layer.bindTooltip(escape(p.name) + "<br>" + (few || "数量 " + escape(p.count) + " 件，每千人 " + Number(p.rate || 0).toFixed(2) + " 件"));
      });
      state.breaks = breaks;
      state.legends.counts = countsLegend(breaks);
    });
    const bins = getJSON(api + "/heat/bins?" + query({ size: String(cfg.binSize) })).then((fc) => {
      const max = Math.max(1, ...fc.features.map((f) => f.properties.count));
      const classOf = (c) => Math.min(ramp.length - 1, Math.floor((c / max) * ramp.length));
      const ranges = {};
      hexbins.clearLayers();
      hexbins.addData(fc);
      hexbins.eachLayer((layer) => {
        const c = layer.feature.properties.count;
        const k = classOf(c);
        ranges[k] = [Math.min(c, (ranges[k] || [c])[0]), Math.max(c, (ranges[k] || [0, c])[1])];
        layer.setStyle({ fillColor: ramp[k] });
        layer.bindTooltip("此格 " + escape(c) + " 件");
      });
      heat.setLatLngs(fc.features.map((f) => {
        const centre = L.geoJSON(f).getBounds().getCenter();
        return [centre.lat, centre.lng, f.properties.count / max];
      }));
      state.binCount = fc.features.length;
      state.legends.hexagons = hexagonLegend(ranges);
      state.legends.heat = heatLegend(max);
    });
    const spots = getJSON(api + "/heat/hotspots?" + query({ simplify: "30" })).then((fc) => {
      hotspots.clearLayers();
      hotspots.addData(fc);
      const counts = {};
      let hotWithout = 0;
      fc.features.forEach((f) => {
        const p = f.properties;
        counts[p.label] = (counts[p.label] || 0) + 1;
        if (p.class.indexOf("hot") === 0 && p.count === 0) { hotWithout += 1; }
      });
      state.hotspotCounts = counts;
      state.hotWithoutCases = hotWithout;
      state.legends.hotspots = hotspotLegend(counts, hotWithout);
    });
    Promise.all([areas, bins, spots]).then(() => { setStatus(""); drawLegend(); state.loaded = true; })
      .catch((e) => setStatus("加载失败：" + e.message));
  }

  /* --- the panel: what a hot spot is, category, period ------------------------------------ */
  const panel = L.control({ position: "topleft" });
  panel.onAdd = () => {
    const div = L.DomUtil.create("div", "wg-panel wg-heat-panel");
    const categoryOptions = cfg.categories.map((c) => "<option value='" + c.code + "'" +
      (c.code === state.category ? " selected" : "") + ">" + (c.code.length === 2 ? "" : "　") +
      escape(c.code + " " + c.name) + "</option>").join("");
    const periodOptions = cfg.periods.map((p, i) => "<option value='" + i + "'>" + escape(p.label) + "</option>").join("") +
      "<option value='range'>自选时间段…</option>";
    div.innerHTML = "<b>" + escape(cfg.title) + "</b>" +
      "<details class='wg-explain' open><summary>什么是热点？</summary><p>" + escape(cfg.explanation) + "</p></details>" +
      "<label>类别 <select name='category'>" + categoryOptions + "</select></label>" +
      "<label>时间 <select name='period'>" + periodOptions + "</select></label>" +
      "<div class='wg-range' hidden><label>从 <input type='date' name='from'></label>" +
      "<label>到 <input type='date' name='to'></label><button type='button'>查看</button></div>" +
      "<div class='wg-status'></div>";
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    div.querySelector("select[name=category]").addEventListener("change", (e) => { state.category = e.target.value; load(); });
    div.querySelector("select[name=period]").addEventListener("change", (e) => {
      const chosen = e.target.value === "range";
      div.querySelector(".wg-range").hidden = !chosen;
      if (chosen) { return; }
      state.range = null;
      state.period = Number(e.target.value);
      load();
    });
    div.querySelector(".wg-range button").addEventListener("click", () => chooseRange(div));
    return div;
  };
  panel.addTo(map);

  /* A range of whole days in China time, both ends included. */
  function chooseRange(div) {
    const from = div.querySelector("input[name=from]").value;
    const to = div.querySelector("input[name=to]").value;
    if (!from || !to) { setStatus("请选择开始和结束日期"); return; }
    if (from > to) { setStatus("开始日期不能晚于结束日期"); return; }
    const end = new Date(Date.parse(to + "T00:00:00+08:00") + 24 * 3600 * 1000 + 8 * 3600 * 1000)
      .toISOString().slice(0, 10);
    state.range = { from: from + "T00:00:00+08:00", to: end + "T00:00:00+08:00", label: from + " 至 " + to };
    load();
  }

  function setStatus(text) {
    const el = document.querySelector(".wg-status");
    if (el) { el.textContent = text; }
  }

  /* --- legends: one section for each layer that is on ------------------------------------- */
  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => L.DomUtil.create("div", "wg-legend");
  legend.addTo(map);
  const swatch = (colour) => "<i style='background:" + colour + "'></i>";
  function countsLegend(breaks) {
    let lower = 1;
    return "<b>数量分级（每个微网格的件数）</b><div>" + swatch("#ffffff") + "0</div>" + breaks.map((b, i) => {
      const row = "<div>" + swatch(ramp[i]) + (lower === b ? b : lower + "–" + b) + "</div>";
      lower = b + 1;
      return row;
    }).join("");
  }
  function hexagonLegend(ranges) {
    return "<b>密度（每个" + cfg.binSize / 1000 + "公里六边形的件数）</b>" + Object.keys(ranges).sort((a, b) => a - b)
      .map((k) => { const [lo, hi] = ranges[k]; return "<div>" + swatch(ramp[k]) + (lo === hi ? lo : lo + "–" + hi) + "</div>"; })
      .join("");
  }
  function heatLegend(max) {
    const stops = Object.entries(gradient).sort((a, b) => a[0] - b[0])  // "1" would come first
      .map(([at, colour]) => colour + " " + Number(at) * 100 + "%").join(", ");
    return "<b>热力（相对密度）</b><div class='wg-gradient' style='background: linear-gradient(to right, " + stops +
      ")'></div><div class='wg-gradient-ends'><span>少</span><span>多（最密一格 " + max + " 件）</span></div>";
  }
  function hotspotLegend(counts, hotWithout) {
    return "<b>热点与冷点（微网格个数）</b>" + cfg.hotspotClasses.map((c) =>
      "<div class='wg-class'>" + swatch(c.colour) + escape(c.label) + "（" + (counts[c.label] || 0) + "）</div>").join("") +
      "<div class='wg-note'>热点中 " + hotWithout + " 个自身没有纠纷，因相邻微网格纠纷多而成为热点</div>";
  }
  function drawLegend() {
    const shown = [];
    names.forEach((name, layer) => { if (map.hasLayer(layer) && state.legends[name]) { shown.push(state.legends[name]); } });
    legend.getContainer().innerHTML = shown.join("<hr>") || "<b>图例</b><div>请在右上角打开图层</div>";
  }
  map.on("overlayadd overlayremove", drawLegend);

  load();
}
