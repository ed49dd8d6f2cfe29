/* 指挥中心地图: case density and figures at a glance, every click answered with the deepest
 * area under it, incidents clustered, live events in a feed, a case panel with the actions the
 * signed-in role may take and a 时限督办 filter (即将到期 / 已超期 / 黄牌 / 红牌) with counts.
 * Everything is fetched from the service's own API; nothing comes from the internet. The live
 * part is in command-live.js, the case panel in command-case.js.
 *
 * For other scripts (a layer of their own added with a <script> include), these stay stable:
 *
 * window.wanggeState
 *   incidents      Map code → Leaflet marker of the cases drawn; marker.wgItem {code, status,
 *                  deadline} (deadline: the current step's, else the handling one)
 *   total, capped  how many are drawn; whether the view held more than cfg.maxMarkers
 *   filters        {status, category, window, supervision ("" | soon | overdue | yellow | red)}
 *   supervisionCounts  {soon, overdue, yellow, red}: the 时限督办 counts, as the list API answers
 *   open           the case shown in the panel (GET /api/v1/incidents/{code}'s answer) or null
 *   figures, lastLoad, lastLocate, lastIncident, feed, live, stream, townships, counts
 *   showIncident(code)  open a case in the panel; closeIncident() closes it
 *   layerControl   the layer control (another script's overlay: addOverlay(layer, name))
 *   setSupervision(value)  choose a 时限督办 filter ("" for none)
 *
 * Events dispatched on document (CustomEvent, `detail` as shown):
 *   wangge:loaded      {count, supervision}  the markers were swapped in
 *   wangge:case-open   {code, status}        the panel shows a case (again after each reload)
 *   wangge:case-close  {code}                the panel was closed
 *   wangge:supervision {counts}              the 时限督办 counts were refreshed
 */
"use strict";

const WG_HOUR = 3600 * 1000;

/* "2026-12-05 00:44": an ISO time in China time (UTC+8, no daylight saving), whatever the
 * browser's own zone. */
function wgChinaTime(iso) {
  if (!iso) { return ""; }
  return new Date(Date.parse(iso) + 8 * WG_HOUR).toISOString().slice(0, 16).replace("T", " ");
}

