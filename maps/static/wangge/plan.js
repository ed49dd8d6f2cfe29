/* 网格调整: the planner's page. Without ?plan= it lists the planner's drafts and starts a new
 * one (plan-drafts.js); with a draft it shows the draft's areas over the current layout, and
 * beside the map the panels: selection, move and cut (plan-select.js), problems, workload,
 * impact and publication (plan-panels.js). Every change goes through the plans API; after
 * each one the page reloads the draft and asks again for the check, the impact and the
 * workload, so what the panels say is always the draft as saved.
 *
 * window.wanggePlanState (for tests and for the other scripts):
 *   plan, summary          the draft's id and GET /plans/{id}
 *   features, byRef        its areas (GeoJSON features) and ref → feature
 *   mode                   "micro_grid" or "grid": what a click selects
 *   selected               Set of selected refs
 *   problems, repairs      GET /check and GET /repairs features (null while loading)
 *   workload, impact       GET /workload and GET /impact (null while loading)
 *   proposal               the balance suggestion shown, or null
 *   published              the publication report, or null
 *   message, busy          the last message shown; a request is under way
 *   loads                  how many times the draft was (re)loaded
 */
"use strict";

function wanggePlan(map, cfg) {
  wanggePlanDrawZh();
  const { escape } = window.wangge;
  const api = cfg.api;
  const state = {
    plan: cfg.plan, summary: null, features: [], byRef: new Map(), mode: "micro_grid",
    selected: new Set(), problems: null, repairs: null, workload: null, impact: null,
    proposal: null, published: null, message: "", busy: false, loads: 0,
  };
  window.wanggePlanState = state;

  document.body.classList.add("wg-plan-page");
  const side = document.createElement("aside");
  side.className = "wg-plan-side";
  document.body.appendChild(side);
  map.invalidateSize();
  map.boxZoom.disable();  // shift-click adds to the selection
  document.querySelectorAll(".leaflet-control-zoom-in").forEach((a) => {
    a.title = "放大"; a.setAttribute("aria-label", "放大");
  });
  document.querySelectorAll(".leaflet-control-zoom-out").forEach((a) => {
    a.title = "缩小"; a.setAttribute("aria-label", "缩小");
  });

  /* The API's fields as the page names them, for error messages. */
  const LABELS = {
    refs: "所选区域", to: "目标", versions: "版本", snap_m: "吸附距离", cut_children: "同时切分下级",
    effective_at: "生效日期", grids: "网格", grid: "网格", parts: "划分份数", measure: "均衡依据",
    ids: "修复项", scope_code: "调整范围", description: "说明", line: "分割线",
  };
  /* An answer as {ok, status, data}; never throws for a refusal. */
  const send = (method, url, body) => window.wangge.fetch(api + url, {
    method, headers: { "Content-Type": "application/json" }, body: body ? JSON.stringify(body) : undefined,
  }).then((r) => r.json().catch(() => null).then((data) => ({ ok: r.ok, status: r.status, data })),
    () => ({ ok: false, status: 0, data: null }));
  /* A refusal in Chinese: the API's own Chinese message when it gives one. */
  const errorOf = (r) => {
    if (r.status === 0) { return "无法连接服务，请检查网络后重试"; }
    return (r.data && r.data.message_zh) || window.wangge.errorText(r.data, r.status, LABELS);
  };
  const getJSON = (url) => send("GET", url).then((r) => {
    if (!r.ok) { throw new Error(errorOf(r)); }
    return r.data;
  });
  const LEVELS = { township: "苏木镇", village: "嘎查村", grid: "网格", micro_grid: "微网格" };
  /* A ref as a person reads it: an area's code, or 新建 for an area the draft adds. */
  const refText = (ref) => (/^new-/.test(String(ref)) ? "新建" : String(ref));
  const nameOf = (ref) => {
    const f = state.byRef.get(ref);
    return f ? f.properties.name : refText(ref);
  };
  const section = (name, title) => {
    const div = document.createElement("section");
    div.className = "wg-" + name;
    if (title) { div.innerHTML = "<h3>" + escape(title) + "</h3><div class='wg-body'></div>"; }
    side.appendChild(div);
    return div;
  };
  const say = (text, ok) => {
    state.message = text;
    side.querySelectorAll(".wg-msg.wg-main").forEach((el) => {
      el.textContent = text;
      el.classList.toggle("wg-ok", Boolean(ok));
    });
  };

  const ctx = {
    map, cfg, api, state, side, send, getJSON, errorOf, escape, LEVELS, refText, nameOf, section,
    say, renders: [],
  };
  ctx.render = () => ctx.renders.forEach((fn) => fn());

  if (!state.plan) {
    wanggePlanDrafts(ctx);
    return;
  }
  editor(ctx);

  function editor(ctx) {
    const head = section("plan-head");
    const message = document.createElement("div");
    message.className = "wg-msg wg-main";
    ctx.renders.push(() => {
      const plan = state.summary;
      if (!plan) { head.innerHTML = "<h2>网格调整草案</h2><div class='wg-hint'>加载中…</div>"; return; }
      const status = { draft: "草案", scheduled: "待生效", published: "已发布" }[plan.status] || "";
      head.innerHTML = "<h2>网格调整草案 " + plan.id + "</h2>" +
        "<div>范围：" + escape(plan.scope.name) + "（" + escape(plan.scope.code) + "）</div>" +
        "<div>状态：<span class='wg-status'>" + status + "</span>，基于第 " + plan.base_generation + " 版" +
        (plan.stale ? "<span class='wg-why'>（已过期：之后又发布了新版本）</span>" : "") + "</div>" +
        "<div><a href='/maps/plan'>返回草案列表</a></div>";
      head.appendChild(message);
      message.textContent = state.message;
    });

    const current = L.geoJSON(null, {
      interactive: false, style: { color: "#737373", weight: 1.5, dashArray: "4 4", fill: false },
    }).addTo(map);
    ctx.layers = { current, draft: L.layerGroup().addTo(map) };
    L.control.layers(null, { "现行网格": current, "草案": ctx.layers.draft }, {
      collapsed: false, position: "bottomleft",
    }).addTo(map);
    document.querySelectorAll(".leaflet-control-layers-toggle").forEach((a) => { a.title = "图层"; });

    const select = wanggePlanSelect(ctx);
    const panels = wanggePlanPanels(ctx);

    /* Reload the draft and everything said about it; resolves once the panels are current. */
    ctx.reload = () => {
      state.problems = null;
      state.repairs = null;
      state.impact = null;
      state.workload = null;
      ctx.render();
      return getJSON("/plans/" + state.plan).then((summary) => {
        state.summary = summary;
        const first = state.loads === 0 ? getJSON("/areas?limit=1000&level=grid&parent=" +
          encodeURIComponent(summary.scope.code) + "&generation=" + summary.base_generation)
          .then((fc) => current.addData(fc)).catch(() => null) : Promise.resolve();
        return Promise.all([first, getJSON("/plans/" + state.plan + "/areas")]);
      }).then(([, fc]) => {
        state.features = fc.features;
        state.byRef = new Map(fc.features.map((f) => [f.id, f]));
        state.selected = new Set([...state.selected].filter((ref) => state.byRef.has(ref)));
        select.draw();
        if (state.loads === 0 && fc.features.length) {
          map.fitBounds(L.geoJSON(fc).getBounds(), { padding: [20, 20], animate: false });
        }
        state.loads += 1;
        ctx.render();
        return panels.review();
      }).catch((e) => { say("加载失败：" + e.message); ctx.render(); });
    };
    ctx.reload();
  }
}
