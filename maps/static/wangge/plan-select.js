/* 网格调整, the selection panel: click selects a micro-grid (or, with the level switch, a
 * grid), shift-click adds one, the toolbar's polygon or rectangle is a lasso that selects
 * every area whose centre lies inside it. "移到网格…" moves the selection to another grid (or
 * village) through POST /plans/{id}/move; the toolbar's line cuts the one selected area
 * through POST …/areas/{ref}/split with the snap distance and, for a grid or village, its
 * children cut along the same line. The draft's areas are drawn here (ctx.layers.draft). */
"use strict";

function wanggePlanSelect(ctx) {
  const { map, cfg, state, escape, send, errorOf, nameOf, LEVELS } = ctx;
  const STATUS = { unchanged: "未变", changed: "已改", new: "新增" };
  const PARENT = { micro_grid: "grid", grid: "village" };
  const box = ctx.section("select", "选择、移动与切分");
  box.querySelector(".wg-body").innerHTML =
    "<div class='wg-row' role='radiogroup' aria-label='选择层级'>选择：" +
    "<label><input type='radio' name='wg-mode' value='micro_grid' checked> 微网格</label>" +
    "<label><input type='radio' name='wg-mode' value='grid'> 网格（在嘎查村之间移动）</label></div>" +
    "<div class='wg-hint'>点击选择，按住上档键（⇧）点击可多选；也可用地图左侧工具栏的多边形或矩形框选。</div>" +
    "<div class='wg-selection'></div>" +
    "<div class='wg-row'><label for='wg-move-to' class='wg-move-label'>移到网格…</label>" +
    "<select id='wg-move-to'></select><button name='move' class='wg-primary'>移动</button>" +
    "<button name='clear'>清除选择</button></div>" +
    "<div class='wg-row'><label>吸附距离 <input type='number' name='snap' min='0' max='50' step='1' value='" +
    cfg.snapMetres + "' style='width: 4em'> 米</label>" +
    "<label><input type='checkbox' name='cut-children' checked> 切分网格时同时切分其微网格</label></div>" +
    "<div class='wg-hint'>切分：选择一个区域，再用工具栏“画分割线”穿过它；分割线离已有拐点不超过吸附距离时落在拐点上。</div>";
  const body = box.querySelector(".wg-body");
  const target = body.querySelector("#wg-move-to");
  const moveButton = body.querySelector("button[name=move]");

  /* --- the draft's areas on the map --------------------------------------------------------- */
  const group = ctx.layers.draft;
  const proposalColour = "#e7298a";
  /* Grids in the darker shade of their status, so that they stand out from their micro-grids. */
  const GRID_COLOURS = { unchanged: "#08519c", changed: "#d94801", new: "#238b45" };
  const labels = L.layerGroup().addTo(map);
  function style(f) {
    const level = f.properties.level;
    const picked = state.selected.has(f.id);
    const proposed = state.proposal && state.proposal.byRef && state.proposal.byRef.has(f.id);
    const base = {
      color: cfg.statusColours[f.properties.status] || "#3182bd",
      weight: level === "micro_grid" ? 1 : level === "grid" ? 3 : 4.5,
      fill: level === "micro_grid" || (level === "grid" && state.mode === "grid"),
      fillOpacity: 0.12,
    };
    if (level === "grid") { base.color = GRID_COLOURS[f.properties.status] || base.color; }
    if (level === "village") { base.color = "#54278f"; base.fill = false; }
    if (proposed) { Object.assign(base, { fillColor: proposalColour, fillOpacity: 0.45, dashArray: "4 3" }); }
    if (picked) { Object.assign(base, { color: "#000", weight: 3, fill: true, fillColor: "#ffd92f", fillOpacity: 0.55 }); }
    return base;
  }
  function tooltip(f) {
    return escape(f.properties.name) + "（" + LEVELS[f.properties.level] + "，" +
      (STATUS[f.properties.status] || "") + "）";
  }
  ctx.restyle = () => group.eachLayer((layer) => layer.setStyle(style));
  function draw() {
    group.clearLayers();
    labels.clearLayers();
    state.features.filter((f) => f.properties.level === "grid").forEach((f) => {
      const [lon, lat] = centre(f.geometry);
      L.tooltip({ permanent: true, direction: "center", interactive: false, className: "wg-grid-label" })
        .setLatLng([lat, lon]).setContent(escape(f.properties.name)).addTo(labels);
    });
    ["micro_grid", "grid", "village"].forEach((level) => {
      const features = state.features.filter((f) => f.properties.level === level);
      const interactive = level === state.mode;
      group.addLayer(L.geoJSON({ type: "FeatureCollection", features }, {
        interactive,
        style,
        onEachFeature: (f, layer) => {
          if (!interactive) { return; }
          layer.bindTooltip(tooltip(f), { sticky: true });
          layer.on("click", (e) => clicked(f, e.originalEvent && e.originalEvent.shiftKey));
        },
      }));
    });
  }

  /* While a tool draws, and just after (the click that ends a rectangle lands on an area too),
   * a click is the tool's, not a selection. */
  let toolUntil = 0;
  map.on(L.Draw.Event.DRAWSTART, () => { toolUntil = Infinity; });
  map.on(L.Draw.Event.DRAWSTOP, () => { toolUntil = Date.now() + 400; });
  function clicked(feature, adding) {
    if (Date.now() < toolUntil) { return; }
    if (adding) {
      if (state.selected.has(feature.id)) { state.selected.delete(feature.id); } else { state.selected.add(feature.id); }
    } else {
      state.selected = new Set([feature.id]);
    }
    changed();
  }
  function changed() {
    ctx.restyle();
    ctx.render();
  }

  body.querySelectorAll("input[name=wg-mode]").forEach((input) => input.addEventListener("change", () => {
    state.mode = input.value;
    state.selected = new Set();
    draw();
    ctx.render();
  }));
  body.querySelector("button[name=clear]").addEventListener("click", () => {
    state.selected = new Set();
    changed();
  });

  /* --- where the selection may go -------------------------------------------------------- */
  function bounds(refs) {
    return L.geoJSON({ type: "FeatureCollection", features: refs.map((r) => state.byRef.get(r)) }).getBounds();
  }
  function targets() {
    const refs = [...state.selected];
    if (!refs.length) { return []; }
    const level = PARENT[state.mode];
    const from = new Set(refs.map((r) => state.byRef.get(r).properties.parent_ref));
    const above = new Set([...from].map((p) => (state.byRef.get(p) || { properties: {} }).properties.parent_ref));
    const near = bounds(refs).pad(0.05);
    return state.features.filter((f) => f.properties.level === level &&
      !(from.size === 1 && from.has(f.id)) &&
      (above.has(f.properties.parent_ref) || near.intersects(bounds([f.id]))))
      .sort((a, b) => a.properties.name.localeCompare(b.properties.name, "zh-CN"));
  }

  function renderSelection() {
    const refs = [...state.selected];
    const list = body.querySelector(".wg-selection");
    const villages = state.features.some((f) => f.properties.level === "village");
    list.innerHTML = (refs.length ? "已选 " + refs.length + " 个" + LEVELS[state.mode] + "：" +
      refs.map((r) => escape(nameOf(r))).join("、") : "<span class='wg-hint'>尚未选择</span>") +
      (state.mode === "grid" && !villages ? "<div class='wg-hint'>本草案只含一个嘎查村：要在嘎查村之间移动网格，" +
        "请以苏木镇为范围新建草案。</div>" : "");
    body.querySelector(".wg-move-label").textContent = state.mode === "grid" ? "移到嘎查村…" : "移到网格…";
    const keep = target.value;
    const options = targets();
    target.innerHTML = "<option value=''>" + (refs.length ? "请选择" : "先选择区域") + "</option>" +
      options.map((f) => "<option value='" + escape(f.id) + "'>" + escape(f.properties.name) + "</option>").join("");
    if (options.some((f) => f.id === keep)) { target.value = keep; }
    const plan = state.summary;
    moveButton.disabled = !refs.length || !target.value || state.busy || !plan || plan.status !== "draft";
  }
  target.addEventListener("change", renderSelection);
  ctx.renders.push(renderSelection);

  /* --- moving ----------------------------------------------------------------------------- */
  /* Move `refs` to the parent `to`; resolves to the answer (the draft reloaded after). */
  ctx.move = (refs, to) => {
    const versions = {};
    refs.forEach((r) => { versions[r] = state.byRef.get(r).properties.version; });
    state.busy = true;
    return send("POST", "/plans/" + state.plan + "/move", { refs, to, versions }).then((r) => {
      state.busy = false;
      return r;
    });
  };
  moveButton.addEventListener("click", () => {
    const refs = [...state.selected];
    const to = target.value;
    if (!refs.length || !to) { return; }
    ctx.say("正在移动…", true);
    ctx.move(refs, to).then((r) => {
      if (!r.ok) { ctx.say("移动失败：" + errorOf(r)); ctx.render(); return null; }
      state.selected = new Set();
      state.lastMove = r.data;
      ctx.say("已将 " + refs.length + " 个" + LEVELS[state.mode] + "移到" + nameOf(to), true);
      return ctx.reload();
    });
  });

  /* --- the toolbar: lasso and cut ---------------------------------------------------------- */
  const lasso = { color: "#000", weight: 2, dashArray: "5 5", fill: false };
  new L.Control.Draw({
    position: "topleft",
    draw: {
      polyline: { shapeOptions: { color: "#d7301f", weight: 3 }, metric: true, feet: false, nautic: false },
      polygon: { shapeOptions: lasso, showArea: false, metric: true },
      rectangle: { shapeOptions: lasso, showArea: false, metric: true },
      circle: false, marker: false, circlemarker: false,
    },
    edit: false,
  }).addTo(map);

  map.on(L.Draw.Event.CREATED, (e) => {
    if (e.layerType === "polyline") { cut(e.layer.toGeoJSON().geometry); return; }
    const ring = e.layer.getLatLngs()[0].map((p) => [p.lng, p.lat]);
    state.lasso = ring;
    const inside = state.features.filter((f) => f.properties.level === state.mode && within(centre(f.geometry), ring));
    state.selected = new Set(inside.map((f) => f.id));
    ctx.say(inside.length ? "框选了 " + inside.length + " 个" + LEVELS[state.mode] : "框内没有" + LEVELS[state.mode], inside.length > 0);
    changed();
  });

  /* The centroid of a (Multi)Polygon's largest outer ring, [lon, lat]. */
  function centre(geometry) {
    const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    let best = null;
    polygons.forEach((poly) => {
      const ring = poly[0];
      let a = 0, x = 0, y = 0;
      for (let i = 0; i < ring.length - 1; i += 1) {
        const [x0, y0] = ring[i];
        const [x1, y1] = ring[i + 1];
        const c = x0 * y1 - x1 * y0;
        a += c; x += (x0 + x1) * c; y += (y0 + y1) * c;
      }
      if (a !== 0 && (!best || Math.abs(a) > best.a)) { best = { a: Math.abs(a), p: [x / (3 * a), y / (3 * a)] }; }
    });
    return best ? best.p : polygons[0][0][0];
  }
  function within([x, y], ring) {
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i, i += 1) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) { inside = !inside; }
    }
    return inside;
  }

  function cut(line) {
    const refs = [...state.selected];
    if (refs.length !== 1) { ctx.say("切分前请先选择一个区域（当前已选 " + refs.length + " 个）"); return; }
    const area = state.byRef.get(refs[0]);
    const snap = Number(body.querySelector("input[name=snap]").value);
    const request = { line, datum: "cgcs2000", version: area.properties.version, snap_m: snap };
    if (area.properties.level !== "micro_grid") {
      request.cut_children = body.querySelector("input[name=cut-children]").checked;
    }
    ctx.say("正在切分…", true);
    state.busy = true;
    send("POST", "/plans/" + state.plan + "/areas/" + encodeURIComponent(area.id) + "/split", request).then((r) => {
      state.busy = false;
      if (!r.ok) { ctx.say("切分失败：" + errorOf(r)); state.lastSplit = null; ctx.render(); return null; }
      state.lastSplit = r.data.features.map((f) => f.id);
      ctx.say("已切分为：" + r.data.features.map((f) => f.properties.name).join("、"), true);
      return ctx.reload();
    });
  }

  return { draw };
}
