/* 热力与热点: per-micro-grid counts, density from server-side bins, Gi* hotspot classes. */
"use strict";

function wanggeHeat(map, cfg) {
  const api = cfg.api;
  const state = { category: cfg.defaultCategory, period: 0, hotspotCounts: {} };
  window.wanggeHeatState = state;
  const { escape, getJSON } = window.wangge;
  const classColour = {};
  cfg.hotspotClasses.forEach((c) => { classColour[c.label] = c.colour; });
  const ramp = ["#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"];

  const choropleth = L.geoJSON(null, { style: () => ({ weight: 0.3, color: "#888", fillOpacity: 0.7 }) });
  const hexbins = L.geoJSON(null, { style: () => ({ weight: 0.3, color: "#fff", fillOpacity: 0.6 }) });
  const heat = L.heatLayer([], { radius: 22, blur: 18, maxZoom: 12 });
  const hotspots = L.geoJSON(null, {
    style: (f) => ({ weight: 0.3, color: "#999", fillColor: classColour[f.properties.label] || "#f7f7f7",
      fillOpacity: f.properties.label === "不显著" ? 0.05 : 0.8 }),
    onEachFeature: (f, layer) => layer.bindTooltip(
      escape(f.properties.name || f.properties.code) + "<br>" + escape(f.properties.label) +
      "<br>纠纷数 " + escape(f.properties.count) + "，Gi* z = " + Number(f.properties.gi_z).toFixed(2)),
  }).addTo(map);
  state.layers = { choropleth, hexbins, heat, hotspots };
  L.control.layers(null, {
    "Gi* 热点/冷点": hotspots, "数量分级（按微网格）": choropleth, "密度（六边形分箱）": hexbins, "热力": heat,
  }, { collapsed: false, position: "topright" }).addTo(map);

  function query(extra) {
    const period = cfg.periods[state.period];
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
    const areas = getJSON(api + "/heat/areas?" + query({ simplify: "30" })).then((fc) => {
      const breaks = breaksOf(fc);
      choropleth.clearLayers();
      choropleth.addData(fc);
      choropleth.eachLayer((layer) => {
        const p = layer.feature.properties;
        layer.setStyle({ fillColor: colourFor(p.count, breaks) });
        layer.bindTooltip(escape(p.name) + "<br>数量 " + escape(p.count) + "，每千人 " + Number(p.rate || 0).toFixed(2));
      });
      state.breaks = breaks;
      drawChoroplethLegend(breaks);
    });
    const bins = getJSON(api + "/heat/bins?" + query({ size: String(cfg.binSize) })).then((fc) => {
      const max = Math.max(1, ...fc.features.map((f) => f.properties.count));
      hexbins.clearLayers();
      hexbins.addData(fc);
      hexbins.eachLayer((layer) => {
        const c = layer.feature.properties.count;
        layer.setStyle({ fillColor: ramp[Math.min(ramp.length - 1, Math.floor((c / max) * ramp.length))] });
        layer.bindTooltip("数量 " + escape(c));
      });
      heat.setLatLngs(fc.features.map((f) => {
        const centre = L.geoJSON(f).getBounds().getCenter();
        return [centre.lat, centre.lng, f.properties.count / max];
      }));
      state.binCount = fc.features.length;
    });
    const spots = getJSON(api + "/heat/hotspots?" + query({ simplify: "30" })).then((fc) => {
      hotspots.clearLayers();
      hotspots.addData(fc);
      const counts = {};
      fc.features.forEach((f) => { counts[f.properties.label] = (counts[f.properties.label] || 0) + 1; });
      state.hotspotCounts = counts;
      drawHotspotLegend(counts);
    });
    Promise.all([areas, bins, spots]).then(() => { setStatus(""); state.loaded = true; })
      .catch((e) => setStatus("加载失败：" + e.message));
  }

  const panel = L.control({ position: "topleft" });
  panel.onAdd = () => {
    const div = L.DomUtil.create("div", "wg-panel");
    const categoryOptions = cfg.categories.map((c) => "<option value='" + c.code + "'" +
      (c.code === state.category ? " selected" : "") + ">" + (c.code.length === 2 ? "" : "　") +
      escape(c.code + " " + c.name) + "</option>").join("");
    const periodOptions = cfg.periods.map((p, i) => "<option value='" + i + "'>" + escape(p.label) + "</option>").join("");
    div.innerHTML = "<b>" + escape(cfg.title) + "</b>" +
      "<label>类别 <select name='category'>" + categoryOptions + "</select></label>" +
      "<label>时间 <select name='period'>" + periodOptions + "</select></label>" +
      "<div class='wg-status'></div>";
    L.DomEvent.disableClickPropagation(div);
    div.querySelector("select[name=category]").addEventListener("change", (e) => { state.category = e.target.value; load(); });
    div.querySelector("select[name=period]").addEventListener("change", (e) => { state.period = Number(e.target.value); load(); });
    return div;
  };
  panel.addTo(map);

  function setStatus(text) {
    const el = document.querySelector(".wg-status");
    if (el) { el.textContent = text; }
  }

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => L.DomUtil.create("div", "wg-legend");
  legend.addTo(map);
  let choroplethLegend = "";
  function drawChoroplethLegend(breaks) {
    let lower = 1;
    choroplethLegend = "<b>数量分级</b>" + breaks.map((b, i) => {
      const row = "<div><i style='background:" + ramp[i] + "'></i>" + lower + "–" + b + "</div>";
      lower = b + 1;
      return row;
    }).join("") + "<div><i style='background:" + ramp[ramp.length - 1] + "'></i>&gt; " + breaks[breaks.length - 1] + "</div>";
  }
  function drawHotspotLegend(counts) {
    legend.getContainer().innerHTML = "<b>Gi* 热点分析</b>" + cfg.hotspotClasses.map((c) =>
      "<div class='wg-class'><i style='background:" + c.colour + "'></i>" + escape(c.label) +
      "（" + (counts[c.label] || 0) + "）</div>").join("") + "<hr>" + choroplethLegend;
  }

  load();
}
