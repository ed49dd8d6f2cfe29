/* 网格调整 without a draft: the planner's drafts (status, scope, author, last change, stale or
 * not), and a new draft over a township, village or grid picked by name from a searchable
 * list or by clicking it on the map (townships when zoomed out, then villages, then grids). */
"use strict";

function wanggePlanDrafts(ctx) {
  const { map, cfg, state, escape, LEVELS, getJSON, send, errorOf } = ctx;
  const { chinaTime } = window.wangge;
  const STATUS = { draft: "草案", scheduled: "待生效", published: "已发布" };
  const SHOWN = 20;
  state.drafts = null;
  state.places = [];
  state.pick = null;

  const list = ctx.section("drafts", "我的调整草案");
  const start = ctx.section("new-plan", "新建调整草案");
  start.querySelector(".wg-body").innerHTML =
    "<label for='wg-plan-search'>选择调整范围（苏木镇、嘎查村或网格；也可在地图上点击）</label>" +
    "<input id='wg-plan-search' type='search' autocomplete='off' placeholder='输入名称查找，如：树林召'>" +
    "<ul class='wg-pick-list' role='listbox' aria-label='可选范围'></ul>" +
    "<div class='wg-picked wg-hint'>尚未选择范围</div>" +
    "<label for='wg-plan-description'>说明（可不填）</label>" +
    "<input id='wg-plan-description' type='text' maxlength='2000' placeholder='例如：调整第一网格的户数'>" +
    "<div class='wg-row'><button class='wg-primary' name='create' disabled>新建草案</button></div>" +
    "<div class='wg-msg wg-main'></div>";
  const search = start.querySelector("#wg-plan-search");
  const choices = start.querySelector(".wg-pick-list");
  const create = start.querySelector("button[name=create]");

  /* --- the drafts --------------------------------------------------------------------- */
  Promise.all([getJSON("/plans"), getJSON("/health")]).then(([plans, health]) => {
    const shown = plans.slice(0, SHOWN);
    return Promise.all(shown.map((p) => (p.status === "draft" ?
      getJSON("/plans/" + p.id).then((s) => s.stale, () => null) : Promise.resolve(false))))
      .then((stale) => {
        state.drafts = shown.map((p, i) => Object.assign({}, p, { stale: stale[i] }));
        state.generation = health.generation;
        renderDrafts(plans.length);
      });
  }).catch((e) => { list.querySelector(".wg-body").textContent = "加载失败：" + e.message; });

  function author(name) {
    return name === cfg.username ? "本人" : name;
  }

  function renderDrafts(total) {
    const body = list.querySelector(".wg-body");
    if (!state.drafts.length) { body.innerHTML = "<div class='wg-hint'>还没有草案，请在下方新建。</div>"; return; }
    body.innerHTML = "<table class='wg-drafts'><thead><tr><th>编号</th><th>范围</th><th>状态</th>" +
      "<th>作者</th><th>最后修改</th><th>是否过期</th></tr></thead><tbody>" +
      state.drafts.map((p) => "<tr data-plan='" + p.id + "'><td>" + p.id + "</td><td><a href='/maps/plan?plan=" +
        p.id + "'>" + escape(p.scope.name) + "</a></td><td>" + (STATUS[p.status] || "") + "</td><td>" +
        escape(author(p.author)) + "</td><td>" + escape(chinaTime(p.updated_at)) + "</td><td>" +
        (p.status !== "draft" ? "—" : p.stale ? "<span class='wg-flag'>已过期</span>" : "否") + "</td></tr>")
        .join("") + "</tbody></table>" +
      (total > SHOWN ? "<div class='wg-hint'>只列出最近 " + SHOWN + " 个，共 " + total + " 个</div>" : "");
  }

  /* --- the places to start from --------------------------------------------------------- */
  const outline = { color: "#2f5d8a", weight: 1.5, fillColor: "#7fa7cf", fillOpacity: 0.12 };
  const layers = {};
  const chosen = L.geoJSON(null, { interactive: false, style: { color: "#d7301f", weight: 4, fill: false } })
    .addTo(map);
  const LOADS = [["township", 100, 1], ["village", 50, 11], ["grid", 10, 13]];
  Promise.all(LOADS.map(([level, simplify]) =>
    getJSON("/areas?limit=1000&level=" + level + "&simplify=" + simplify +
      (cfg.scopeCode ? "&parent=" + encodeURIComponent(cfg.scopeCode) : ""))
      .catch(() => ({ features: [] }))))
    .then((collections) => {
      collections.forEach((fc, i) => {
        const level = LOADS[i][0];
        layers[level] = L.geoJSON(fc, {
          style: outline,
          onEachFeature: (f, layer) => {
            layer.bindTooltip(escape(f.properties.name));
            layer.on("click", () => pick(f));
          },
        });
        fc.features.forEach((f) => state.places.push(f));
      });
      const names = new Map(state.places.map((f) => [f.properties.code, f.properties.name]));
      state.places.forEach((f) => {
        const code = f.properties.code;
        const up = { township: null, village: code.slice(0, 9), grid: code.slice(0, 12) }[f.properties.level];
        f.properties.parentName = up ? names.get(up) || "" : "";
      });
      showLevel();
      filter();
      const all = Object.values(layers).filter((l) => l.getLayers().length);
      if (all.length) { map.fitBounds(L.featureGroup(all).getBounds(), { animate: false }); }
    });
  map.on("zoomend", showLevel);

  function showLevel() {
    const z = map.getZoom();
    LOADS.forEach(([level, , from], i) => {
      const to = i + 1 < LOADS.length ? LOADS[i + 1][2] : 99;
      const layer = layers[level];
      if (!layer) { return; }
      const wanted = z >= from && z < to;
      if (wanted && !map.hasLayer(layer)) { layer.addTo(map); chosen.bringToFront(); }
      if (!wanted && map.hasLayer(layer)) { map.removeLayer(layer); }
    });
  }

  function filter() {
    const words = search.value.trim();
    const found = state.places.filter((f) => !words || f.properties.name.includes(words) ||
      f.properties.parentName.includes(words) || f.properties.code.startsWith(words)).slice(0, 50);
    choices.innerHTML = found.map((f) => "<li role='option' data-code='" + escape(f.properties.code) + "'>" +
      escape(f.properties.name) + " <span class='wg-hint'>" + LEVELS[f.properties.level] +
      (f.properties.parentName ? " · " + escape(f.properties.parentName) : "") + "</span></li>").join("") ||
      "<li class='wg-hint'>没有名称含“" + escape(words) + "”的苏木镇、嘎查村或网格</li>";
  }
  search.addEventListener("input", filter);
  choices.addEventListener("click", (e) => {
    const li = e.target.closest("li[data-code]");
    if (!li) { return; }
    pick(state.places.find((f) => f.properties.code === li.dataset.code));
  });

  function pick(feature) {
    state.pick = feature;
    chosen.clearLayers().addData(feature);
    chosen.bringToFront();  // above the outlines of the level shown
    map.fitBounds(chosen.getBounds(), { padding: [30, 30], animate: false });
    choices.querySelectorAll("li[data-code]").forEach((li) => {
      li.setAttribute("aria-selected", String(li.dataset.code === feature.properties.code));
    });
    start.querySelector(".wg-picked").innerHTML = "已选范围：<b>" + escape(feature.properties.name) + "</b>（" +
      LEVELS[feature.properties.level] + "，" + escape(feature.properties.code) + "）";
    create.disabled = false;
  }

  create.addEventListener("click", () => {
    if (!state.pick) { return; }
    create.disabled = true;
    ctx.say("正在新建草案…", true);
    send("POST", "/plans", {
      scope_code: state.pick.properties.code,
      description: start.querySelector("#wg-plan-description").value,
    }).then((r) => {
      if (r.ok) { window.location.assign("/maps/plan?plan=" + r.data.id); return; }
      create.disabled = false;
      ctx.say("新建失败：" + errorOf(r));
    });
  });
}