function wanggeCommand(map, cfg) {
  const api = cfg.api;
  const status = cfg.status;
  const { escape } = window.wangge;
  const family = {};
  status.families.forEach((f) => f.statuses.forEach((s) => { family[s] = f; }));
  const state = {
    incidents: new Map(), total: 0, capped: false, live: 0, feed: [], lastLoad: null,
    filters: { status: "open", category: "", window: "all", supervision: "" }, countRefreshes: [],
    supervisionCounts: {},
  };
  window.wanggeState = state;
  state.departments = cfg.departments;  // the whistle form's choices (command-whistle-form.js)

  map.attributionControl.setPrefix("网格地图");
  const announce = (name, detail) => document.dispatchEvent(new CustomEvent(name, { detail }));
  const caseView = wanggeCommandCase(map, cfg, { state, getJSON, recolour, clearSupervision: () => setSupervision("") });
  state.showIncident = showIncident;
  state.closeIncident = () => caseView.close();
  state.setSupervision = setSupervision;
  const CLEAR_OF_STRIP = L.point(20, 110);  // popups open below the figures strip

  /* Errors: a Chinese message by the error body's code (common.js), never its English detail. */
  function getJSON(url) {
    return window.wangge.fetch(url).then((r) => r.json().catch(() => ({})).then((body) => {
      if (!r.ok) { const e = new Error(errorText(r.status, body)); e.status = r.status; throw e; }
      return body;
    }));
  }
  function errorText(code, body) {
    if (window.wangge.errorText) { return window.wangge.errorText(body, code); }
    return code === 403 ? "无权查看" : code === 404 ? "找不到" : "服务暂时不可用，请稍后重试";
  }
  function report(error) {
    const el = document.querySelector(".wg-count");
    if (el) { el.textContent = "加载失败：" + (error.status ? error.message : "网络错误"); }
  }

  /* --- areas: township outlines and names; lower levels from one combined tile ----------- */
  const townships = L.geoJSON(null, {
    interactive: false,
    style: { color: "#54278f", weight: 2.2, fill: false },
    onEachFeature: (feature, layer) => layer.bindTooltip(escape(feature.properties.name), {
      permanent: true, direction: "center", className: "wg-label wg-label-township",
    }),
  }).addTo(map);
  state.townships = townships;
  getJSON(api + "/areas?level=township&simplify=100").then((fc) => {
    townships.addData(fc);
    state.townshipCount = fc.features.length;
  }).catch(report);

  const villageLabels = L.layerGroup();
  getJSON(api + "/areas?level=village&simplify=300&limit=500").then((fc) => {
    fc.features.forEach((f) => L.tooltip({
      permanent: true, direction: "center", className: "wg-label wg-label-village", interactive: false,
    }).setLatLng(labelPoint(f.geometry)).setContent(escape(f.properties.name)).addTo(villageLabels));
    state.villageCount = fc.features.length;
    showLabels();
  }).catch(report);

  function showLabels() {
    const z = map.getZoom();
    const container = map.getContainer();
    container.classList.toggle("wg-hide-townships", z >= cfg.villageLabelZoom + 1);
    const wanted = z >= cfg.villageLabelZoom && z < 16;
    if (wanted && !map.hasLayer(villageLabels)) { villageLabels.addTo(map); }
    if (!wanted && map.hasLayer(villageLabels)) { map.removeLayer(villageLabels); }
  }
  map.on("zoomend", showLabels);

  const overlays = { [cfg.townshipLabel || "苏木镇"]: townships };
  cfg.areaTiles.forEach((spec) => {  // added to the map below
    window[spec.var].options.vectorTileLayerStyles = spec.styles;
    overlays[spec.name] = window[spec.var];
  });

  /* --- density: open incidents per micro-grid, from the count tiles ----------------------- */
  const DENSITY = [
    { min: 6, colour: "#b30000", label: "6件及以上" },
    { min: 2, colour: "#e34a33", label: "2–5件" },
    { min: 1, colour: "#fc8d59", label: "1件" },
    { min: 0, colour: "#fdd9b5", label: "0件（仅有已办结）" },
  ];
  const counts = window[cfg.counts.var];
  counts.options.vectorTileLayerStyles = {};  // its own, not the one VectorGrid's prototype shares
  counts.options.vectorTileLayerStyles.incidents = (props) => {
    // an open_count held back for privacy (fewer than k, so at least 1) is left off the tile
    const open = props.open_count === undefined || props.open_count === null ? 1 : props.open_count;
    const band = DENSITY.find((d) => open >= d.min);
    return { weight: 0.4, color: band.colour, fill: true, fillColor: band.colour,
      fillOpacity: open > 0 ? 0.75 : 0.35 };
  };
  counts.on("load", () => { state.countsLoaded = Object.keys(counts._tiles).length; });
  overlays[cfg.counts.name] = counts;
  state.counts = counts;

  /* --- tiles: each layer's URL template and zooms come from its TileJSON (GET /tiles/….json,
   * asked once): the page holds no template. The layer is drawn from the lowest zoom of the
   * tile layers it styles (a level styled [] is drawn by something else) and overzoomed past
   * the page's own maxNativeZoom or the TileJSON's maxzoom, whichever is lower. */
  function fromTileJSON(layer, url) {
    return getJSON(url).then((tj) => {
      const drawn = tj.vector_layers.filter((v) => {
        const style = layer.options.vectorTileLayerStyles[v.id];
        return !(Array.isArray(style) && style.length === 0);
      });
      layer.options.minZoom = Math.min(...drawn.map((v) => v.minzoom));
      layer.options.minNativeZoom = tj.minzoom;
      layer.options.maxNativeZoom = Math.min(layer.options.maxNativeZoom || tj.maxzoom, tj.maxzoom);
      layer.setUrl(tj.tiles[0], true);
      return tj;
    });
  }
  state.fromTileJSON = fromTileJSON;  // command-coverage.js's layer too
  const tilesDescribed = Promise.all([
    ...cfg.areaTiles.map((spec) => fromTileJSON(window[spec.var], spec.tilejson)),
    fromTileJSON(counts, cfg.counts.tilejson).then((tj) => { state.countsTemplate = tj.tiles[0]; }),
  ]);

  /* --- clicks: the deepest area under any point, with its people --------------------------- */
  map.on("click", (e) => locateAt(e.latlng));

  function locateAt(latlng) {
    const params = new URLSearchParams({
      lon: latlng.lng.toFixed(7), lat: latlng.lat.toFixed(7), datum: "cgcs2000" });
    getJSON(api + "/locate?" + params).then((found) => {
      state.lastLocate = found;
      L.popup({ maxWidth: 320, autoPanPaddingTopLeft: CLEAR_OF_STRIP }).setLatLng(latlng).setContent(areaHtml(found)).openOn(map);
    }).catch((error) => {
      state.lastLocate = null;
      const text = error.status === 404 ? "此处不在任何微网格内" : error.message;
      L.popup().setLatLng(latlng).setContent("<div class='wg-popup'>" + escape(text) + "</div>").openOn(map);
    });
  }

  function person(p, what) {
    return "<li>" + escape(what) + "：" + escape(p.name) + " " + escape(p.phone || "") +
      (p.department ? "（" + escape(p.department.name) + "）" : "") + "</li>";
  }

  function areaHtml(found) {
    const deepest = found.chain[found.chain.length - 1];
    const r = found.responsible;
    const people = (r.grid_worker ? person(r.grid_worker, "网格员") : "<li>网格员：暂无</li>") +
      r.party_members.map((p) => person(p, "党员")).join("") +
      r.leaders.map((p) => person(p, "包联领导")).join("") +
      r.instructors.map((p) => person(p, "部门指导员")).join("");
    return "<div class='wg-popup wg-area'><b>" + escape(deepest.name) + "</b> <small>" +
      escape(deepest.code) + "</small><div class='wg-chain'>" +
      found.chain.slice(0, -1).map((c) => escape(c.name)).join(" › ") + "</div>" +
      "<ul class='wg-people'>" + people + "</ul></div>";
  }

  /* --- incidents: clustered markers, ringed when overdue or due within 24 hours ------------ */
  const cluster = window[cfg.cluster];
  cluster.options.iconCreateFunction = (c) => {
    const n = c.getChildCount();
    const late = c.getAllChildMarkers().filter((m) => m.wgDue === "overdue").length;
    const size = n < 10 ? "small" : n < 100 ? "medium" : "large";
    return L.divIcon({
      html: "<div><span>" + n + "</span></div>" + (late ? "<em class='wg-late'>" + late + "</em>" : ""),
      className: "marker-cluster marker-cluster-" + size, iconSize: L.point(40, 40) });
  };
  overlays["事件"] = cluster;
  state.layerControl = L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(map);

  /* As the list API's due= reckons it: the deadline of the step a case waits on (else the
   * handling one); a hung case's clock stands still. */
  function dueState(statusValue, deadline) {
    if (status.open.indexOf(statusValue) < 0 || statusValue === "hung" || !deadline) { return null; }
    const left = Date.parse(deadline) - Date.now();
    return left < 0 ? "overdue" : left < 24 * WG_HOUR ? "due" : null;
  }

  function icon(statusValue, due, fresh) {
    const f = family[statusValue];
    return L.divIcon({
      className: "wg-mk wg-f-" + (f ? f.key : "none") + (due ? " wg-" + due : "") + (fresh ? " wg-fresh" : ""),
      html: "<i style='background:" + (f ? f.colour : "#333") + "'></i>", iconSize: [16, 16] });
  }

  function tooltip(code, statusValue, due) {
    return escape(code) + " " + escape(status.labels[statusValue] || statusValue) +
      (due === "overdue" ? " · 已超期" : due === "due" ? " · 24小时内到期" : "");
  }

  function marker(code, lat, lon, statusValue, deadline, fresh) {
    const due = dueState(statusValue, deadline);
    const m = L.marker([lat, lon], { icon: icon(statusValue, due, fresh), keyboard: false });
    m.wgDue = due;
    m.wgItem = { code, status: statusValue, deadline };
    m.bindTooltip(tooltip(code, statusValue, due));
    m.on("click", () => showIncident(code));
    return m;
  }

  /* A case that moved: its marker takes the new status's colour and blinks. */
  function recolour(item) {
    const m = state.incidents.get(item.code);
    if (!m) { return; }
    m.wgItem.status = item.status;
    m.wgDue = dueState(item.status, m.wgItem.deadline);
    m.setIcon(icon(item.status, m.wgDue, true));
    m.setTooltipContent(tooltip(item.code, item.status, m.wgDue));
  }

  function showIncident(code) { return caseView.show(code); }

  function since(window_) {
    const hours = { "24h": 24, "7d": 168, "30d": 720, "365d": 8760 }[window_];
    return hours ? new Date(Date.now() - hours * WG_HOUR).toISOString() : null;
  }

  function statuses() {
    const wanted = state.filters.status;
    if (wanted === "open") { return status.open; }
    if (wanted === "all") { return []; }
    const f = status.families.find((x) => "family:" + x.key === wanted);
    return f ? f.statuses : [wanted];
  }

  function supervision() {
    return cfg.supervisionFilters.find((f) => f.value === state.filters.supervision) || null;
  }

  /* Whether a case an event names belongs among the markers (an event does not say how due
   * or carded a case is: under a 时限督办 filter the list is asked again instead). */
  function matches(item) {
    if (supervision()) { return false; }
    const wanted = statuses();
    if (wanted.length && wanted.indexOf(item.status) < 0) { return false; }
    return !state.filters.category || String(item.category || "").indexOf(state.filters.category) === 0;
  }

  /* The list API's filter of the status, category and time controls. */
  function listParams() {
    const params = new URLSearchParams({ format: "geojson", limit: String(cfg.pageSize) });
    if (statuses().length) { params.set("status", statuses().join(",")); }
    if (state.filters.category) { params.set("category", state.filters.category); }
    const from = since(state.filters.window);
    if (from) { params.set("from", from); }
    return params;
  }

  /* Every feature of a listing, page after page (up to cfg.maxMarkers). */
  function listAll(params, isCurrent) {
    const features = [];
    const page = () => getJSON(api + "/incidents?" + params).then((fc) => {
      if (!isCurrent()) { return null; }
      features.push(...fc.features);
      if (fc.next_cursor && features.length < cfg.maxMarkers) {
        params.set("cursor", fc.next_cursor);
        return page();
      }
      return { features, capped: Boolean(fc.next_cursor) };
    });
    return page();
  }

  let loading = 0;
  /* Every incident in view (page after page, up to cfg.maxMarkers), swapped in at once;
   * under a 时限督办 filter every matching case of the viewer's scope, at any zoom. */
  function loadIncidents() {
    const token = ++loading;
    const started = performance.now();
    const chosen = supervision();
    if (!chosen && map.getZoom() < cfg.markerZoom) {
      cluster.clearLayers();
      state.incidents = new Map();
      state.total = 0;
      state.lastLoad = { started, finished: performance.now(), count: 0 };
      updateCount();
      return;
    }
    const params = listParams();
    if (chosen) {
      params.set(chosen.param, chosen.arg);
    } else {
      const b = map.getBounds();
      params.set("datum", "cgcs2000");
      params.set("bbox", [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(","));
    }
    listAll(params, () => token === loading).then((listed) => {
      if (!listed) { return; }
      const found = new Map();
      listed.features.forEach((f) => {
        const p = f.properties;
        const [lon, lat] = f.geometry.coordinates;
        found.set(f.id, marker(f.id, lat, lon, p.status, p.step_due_at || p.deadline_at, false));
      });
      cluster.clearLayers();
      cluster.addLayers(Array.from(found.values()));
      state.incidents = found;
      state.total = found.size;
      state.capped = listed.capped;
      state.lastLoad = { started, finished: performance.now(), count: found.size, bbox: params.get("bbox"),
        supervision: chosen ? chosen.value : "" };
      updateCount();
      if (chosen) { caseView.showList(chosen.label, listed.features); }
      announce("wangge:loaded", { count: found.size, supervision: chosen ? chosen.value : "" });
    }).catch(report);
  }

  function addIncident(item, fresh) {
    if (state.incidents.has(item.code) || map.getZoom() < cfg.markerZoom) { return; }
    if (!map.getBounds().contains([item.lat, item.lon])) { return; }
    const m = marker(item.code, item.lat, item.lon, item.status, item.deadline_at, fresh);
    cluster.addLayer(m);
    state.incidents.set(item.code, m);
    state.total += 1;
    updateCount();
  }

  /* --- controls: filters, counter, figures, legend ------------------------------------------ */
  const panel = L.control({ position: "topleft" });
  panel.onAdd = () => {
    const div = L.DomUtil.create("div", "wg-panel");
    const options = (items) => items.map((o) => "<option value='" + escape(o.value) + "'>" + escape(o.label) + "</option>").join("");
    const statusOptions = [{ value: "open", label: "未办结" }, { value: "all", label: "全部状态" }]
      .concat(status.families.map((f) => ({ value: "family:" + f.key, label: f.label })))
      .concat(Object.entries(status.labels).map(([value, label]) => ({ value, label: "　" + label })));
    const categoryOptions = [{ value: "", label: "全部类别" }].concat(
      cfg.categories.map((c) => ({ value: c.code, label: (c.code.length === 2 ? "" : "　") + c.code + " " + c.name })));
    div.innerHTML = "<b>" + escape(cfg.title) + "</b>" +
      "<label>状态 <select name='status'>" + options(statusOptions) + "</select></label>" +
      "<label>类别 <select name='category'>" + options(categoryOptions) + "</select></label>" +
      "<label>时间 <select name='window'>" + options(cfg.windows) + "</select></label>" +
      "<div class='wg-supervision' role='group' aria-label='时限督办'><span>时限督办</span>" +
      cfg.supervisionFilters.map((f) => "<button type='button' data-value='" + escape(f.value) + "' aria-pressed='false'>" +
        escape(f.label) + " <b>…</b></button>").join("") + "</div>" +
      "<div class='wg-count'></div>";
    L.DomEvent.disableClickPropagation(div);
    div.querySelectorAll("select").forEach((select) => select.addEventListener("change", () => {
      state.filters[select.name] = select.value;
      filterCounts();
      loadIncidents();
      loadSupervision();
    }));
    div.querySelectorAll(".wg-supervision button").forEach((b) => b.addEventListener("click", () =>
      setSupervision(b.dataset.value === state.filters.supervision ? "" : b.dataset.value)));
    return div;
  };
  panel.addTo(map);

  /* --- 时限督办: due soon, overdue, yellow or red card, across the viewer's scope ------------ */
  function setSupervision(value) {
    state.filters.supervision = value;
    document.querySelectorAll(".wg-supervision button").forEach((b) =>
      b.setAttribute("aria-pressed", String(b.dataset.value === value)));
    if (!value) { caseView.hideList(); }
    lastView = "";
    loadIncidents();
  }

  /* The count of each filter: the cases its listing answers (with the status, category and
   * time controls), so a count is exactly what choosing the filter shows. */
  let counting = 0;
  function loadSupervision() {
    const token = ++counting;
    Promise.all(cfg.supervisionFilters.map((f) => {
      const params = listParams();
      params.set(f.param, f.arg);
      return listAll(params, () => token === counting).then((listed) => [f.value, listed]);
    })).then((answers) => {
      if (token !== counting || answers.some(([, listed]) => !listed)) { return; }
      const found = {};
      answers.forEach(([value, listed]) => { found[value] = listed.features.length + (listed.capped ? "+" : ""); });
      state.supervisionCounts = found;
      document.querySelectorAll(".wg-supervision button").forEach((b) => {
        b.querySelector("b").textContent = found[b.dataset.value];
      });
      announce("wangge:supervision", { counts: found });
    }).catch(report);
  }
  let supervisionTimer = null;
  function supervisionSoon() {  // a burst of events makes one reload
    clearTimeout(supervisionTimer);
    supervisionTimer = setTimeout(() => {
      loadSupervision();
      if (supervision()) { loadIncidents(); }
    }, 500);
  }

  /* The count tiles follow the category and time filters (they count every status). */
  function filterCounts() {
    if (!state.countsTemplate) { return; }  // applied once the TileJSON is in (addTiles)
    const params = new URLSearchParams();
    if (state.filters.category) { params.set("category", state.filters.category); }
    const from = since(state.filters.window);
    if (from) { params.set("since", from); }
    params.set("v", "{v}");
    const template = state.countsTemplate;
    counts.setUrl(template + (template.includes("?") ? "&" : "?") + params.toString().replace("%7Bv%7D", "{v}"));
  }

  function updateCount() {
    const el = document.querySelector(".wg-count");
    if (!el) { return; }
    const chosen = supervision();
    el.textContent = chosen ? chosen.label + "：全辖区 " + state.total + " 个事件" : map.getZoom() < cfg.markerZoom ? "放大到" + cfg.markerZoom + "级以上显示事件点" :
      state.capped ? "当前视图：前 " + state.total + " 个事件（更多未显示，请放大）" :
        "当前视图：" + state.total + " 个事件";
  }

  const FIGURES = [["new_today", "新增(今日)"], ["open", "在办"], ["due_24h", "24小时内到期"], ["overdue", "已超期"]];
  const strip = L.DomUtil.create("div", "wg-figures", map.getContainer());
  L.DomEvent.disableClickPropagation(strip);
  function loadFigures() {
    getJSON(api + "/incidents/summary").then((f) => {
      state.figures = f;
      strip.innerHTML = FIGURES.map(([key, label]) =>
        "<div class='wg-fig wg-fig-" + key + "'><b>" + escape(f[key]) + "</b><span>" + escape(label) + "</span></div>").join("") +
        "<div class='wg-asof'>截至 " + escape(wgChinaTime(f.as_of).slice(11)) + "</div>";
    }).catch(report);
  }

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => {
    const div = L.DomUtil.create("div", "wg-legend");
    div.innerHTML = "<b>事件状态</b>" + status.families.map((f) =>
      "<div><i style='background:" + f.colour + "'></i>" + escape(f.label) + "</div>").join("") +
      "<div><i class='wg-ring wg-overdue'></i>已超期</div><div><i class='wg-ring wg-due'></i>24小时内到期</div>" +
      "<b>事件密度（按微网格，未办结数）</b>" + DENSITY.map((d) =>
        "<div><i style='background:" + d.colour + "'></i>" + escape(d.label) + "</div>").join("");
    return div;
  };
  legend.addTo(map);

  /* The markers' request goes out before the tiles' ones (Leaflet calls listeners in the
   * order they were added, and a tile layer asks for its tiles on "zoom"): the browser's six
   * connections then serve it first instead of after some ninety tiles. */
  let lastView = "";
  function onView(e) {
    if (e && (e.flyTo || e.pinch)) { return; }  // a frame of an animation: wait for its end
    const key = map.getZoom() + "|" + map.getBounds().toBBoxString();
    if (key === lastView) { return; }
    lastView = key;
    if (supervision() && state.lastLoad && state.lastLoad.supervision === supervision().value) {
      updateCount();
      return;  // the whole scope is drawn already
    }
    loadIncidents();
  }
  const addTiles = () => {
    filterCounts();
    cfg.areaTiles.forEach((spec) => window[spec.var].addTo(map));
    counts.addTo(map);
    state.tilesReady = true;
  };
  if (cfg.markersFirst) { map.on("zoom moveend", onView); }
  tilesDescribed.then(() => {
    addTiles();
    // as the page was before (for the timing test): the tiles' listeners first
    if (!cfg.markersFirst) { map.on("zoom moveend", onView); }
  }).catch(report);
  onView();
  loadFigures();
  loadSupervision();
  setInterval(() => { loadFigures(); loadSupervision(); }, 60 * 1000);  // cases fall due and overdue as time passes
  showLabels();

  if (window.wanggeCommandCoverage) { window.wanggeCommandCoverage(map, cfg, state); }  // command-coverage.js
  if (window.wanggeCommandCobuild) { window.wanggeCommandCobuild(map, cfg, state); }  // command-cobuild.js
  wanggeCommandLive(map, cfg, {
    state, getJSON, report, addIncident, showIncident, loadIncidents, loadFigures, matches, recolour,
    caseChanged: (item) => caseView.changed(item), supervisionSoon,
  });
}

/* A label position for a (multi)polygon: the area-weighted centroid of its largest part's
 * outer ring, or that ring's first vertex when the centroid falls outside it. */
function labelPoint(geometry) {
  const parts = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  let best = null;
  let bestArea = -1;
  parts.forEach((part) => {
    const ring = part[0];
    let a = 0; let cx = 0; let cy = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const cross = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
      a += cross; cx += (ring[j][0] + ring[i][0]) * cross; cy += (ring[j][1] + ring[i][1]) * cross;
    }
    if (Math.abs(a) > bestArea) { bestArea = Math.abs(a); best = { ring, x: cx / (3 * a), y: cy / (3 * a) }; }
  });
  const inside = (x, y, ring) => {
    let c = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      if ((ring[i][1] > y) !== (ring[j][1] > y) &&
          x < (ring[j][0] - ring[i][0]) * (y - ring[i][1]) / (ring[j][1] - ring[i][1]) + ring[i][0]) { c = !c; }
    }
    return c;
  };
  return inside(best.x, best.y, best.ring) ? [best.y, best.x] : [best.ring[0][1], best.ring[0][0]];
}
