/* 指挥中心地图: township outlines, grid levels as vector tiles, open incidents, live updates.
 * A marker opens the case panel: the trail, deadlines, cards and the actions the viewer's role
 * may take (actions.js); a 时限督办 filter lists cases due soon, overdue or carded; `changed`
 * events recolour the markers in place.
 * Everything is fetched from the service's own API; nothing comes from the internet. */
"use strict";

function wanggeCommand(map, cfg) {
  const api = cfg.api;
  const status = cfg.status;
  const state = { incidents: new Map(), live: 0, filters: { status: "open", category: "", window: "all", deadline: "" } };
  window.wanggeState = state;

  const { escape, getJSON, chinaTime } = window.wangge;

  /* --- areas: townships as GeoJSON, lower levels as vector tiles ------------------------ */
  const townships = L.geoJSON(null, {
    style: { color: "#54278f", weight: 2, fill: true, fillOpacity: 0.03 },
    onEachFeature: (feature, layer) => {
      layer.bindTooltip(escape(feature.properties.name), { sticky: true });
      layer.on("click", (e) => showArea(feature.properties.code, e.latlng));
    },
  }).addTo(map);
  state.townships = townships;
  getJSON(api + "/areas?level=township&simplify=100").then((fc) => {
    townships.addData(fc);
    state.townshipCount = fc.features.length;
  }).catch(report);

  const overlays = { "苏木镇": townships };
  Object.entries(cfg.tileLayers).forEach(([layer, spec]) => {
    const tiles = window[spec.var];
    if (!tiles) { return; }
    if (layer === "incidents") {
      tiles.options.vectorTileLayerStyles.incidents = (props) => ({
        weight: 0.5, color: "#999", fill: true,
        fillColor: props.open_count > 5 ? "#b30000" : props.open_count > 1 ? "#e34a33" : props.open_count > 0 ? "#fc8d59" : "#fee8c8",
        fillOpacity: props.open_count > 0 ? 0.6 : 0.1,
      });
    }
    tiles.on("click", (e) => {
      const props = e.layer && e.layer.properties;
      if (props && props.code) { showArea(props.code, e.latlng); }
    });
    overlays[spec.name] = tiles;
  });
  const incidentLayer = L.layerGroup().addTo(map);
  overlays["事件"] = incidentLayer;
  L.control.layers(null, overlays, { collapsed: false, position: "topright" }).addTo(map);

  function showArea(code, latlng) {
    getJSON(api + "/areas/" + encodeURIComponent(code)).then((feature) => {
      const p = feature.properties;
      const chain = (p.chain || []).map((c) => escape(c.name)).join(" › ");
      const people = (p.people || []).map((m) =>
        "<li>" + escape(kindLabel(m.kind)) + " " + escape(m.name) + " " + escape(m.phone || "") +
        (m.department ? "（" + escape(m.department.name) + "）" : "") + "</li>").join("");
      L.popup().setLatLng(latlng).setContent(
        "<div class='wg-popup'><b>" + escape(p.name) + "</b> <small>" + escape(p.code) + "</small>" +
        "<div>" + chain + "</div><ul>" + (people || "<li>无直接责任人</li>") + "</ul></div>").openOn(map);
    }).catch(report);
  }

  function kindLabel(kind) {
    return { grid_worker: "网格员", party_member: "党员", leader: "包联领导", instructor: "指导员" }[kind] || kind;
  }

  /* --- incidents ------------------------------------------------------------------------- */
  function since(window_) {
    const hours = { "24h": 24, "7d": 168, "30d": 720, "365d": 8760 }[window_];
    return hours ? new Date(Date.now() - hours * 3600 * 1000).toISOString() : null;
  }

  function statuses() {
    return state.filters.status === "open" ? status.open :
      state.filters.status === "all" ? [] : [state.filters.status];
  }

  function deadlineFilter() {
    return cfg.deadlineFilters.find((f) => f.value === state.filters.deadline) || {};
  }

  function matches(item) {
    if (deadlineFilter().param) { return false; }  // an event does not say how due a case is
    const wanted = statuses();
    if (wanted.length && wanted.indexOf(item.status) < 0) { return false; }
    if (state.filters.category && String(item.category).indexOf(state.filters.category) !== 0) { return false; }
    return true;
  }

  function marker(code, lat, lon, statusValue) {
    const colour = status.colours[statusValue] || "#333";
    const m = L.circleMarker([lat, lon], { radius: 6, color: "#fff", weight: 1, fillColor: colour, fillOpacity: 0.9 });
    m.bindTooltip(escape(code) + " " + escape(status.labels[statusValue] || statusValue));
    m.on("click", () => showIncident(code));
    m.wgStatus = statusValue;
    return m;
  }

  /* A case that moved: its marker takes the new status's colour, or goes when the filter no
   * longer shows it; the open panel shows the case as it is now. */
  function recolour(item) {
    const m = state.incidents.get(item.code);
    if (deadlineFilter().param) {
      soonReload();  // how due or carded it is now, only the list API says
    } else if (m && statuses().length && statuses().indexOf(item.status) < 0) {
      incidentLayer.removeLayer(m);
      state.incidents.delete(item.code);
    } else if (m) {
      m.setStyle({ fillColor: status.colours[item.status] || "#333" });
      m.setTooltipContent(escape(item.code) + " " + escape(status.labels[item.status] || item.status));
      m.wgStatus = item.status;
    } else if (matches(item) && item.lat != null && map.getZoom() >= cfg.markerZoom) {
      addIncident(item.code, item.lat, item.lon, item.status);
    }
    updateCount();
    if (state.open && state.open.code === item.code && !panelBusy()) {  // a card changes no status
      showIncident(item.code, item.status !== state.open.status ? "该事件已更新" : state.notice);
    }
  }
  let reloadTimer = null;
  function soonReload() {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(loadIncidents, 300);
  }

  /* --- the case panel: what, where, who, deadlines, card, actions, trail ------------------- */
  const casePanel = document.createElement("aside");
  casePanel.className = "wg-case-panel";
  casePanel.hidden = true;
  casePanel.setAttribute("aria-label", "事件详情");
  document.body.appendChild(casePanel);
  L.DomEvent.disableClickPropagation(casePanel);
  L.DomEvent.disableScrollPropagation(casePanel);
  state.casePanel = casePanel;
  const KIND = { reported: "上报", reassigned: "重新分派", supervision: "督办" };

  function panelBusy() {
    const form = casePanel.querySelector(".wg-action-form");
    return Boolean(form && !form.hidden);
  }

  function closeIncident() {
    casePanel.hidden = true;
    casePanel.innerHTML = "";
    state.open = null;
  }

  function showIncident(code, notice) {
    state.opening = code;
    return getJSON(api + "/incidents/" + encodeURIComponent(code)).then((i) => {
      if (state.opening === code) { renderIncident(i, notice); }
    }).catch(report);
  }

  function trailHTML(events) {
    const specs = cfg.actions || {};
    const card = window.wanggeActions.labels.CARD;
    return "<ol class='wg-trail'>" + (events || []).slice().reverse().map((e) => {
      const data = e.data || {};
      const what = e.action === "card" && data.card ? (card[data.card] || "督办") :
        e.action ? (specs[e.action] ? specs[e.action].label : "办理") : (KIND[e.kind] || "流转");
      const move = e.from_status && e.to_status && e.from_status !== e.to_status ?
        escape(status.labels[e.from_status] || e.from_status) + " → " + escape(status.labels[e.to_status] || e.to_status) :
        e.to_status && !e.from_status ? escape(status.labels[e.to_status] || e.to_status) : "";
      const photos = (e.attachments || []).map((a) => {
        const url = api + "/attachments/" + encodeURIComponent(a.id);
        return "<a href='" + url + "' target='_blank' rel='noopener'><img src='" + url + "' alt='现场照片' loading='lazy'></a>";
      }).join("");
      return "<li><div><b>" + escape(what) + "</b> <small>" + escape(chinaTime(e.at)) + " · " + escape(e.actor || "") +
        "</small></div>" + (move ? "<div>" + move + "</div>" : "") +
        (e.reason ? "<div class='wg-reason'>" + escape(e.reason) + "</div>" : "") +
        (photos ? "<div class='wg-photos'>" + photos + "</div>" : "") + "</li>";
    }).join("") + "</ol>";
  }

  function renderIncident(i, notice) {
    state.open = i;
    state.notice = notice;
    casePanel.hidden = false;
    const who = i.responsible.member ? escape(i.responsible.member.name) + " " + escape(i.responsible.member.phone) : "待分派";
    const chain = (i.assignment.chain || []).map((c) => escape(c.name)).join(" › ");
    casePanel.innerHTML = "<div class='wg-sheet-head'><h2>" + escape(i.code) + " · " + escape(i.status_label) + "</h2>" +
      "<button type='button' class='wg-close' aria-label='关闭'>关闭</button></div>" +
      (notice ? "<div class='wg-notice' role='status'>" + escape(notice) + "</div>" : "") +
      "<div>" + escape(i.category.major_name || "") + " · " + escape(i.category.name) + "</div>" +
      "<div class='wg-description'>" + escape(i.description) + "</div>" +
      "<div>位置：" + chain + (i.assignment.flagged ? "（需核实）" : "") + "</div>" +
      "<div>责任人：" + who + "</div><div>责任部门：" + escape(i.responsible.department.name) + "</div>" +
      "<div>上报：" + escape(chinaTime(i.reported_at)) + "</div>" +
      window.wanggeActions.deadlinesHTML(i) +
      "<h3>办理</h3><div class='wg-actions'></div><h3>流转记录</h3>" + trailHTML(i.events);
    casePanel.querySelector(".wg-close").addEventListener("click", closeIncident);
    window.wanggeActions.render(casePanel.querySelector(".wg-actions"), i, {
      api, specs: cfg.actions, withPosition: false,
      onDone: (answer, action) => {
        showIncident(answer.code, "已" + action.label + "，当前状态：" + answer.status_label);
        recolour({ code: answer.code, status: answer.status });
      },
      onStale: () => showIncident(i.code, "该事件已被他人更新，以下为最新内容"),
    });
  }
  state.showIncident = showIncident;

  let loading = 0;
  function loadIncidents() {
    const token = ++loading;
    incidentLayer.clearLayers();
    state.incidents.clear();
    if (map.getZoom() < cfg.markerZoom) { updateCount(); return; }
    const b = map.getBounds();
    const params = new URLSearchParams({
      format: "geojson", limit: String(cfg.pageSize), datum: "wgs84",
      bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(6)).join(","),
    });
    if (statuses().length) { params.set("status", statuses().join(",")); }
    if (state.filters.category) { params.set("category", state.filters.category); }
    const from = since(state.filters.window);
    if (from) { params.set("from", from); }
    const deadline = deadlineFilter();
    if (deadline.param) { params.set(deadline.param, deadline.arg); }
    getJSON(api + "/incidents?" + params).then((fc) => {
      if (token !== loading) { return; }
      fc.features.forEach((f) => addIncident(f.id, f.geometry.coordinates[1], f.geometry.coordinates[0], f.properties.status));
      updateCount();
    }).catch(report);
  }

  function addIncident(code, lat, lon, statusValue) {
    if (state.incidents.has(code)) { return; }
    const m = marker(code, lat, lon, statusValue).addTo(incidentLayer);
    state.incidents.set(code, m);
  }

  /* --- controls: filters, counter, legend ------------------------------------------------- */
  const panel = L.control({ position: "topleft" });
  panel.onAdd = () => {
    const div = L.DomUtil.create("div", "wg-panel");
    const options = (items) => items.map((o) => "<option value='" + escape(o.value) + "'>" + escape(o.label) + "</option>").join("");
    const statusOptions = [{ value: "open", label: "未办结" }, { value: "all", label: "全部状态" }]
      .concat(Object.entries(status.labels).map(([value, label]) => ({ value, label })));
    const categoryOptions = [{ value: "", label: "全部类别" }].concat(
      cfg.categories.map((c) => ({ value: c.code, label: (c.code.length === 2 ? "" : "　") + c.code + " " + c.name })));
    div.innerHTML = "<b>" + escape(cfg.title) + "</b>" +
      "<label>状态 <select name='status'>" + options(statusOptions) + "</select></label>" +
      "<label>类别 <select name='category'>" + options(categoryOptions) + "</select></label>" +
      "<label>时间 <select name='window'>" + options(cfg.windows) + "</select></label>" +
      "<label>时限督办 <select name='deadline'>" + options(cfg.deadlineFilters) + "</select></label>" +
      "<div class='wg-count'>放大到" + cfg.markerZoom + "级以上显示事件点</div>" +
      "<div class='wg-live'>实时：<span id='wg-live-count'>0</span> 条新事件</div>";
    L.DomEvent.disableClickPropagation(div);
    div.querySelectorAll("select").forEach((select) => select.addEventListener("change", () => {
      state.filters[select.name] = select.value;
      loadIncidents();
    }));
    return div;
  };
  panel.addTo(map);

  function updateCount() {
    const el = document.querySelector(".wg-count");
    if (!el) { return; }
    el.textContent = map.getZoom() < cfg.markerZoom ? "放大到" + cfg.markerZoom + "级以上显示事件点" :
      "当前视图：" + state.incidents.size + " 个事件";
  }

  const legend = L.control({ position: "bottomright" });
  legend.onAdd = () => {
    const div = L.DomUtil.create("div", "wg-legend");
    div.innerHTML = "<b>事件状态</b>" + Object.entries(status.labels).map(([value, label]) =>
      "<div><i style='background:" + status.colours[value] + "'></i>" + escape(label) + "</div>").join("");
    return div;
  };
  legend.addTo(map);

  /* --- live: Server-Sent Events fed by PostgreSQL NOTIFY ---------------------------------- */
  const stream = new EventSource(api + "/stream");
  stream.addEventListener("created", (e) => {
    const item = JSON.parse(e.data);
    state.live += 1;
    const counter = document.getElementById("wg-live-count");
    if (counter) { counter.textContent = String(state.live); }
    if (!matches(item)) { return; }
    addIncident(item.code, item.lat, item.lon, item.status);
    updateCount();
  });
  stream.addEventListener("changed", (e) => {
    const data = JSON.parse(e.data || "{}");
    (data.incidents || [data]).forEach(recolour);
    state.changes = (state.changes || 0) + 1;
  });
  stream.addEventListener("reset", () => {
    loadIncidents();
    if (state.open && !panelBusy()) { showIncident(state.open.code); }
  });
  stream.addEventListener("import", loadIncidents);
  window.wangge.watchSession(stream, api);
  state.stream = stream;

  map.on("moveend", loadIncidents);
  loadIncidents();

  function report(error) {
    const el = document.querySelector(".wg-count");
    if (el) { el.textContent = "加载失败：" + error.message; }
  }
}
