/* 网格调整: a draft over the current layout. Select an area, draw a line to split it, check the
 * topology, preview who changes hands, publish. Every change goes through the plans API. */
"use strict";

function wanggePlan(map, cfg) {
  const api = cfg.api;
  const state = { plan: cfg.plan, selected: null, problems: null, impact: null, published: null, message: "" };
  window.wanggePlanState = state;
  const { escape, fetch } = window.wangge;
  const send = (method, url, body) => fetch(url, {
    method, headers: { "Content-Type": "application/json" }, body: body ? JSON.stringify(body) : undefined,
  }).then((r) => r.json().then((data) => ({ ok: r.ok, status: r.status, data })));
  const getJSON = (url) => send("GET", url).then((r) => {
    if (!r.ok) { throw new Error(window.wangge.errorText(r.data, r.status)); }
    return r.data;
  });

  if (L.drawLocal) {
    L.drawLocal.draw.toolbar.buttons.polyline = "画分割线";
    L.drawLocal.draw.handlers.polyline.tooltip.start = "点击开始画分割线";
    L.drawLocal.draw.handlers.polyline.tooltip.cont = "继续点击";
    L.drawLocal.draw.handlers.polyline.tooltip.end = "点击最后一点结束";
    Object.assign(L.drawLocal.draw.toolbar.actions, { title: "取消画线", text: "取消" });
    Object.assign(L.drawLocal.draw.toolbar.finish, { title: "完成画线", text: "完成" });
    Object.assign(L.drawLocal.draw.toolbar.undo, { title: "删除最后一点", text: "删除最后一点" });
    // the toolbar was drawn before this script ran: its button (and screen-reader text) too
    document.querySelectorAll(".leaflet-draw-draw-polyline").forEach((a) => {
      a.title = "画分割线";
      a.querySelectorAll(".sr-only").forEach((s) => { s.textContent = "画分割线"; });
    });
  }

  const panel = L.control({ position: "topleft" });
  panel.onAdd = () => {
    const div = L.DomUtil.create("div", "wg-panel wg-plan");
    L.DomEvent.disableClickPropagation(div);
    return div;
  };
  panel.addTo(map);
  const box = panel.getContainer();

  if (!state.plan) {
    box.innerHTML = "<b>新建网格调整草案</b><label>范围编码（苏木镇/嘎查村/网格）<input name='scope' size='16' value='" + escape(cfg.scopeCode) + "'></label>" +
      "<label>说明 <input name='description' size='16'></label><button name='create'>新建草案</button><div class='wg-msg'></div>";
    box.querySelector("button").addEventListener("click", () => {
      send("POST", api + "/plans", {
        scope_code: box.querySelector("input[name=scope]").value.trim(),
        description: box.querySelector("input[name=description]").value,
      }).then((r) => {
        if (r.ok) { window.location.search = "?plan=" + r.data.id; return; }
        box.querySelector(".wg-msg").textContent = window.wangge.errorText(r.data, r.status, { description: "说明" });
      });
    });
    return;
  }

  const current = L.geoJSON(null, { style: { color: "#737373", weight: 1, dashArray: "3 3", fill: false } }).addTo(map);
  const draft = L.geoJSON(null, {
    style: (f) => ({
      color: cfg.statusColours[f.properties.status] || "#3182bd",
      weight: f.properties.level === "micro_grid" ? 1.5 : 3,
      fillOpacity: f.properties.level === "micro_grid" ? 0.15 : 0,
    }),
    onEachFeature: (f, layer) => {
      layer.bindTooltip(escape(f.properties.name) + "（" + escape(f.properties.status) + "）");
      layer.on("click", () => select(f));
    },
  }).addTo(map);
  const problems = L.geoJSON(null, {
    style: { color: "#e31a1c", weight: 3, fillColor: "#e31a1c", fillOpacity: 0.5 },
    pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 8, color: "#e31a1c" }),
    onEachFeature: (f, layer) => layer.bindTooltip(escape(f.properties.reason)),
  }).addTo(map);
  L.control.layers(null, { "现行网格": current, "草案": draft, "拓扑问题": problems }, { collapsed: false, position: "topright" }).addTo(map);
  state.layers = { current, draft, problems };

  function render() {
    const plan = state.summary;
    const sel = state.selected;
    const impact = state.impact;
    box.innerHTML = "<b>网格调整草案 #" + plan.id + "</b>" +
      "<div>范围：" + escape(plan.scope.name) + "（" + escape(plan.scope.code) + "）</div>" +
      "<div>状态：" + ({ draft: "草案", scheduled: "待生效", published: "已发布" }[plan.status] || plan.status) +
      "，基准版本 " + plan.base_generation + (plan.stale ? "（已过期）" : "") + "</div>" +
      "<div class='wg-selected'>" + (sel ? "已选：" + escape(sel.properties.name) + "（" + escape(sel.id) +
        "）<br>用工具栏“画分割线”穿过它即可拆分" : "点击草案中的区域以选择") + "</div>" +
      "<div class='wg-problems'>" + (state.problems === null ? "" : state.problems === 0 ? "拓扑检查：通过" :
        "拓扑检查：" + state.problems + " 个问题（红色）") + "</div>" +
      "<div class='wg-impact'>" + (impact ? "影响：变动区域 " + countAreas(impact.areas) + " 个，未办结事件转移 " +
        impact.incidents.length + " 件，成员调整 " + impact.members.length + " 人" : "") + "</div>" +
      (plan.status === "draft" ? "<button name='publish'" + (state.problems ? " disabled" : "") + ">发布为新版本</button>" : "") +
      "<div class='wg-msg'>" + escape(state.message) + "</div>";
    const button = box.querySelector("button[name=publish]");
    if (button) { button.addEventListener("click", publish); }
  }

  function countAreas(areas) {
    return Object.values(areas || {}).reduce((n, list) => n + list.length, 0);
  }

  function select(feature) {
    state.selected = feature;
    draft.setStyle((f) => ({
      color: f.id === feature.id ? "#000" : cfg.statusColours[f.properties.status] || "#3182bd",
      weight: f.id === feature.id ? 4 : f.properties.level === "micro_grid" ? 1.5 : 3,
      fillOpacity: f.properties.level === "micro_grid" ? 0.15 : 0,
    }));
    render();
  }

  function load() {
    return getJSON(api + "/plans/" + state.plan).then((summary) => {
      state.summary = summary;
      const first = current.getLayers().length === 0 ?
        getJSON(api + "/areas?limit=1000&level=micro_grid&parent=" + encodeURIComponent(summary.scope.code)
          + "&generation=" + summary.base_generation).then((fc) => current.addData(fc)) : Promise.resolve();
      return Promise.all([first, getJSON(api + "/plans/" + state.plan + "/areas")]);
    }).then(([, fc]) => {
      draft.clearLayers();
      draft.addData(fc);
      state.areas = fc.features;
      if (!state.fitted && draft.getLayers().length) { map.fitBounds(draft.getBounds()); state.fitted = true; }
      if (state.selected) {
        state.selected = fc.features.find((f) => f.id === state.selected.id) || null;
      }
      return review();
    }).catch((e) => { state.message = "加载失败：" + e.message; render(); });
  }

  function review() {
    return Promise.all([
      getJSON(api + "/plans/" + state.plan + "/check"),
      getJSON(api + "/plans/" + state.plan + "/impact"),
    ]).then(([check, impact]) => {
      problems.clearLayers();
      problems.addData(check);
      state.problems = check.features.length;
      state.impact = impact;
      render();
    });
  }

  map.on(L.Draw.Event.CREATED, (e) => {
    setTimeout(() => e.layer.remove(), 0);
    if (e.layerType !== "polyline") { return; }
    if (!state.selected) { state.message = "请先点击选择要拆分的区域"; render(); return; }
    const sel = state.selected;
    state.problems = null;
    state.impact = null;
    send("POST", api + "/plans/" + state.plan + "/areas/" + encodeURIComponent(sel.id) + "/split", {
      // a cut within snap_m of the area's corners starts and ends on them, so the neighbours'
      // shared edges keep matching vertex for vertex
      line: e.layer.toGeoJSON().geometry, datum: "wgs84", version: sel.properties.version, snap_m: cfg.snapMetres,
    }).then((r) => {
      state.message = r.ok ? "已拆分：" + r.data.features.map((f) => f.properties.name).join("、") :
        "拆分失败：" + window.wangge.errorText(r.data, r.status);
      state.lastSplit = r.ok ? r.data.features.map((f) => f.id) : null;
      return load();
    });
  });

  function publish() {
    state.message = "发布中…";
    render();
    send("POST", api + "/plans/" + state.plan + "/publish", {}).then((r) => {
      if (!r.ok) {
        state.message = "发布失败：" + window.wangge.errorText(r.data, r.status);
        render();
        return null;
      }
      state.published = r.data;
      state.message = "已发布为第 " + r.data.generation + " 版，转移事件 " + r.data.incidents.length + " 件";
      return getJSON(api + "/plans/" + state.plan).then((summary) => { state.summary = summary; render(); });
    });
  }

  load();
}
