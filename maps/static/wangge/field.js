/* 我的网格 on a phone: the member's own area among its neighbours and its micro-grids, the
 * open cases by deadline (overdue first), kept current by the event stream of the member's
 * own area, tap anywhere to identify, and a form to report a new case (report.js). A tap on a
 * case opens its sheet: deadlines, card and the actions the member may take (actions.js). */
"use strict";

function wanggeField(map, cfg) {
  const api = cfg.api;
  const code = cfg.area.properties.code;
  const state = { cases: [], loads: 0, pickPoint: null };
  window.wanggeFieldState = state;
  const { escape, getJSON, fetch, chinaTime } = window.wangge;
  document.body.classList.add("wg-field");

  /* --- areas: neighbours dashed, the member's own in red, its micro-grids thin inside ---- */
  const neighbours = L.geoJSON(cfg.neighbours, {
    style: { color: "#737373", weight: 1.5, dashArray: "4 4", fillOpacity: 0.03 },
    onEachFeature: (f, layer) => layer.bindTooltip(escape(f.properties.name)),
  }).addTo(map);
  const microGrids = L.geoJSON(null, {
    style: { color: "#ef6548", weight: 1, fillOpacity: 0 },
    onEachFeature: (f, layer) => layer.bindTooltip(escape(f.properties.name), { direction: "center" }),
  }).addTo(map);
  const mine = L.geoJSON(cfg.area, {
    style: { color: "#d7301f", weight: 4, fillColor: "#fc9272", fillOpacity: 0.12 },
  }).addTo(map);
  Object.assign(state, { area: mine, neighbours, microGrids });
  if (cfg.area.properties.level !== "micro_grid") {
    const q = new URLSearchParams({ level: "micro_grid", parent: code, limit: "500", simplify: "2" });
    getJSON(api + "/areas?" + q).then((fc) => {
      microGrids.addData(fc);
      state.microGridCount = fc.features.length;
    }).catch((e) => showProblem(e.message));
  }

  /* --- the panel at the bottom: who and where, 上报事件, the open cases ------------------ */
  const casesLayer = L.layerGroup().addTo(map);
  const panel = L.control({ position: "bottomleft" });
  panel.onAdd = () => {
    const div = L.DomUtil.create("div", "wg-cases");
    div.innerHTML = "<div class='wg-where'><b>" + escape(cfg.area.properties.name) + "</b> <small>" +
      cfg.chain.slice(1, -1).map((c) => escape(c.name)).join(" › ") + "</small></div><div>" +
      escape(cfg.member.kindLabel) + "：" + escape(cfg.member.name) + "</div>" +
      (cfg.canReport ? "<button type='button' class='wg-report-open wg-primary'>上报事件</button>" : "") +
      "<div class='wg-problem' role='alert'></div><div class='wg-case-list'>加载中…</div>";
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  panel.addTo(map);
  const list = document.querySelector(".wg-case-list");
  // the area framed in what the panel leaves free (the panel grows with the list: at most 42 %)
  map.fitBounds(mine.getBounds(), {
    paddingTopLeft: [20, 20], paddingBottomRight: [20, Math.min(0.42 * map.getSize().y, 220) + 20],
  });
  function showProblem(text) {
    document.querySelector(".wg-problem").textContent = text ? "加载失败：" + text : "";
  }

  const timeLeft = window.wanggeActions.timeLeft;  // 已超期2天, 剩5小时

  /* The deadline a case waits on: its current step's, else the handling deadline (as the
   * list API's due= reckons it). */
  const dueAt = (p) => p.step_due_at || p.deadline_at;
  const CARDS = { yellow: "黄牌", red: "红牌" };

  /* Earliest deadline first, so the overdue ones (deadline past) come first. */
  function byDeadline(a, b) {
    return Date.parse(dueAt(a.properties)) - Date.parse(dueAt(b.properties)) || (a.id < b.id ? -1 : 1);
  }

  function drawCases(features, fresh, more) {
    const now = Date.now();
    features.sort(byDeadline);
    state.cases = features.map((f) => f.id);
    state.markers = new Map();
    casesLayer.clearLayers();
    if (!features.length) { list.textContent = "暂无未办结事件"; return; }
    const overdue = features.filter((f) => Date.parse(dueAt(f.properties)) < now).length;
    list.innerHTML = "<div class='wg-list-title'>未办结事件 " + features.length + (more ? " 件以上（只列出这些）" : " 件") +
      (overdue ? "，<span class='wg-overdue'>已超期 " + overdue + " 件</span>" : "") + "</div><ul>" +
      features.map((f) => {
        const p = f.properties;
        const left = timeLeft(dueAt(p), now);
        const card = CARDS[p.card] ? " <span class='wg-card wg-card-" + escape(p.card) + "'>" + CARDS[p.card] + "</span>" : "";
        return "<li data-code='" + escape(f.id) + "' class='" + (fresh.has(f.id) ? "wg-fresh" : "") + "'>" +
          "<span class='wg-row-top'><b>" + escape(f.id) + "</b> " + escape(p.category.name) + " · " +
          escape(p.status_label) + card + "</span><span class='wg-row-due'>时限 " + escape(chinaTime(dueAt(p))) +
          " <span class='" + left.cls + "'>" + escape(left.text) + "</span></span></li>";
      }).join("") + "</ul>";
    features.forEach((f) => {
      const [lon, lat] = f.geometry.coordinates;
      const p = f.properties;
      const marker = L.circleMarker([lat, lon], { radius: 9, color: fresh.has(f.id) ? "#000" : "#fff", weight: 2,
        fillColor: cfg.status.colours[p.status] || "#333", fillOpacity: 0.9 })
        .bindPopup("<div class='wg-popup'><b>" + escape(f.id) + "</b> " + escape(p.status_label) + "<div>" +
          escape(p.category.name) + "</div><div>" + escape(p.description) + "</div><div>上报 " +
          escape(chinaTime(p.reported_at)) + "<br>时限 " + escape(chinaTime(dueAt(p))) + "（" +
          escape(timeLeft(dueAt(p), now).text) + "）</div></div>")
        .addTo(casesLayer);
      state.markers.set(f.id, marker);
    });
    list.querySelectorAll("li").forEach((li) => li.addEventListener("click", () => {
      const f = features.find((x) => x.id === li.dataset.code);
      map.setView([f.geometry.coordinates[1], f.geometry.coordinates[0]], Math.max(map.getZoom(), 16));
      openCase(f.id);
    }));
  }

  /* The member's open cases; the newest answer wins when several loads overlap. */
  function loadCases(fresh) {
    const token = ++state.loads;
    const params = new URLSearchParams({ status: cfg.status.open.join(","), limit: "500", format: "geojson" });
    return getJSON(api + "/members/" + cfg.member.id + "/incidents?" + params).then((fc) => {
      if (token !== state.loads) { return; }
      showProblem("");
      drawCases(fc.features, fresh || new Set(), Boolean(fc.next_cursor));
      state.loaded = true;
    }).catch((e) => showProblem(e.message));
  }
  state.reload = loadCases;
  loadCases();

  /* --- one case's sheet: what it is, its deadlines and the actions the member may take --- */
  const sheet = document.createElement("section");
  sheet.className = "wg-sheet";
  sheet.hidden = true;
  sheet.setAttribute("aria-label", "事件办理");
  document.body.appendChild(sheet);
  state.sheet = sheet;
  function closeCase() {
    sheet.hidden = true;
    sheet.innerHTML = "";
    state.open = null;
  }
  function openCase(caseCode, notice) {
    state.open = caseCode;
    return getJSON(api + "/incidents/" + encodeURIComponent(caseCode)).then((i) => {
      if (state.open === caseCode) { showCase(i, notice); }
    }).catch((e) => {
      sheet.hidden = false;
      sheet.innerHTML = "<div class='wg-problem'>" + escape(e.message) + "</div><button type='button' class='wg-close'>关闭</button>";
      sheet.querySelector(".wg-close").addEventListener("click", closeCase);
    });
  }
  function showCase(i, notice) {
    state.open = i.code;
    state.openCase = i;
    state.notice = notice;
    sheet.hidden = false;
    sheet.innerHTML = "<div class='wg-sheet-head'><h2>" + escape(i.code) + " · " + escape(i.status_label) + "</h2>" +
      "<button type='button' class='wg-close' aria-label='关闭'>关闭</button></div>" +
      (notice ? "<div class='wg-notice' role='status'>" + escape(notice) + "</div>" : "") +
      "<div>" + escape(i.category.major_name || "") + " · " + escape(i.category.name) + "</div>" +
      "<div class='wg-description'>" + escape(i.description) + "</div>" +
      (i.category.code.indexOf("01") === 0 ? "<a class='wg-mediation-link' href='/maps/mediation?case=" +
        encodeURIComponent(i.code) + "'>调解卷宗（三二一调解）</a>" : "") +
      window.wanggeActions.deadlinesHTML(i) + "<div class='wg-actions'></div>";
    sheet.querySelector(".wg-close").addEventListener("click", closeCase);
    window.wanggeActions.render(sheet.querySelector(".wg-actions"), i, {
      api, specs: cfg.actions, withPosition: true,
      onDone: (answer, action) => {
        showCase(answer, "已" + action.label + "，当前状态：" + answer.status_label);
        loadCases(new Set([answer.code]));
      },
      onStale: () => openCase(i.code, "该事件已被他人更新，以下为最新内容"),
    });
  }
  state.openCase = null;
  state.showCase = openCase;

  /* --- live: the event stream of the member's own area ----------------------------------- */
  const stream = new EventSource(api + "/stream?area=" + encodeURIComponent(code));
  let pending = new Set();
  let timer = null;
  function soon(codeSeen) {  // a burst of events makes one reload
    if (codeSeen) { pending.add(codeSeen); }
    clearTimeout(timer);
    timer = setTimeout(() => { const fresh = pending; pending = new Set(); loadCases(fresh); }, 150);
  }
  const changed = (e) => {
    const data = JSON.parse(e.data || "{}");
    (data.incidents || [data]).forEach((item) => {
      soon(item.code);
      // someone else moved the open case: show it as it is now, unless a form is being filled
      const form = sheet.querySelector(".wg-action-form");
      if (item.code === state.open && (!form || form.hidden)) {  // a card changes no status
        openCase(item.code, item.status !== (state.openCase || {}).status ? "该事件已更新" : state.notice);
      }
    });
    state.live = (state.live || 0) + 1;
  };
  stream.addEventListener("created", changed);
  stream.addEventListener("changed", changed);
  stream.addEventListener("reset", () => soon());
  stream.addEventListener("import", () => soon());
  window.wangge.watchSession(stream, api);
  state.stream = stream;

  /* --- a tap: the micro-grid there and its people (or the report's point while picking) -- */
  map.on("click", (e) => {
    if (state.picking) { state.picking(e.latlng); return; }
    const q = new URLSearchParams({ lon: e.latlng.lng.toFixed(7), lat: e.latlng.lat.toFixed(7), datum: "cgcs2000" });
    fetch(api + "/locate?" + q).then((r) => r.json().catch(() => null).then((body) => ({ r, body }))).then(({ r, body }) => {
      let html;
      if (r.ok) {
        const who = body.responsible;
        const people = [who.grid_worker ? "网格员 " + escape(who.grid_worker.name) + " " + escape(who.grid_worker.phone) : ""]
          .concat(who.party_members.slice(0, 3).map((p) => "党员 " + escape(p.name) + " " + escape(p.phone)))
          .filter(Boolean).join("<br>");
        html = "<b>" + escape(body.chain[body.chain.length - 1].name) + "</b><div>" +
          body.chain.slice(1, -1).map((c) => escape(c.name)).join(" › ") + "</div><div>" + people + "</div>";
      } else {
        html = escape(r.status === 404 ? "此处不在本旗网格范围内" : window.wangge.errorText(body, r.status));
      }
      state.lastLocate = body;
      L.popup().setLatLng(e.latlng).setContent("<div class='wg-popup'>" + html + "</div>").openOn(map);
    }).catch(() => showProblem("无法连接服务，请检查网络后重试"));
  });

  if (cfg.canReport) { wanggeReport(map, cfg, state); }
  if (window.wanggeFieldVisit) { window.wanggeFieldVisit(map, cfg, state); }  // field-visit.js
}
