/* 网格调整, the review panels: the topology check's problems (each located, click to zoom,
 * with its one-click repair where one is offered), the impact (incidents and members that
 * change hands, warnings), and publication (disabled with its reason beside it; a dialog
 * asks for confirmation and the effective date, China time). The workload panel is in
 * plan-workload.js. review() asks for all of it again after every edit. */
"use strict";

function wanggePlanPanels(ctx) {
  const { map, state, escape, getJSON, send, errorOf, nameOf, refText } = ctx;
  const KINDS = {
    wrong_type: "不是面状图形", empty: "图形为空", invalid: "图形无效", duplicate_code: "编码重复",
    not_covered: "超出上级区域", overlap: "与相邻区域重叠", gap: "与相邻区域之间有缝隙",
    edge_mismatch: "公共边的拐点不一致",
  };
  const workload = wanggePlanWorkload(ctx);

  /* --- problems ----------------------------------------------------------------------------- */
  const problemBox = ctx.section("problems", "拓扑问题");
  const problemLayer = L.geoJSON(null, {
    interactive: false,
    style: { color: "#e31a1c", weight: 3, fillColor: "#e31a1c", fillOpacity: 0.5 },
    pointToLayer: (f, latlng) => L.circleMarker(latlng, { radius: 8, color: "#e31a1c" }),
  }).addTo(map);
  /* The API's Chinese texts name a drawn area by its draft ref (new-1): say 新建区域1. */
  const plain = (text) => String(text).replace(/\bnew-(\d+)/g, "新建区域$1");
  const problemText = (f) => (f.properties.message_zh && plain(f.properties.message_zh)) ||
    (KINDS[f.properties.kind] || "拓扑问题") + "：" + (f.properties.codes || []).map(nameOf).join("、");
  const repairText = (f) => (f.properties.label_zh && plain(f.properties.label_zh)) ||
    ({ snap: "一键修复：吸附到相邻边", make_valid: "一键修复：修正图形" }[f.properties.action] || "一键修复");

  function renderProblems() {
    const body = problemBox.querySelector(".wg-body");
    if (state.problems === null) { body.innerHTML = "<span class='wg-hint'>正在检查…</span>"; return; }
    if (!state.problems.length) { body.innerHTML = "<span class='wg-ok-text'>拓扑检查：通过，没有问题</span>"; return; }
    const repairs = state.repairs || [];
    body.innerHTML = "<div>拓扑检查：<b>" + state.problems.length + "</b> 个问题（地图上红色），点击可定位</div>" +
      "<ul class='wg-problem-list'>" + state.problems.map((f, i) => {
        const codes = f.properties.codes || [];
        const fixes = repairs.filter((r) => codes.includes(r.properties.ref));
        return "<li><a href='#' data-problem='" + i + "'>" + escape(problemText(f)) + "</a>" +
          (f.properties.area_m2 ? "（约 " + Number(f.properties.area_m2).toFixed(1) + " m²）" : "") +
          fixes.map((r) => " <button name='repair' data-repair='" + escape(r.id) + "'>" +
            escape(repairText(r)) + "</button>").join("") + "</li>";
      }).join("") + "</ul>" +
      (repairs.length > 1 ? "<button name='repair-all'>全部一键修复（" + repairs.length + " 项）</button>" : "");
  }
  ctx.renders.push(renderProblems);
  problemBox.addEventListener("click", (e) => {
    const link = e.target.closest("a[data-problem]");
    if (link) { e.preventDefault(); zoomTo(state.problems[Number(link.dataset.problem)]); return; }
    const button = e.target.closest("button[name=repair], button[name=repair-all]");
    if (!button) { return; }
    const ids = button.name === "repair-all" ? state.repairs.map((r) => r.id) : [button.dataset.repair];
    button.disabled = true;
    ctx.say("正在修复…", true);
    send("POST", "/plans/" + state.plan + "/repairs/apply", { ids }).then((r) => {
      if (!r.ok) { ctx.say("修复失败：" + errorOf(r)); return ctx.reload(); }
      ctx.say("已修复：" + r.data.changed.map(nameOf).join("、"), true);
      return ctx.reload();
    });
  });

  function zoomTo(problem) {
    state.zoomedProblem = problem;
    if (problem.geometry) {
      map.fitBounds(L.geoJSON(problem).getBounds().pad(2), { maxZoom: 18, animate: false });
      return;
    }
    const areas = (problem.properties.codes || []).map((c) => state.byRef.get(c)).filter(Boolean);
    if (areas.length) { map.fitBounds(L.geoJSON({ type: "FeatureCollection", features: areas }).getBounds(), { animate: false }); }
  }

  /* --- impact ------------------------------------------------------------------------------- */
  const impactBox = ctx.section("impact", "影响（发布后哪些事件和人员换网格）");
  const MEMBER_KINDS = { leader: "包联领导", instructor: "部门指导员", grid_worker: "网格员", party_member: "党员" };
  const SHOWN = 30;
  /* The impact's warnings in Chinese (the API gives them in English for its clients). */
  function warningText(w) {
    let m = /^grid (\S+) would have no grid worker/.exec(w);
    if (m) { return "网格“" + nameOf(m[1]) + "”将没有网格员，请指派"; }
    m = /^micro-grid (\S+) would have no party member/.exec(w);
    if (m) { return "微网格“" + nameOf(m[1]) + "”内没有居住的党员"; }
    m = /^grid (\S+) would hold (\d+) households, far (below|above) the (urban|rural) norm of (\d+)\D(\d+)/.exec(w);
    if (m) {
      return "网格“" + nameOf(m[1]) + "”将有 " + m[2] + " 户，远" + (m[3] === "below" ? "低于" : "高于") +
        (m[4] === "urban" ? "城镇社区" : "农村牧区") + "网格 " + m[5] + "–" + m[6] + " 户的标准";
    }
    return "另有一条提示，请联系管理员查看";
  }
  /* Where an incident or member is or goes: its grid's name when the impact names the grid
   * (the hands it changes), else its area's. */
  const where = (grid, area) => (grid ? nameOf(grid) : nameOf(area));
  /* Whether an incident or member changes hands (its grid changes); without grids in the
   * impact, any move counts. */
  const handed = (x) => !x.from_grid || !x.to_grid || x.from_grid !== x.to_grid;
  function rows(list, cells) {
    return list.slice(0, SHOWN).map((x) => "<tr>" + cells(x).map((c) => "<td>" + escape(c) + "</td>").join("") +
      "</tr>").join("");
  }
  function renderImpact() {
    const body = impactBox.querySelector(".wg-body");
    const impact = state.impact;
    if (impact === null) { body.innerHTML = "<span class='wg-hint'>正在计算…</span>"; return; }
    if (impact.error) { body.textContent = "计算失败：" + impact.error; return; }
    const areas = impact.areas;
    const warnings = impact.warnings_zh || impact.warnings.map(warningText);
    const incidents = impact.incidents.filter(handed);
    const members = impact.members.filter(handed);
    const recoded = impact.incidents.length - incidents.length + impact.members.length - members.length;
    body.innerHTML = "<table class='wg-impact-summary'><tbody>" +
      "<tr><td>变动区域</td><td class='wg-num'>" + (areas.changed.length + areas.new.length) + " 个（停用 " +
        areas.retired.length + " 个）</td></tr>" +
      "<tr><td>未办结事件换网格</td><td class='wg-num'>" + incidents.length + " 件</td></tr>" +
      "<tr><td>成员换网格</td><td class='wg-num'>" + members.length + " 人</td></tr></tbody></table>" +
      (recoded ? "<div class='wg-hint'>另有 " + recoded + " 条事件或成员只是所在微网格换了编号，网格不变。</div>" : "") +
      (warnings.length ? "<div class='wg-warnings'><b>提示</b><ul>" +
        warnings.map((w) => "<li class='wg-flag'>" + escape(w) + "</li>").join("") + "</ul></div>" : "") +
      (incidents.length ? "<table class='wg-impact-incidents'><thead><tr><th>事件</th><th>原网格</th>" +
        "<th>新网格</th></tr></thead><tbody>" +
        rows(incidents, (i) => [i.code, where(i.from_grid, i.from), where(i.to_grid, i.to)]) + "</tbody></table>" : "") +
      (members.length ? "<table class='wg-impact-members'><thead><tr><th>成员</th><th>身份</th><th>原网格</th>" +
        "<th>新网格</th></tr></thead><tbody>" + rows(members, (m) => [m.name, MEMBER_KINDS[m.kind] || "成员",
        where(m.from_grid, m.from), where(m.to_grid, m.to)]) + "</tbody></table>" : "") +
      (incidents.length > SHOWN || members.length > SHOWN ? "<div class='wg-hint'>每类只列出前 " + SHOWN + " 条</div>" : "");
  }
  ctx.renders.push(renderImpact);

  /* --- publication ------------------------------------------------------------------------ */
  const publishBox = ctx.section("publish", "发布");
  publishBox.querySelector(".wg-body").innerHTML =
    "<div class='wg-row'><button name='publish' class='wg-primary'>发布为新版本…</button>" +
    "<span class='wg-why'></span></div><div class='wg-published'></div>";
  const publishButton = publishBox.querySelector("button[name=publish]");

  function changes(summary) {
    return Object.values(summary.levels || {}).reduce((n, c) => n + c.changed + c.new + c.retired, 0);
  }
  /* Why the draft cannot be published now, or "" when it can. */
  function blocked() {
    const plan = state.summary;
    if (!plan) { return "加载中…"; }
    if (plan.status !== "draft") { return plan.status === "scheduled" ? "已排定生效" : "已发布"; }
    if (plan.stale) { return "草案已过期：之后又发布了新版本，请新建草案"; }
    if (state.busy) { return "正在保存…"; }
    if (state.problems === null) { return "正在检查…"; }
    if (state.problems.length) { return "还有 " + state.problems.length + " 个拓扑问题"; }
    if (!changes(plan)) { return "草案还没有任何改动"; }
    return "";
  }
  function renderPublish() {
    const why = blocked();
    publishButton.disabled = Boolean(why);
    publishBox.querySelector(".wg-why").textContent = why;
    const done = state.published;
    publishBox.querySelector(".wg-published").innerHTML = done ? "<div class='wg-ok-text'>" +
      (done.status === "scheduled" ? "已排定：第 " + done.generation + " 版将于 " +
        escape(window.wangge.chinaTime(done.effective_at)) + " 生效" : "已发布为第 " + done.generation + " 版，立即生效") +
      "，转移事件 " + done.incidents.length + " 件，成员调整 " + done.members.length + " 人。</div>" +
      "<a class='wg-command-link' href='/maps/command'>到指挥中心地图查看新网格</a>" : "";
  }
  ctx.renders.push(renderPublish);
  publishButton.addEventListener("click", confirmPublish);

  const today = () => new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10);
  function confirmPublish() {
    const impact = state.impact;
    const dialog = document.createElement("div");
    dialog.className = "wg-plan-dialog";
    dialog.innerHTML = "<div role='dialog' aria-modal='true' aria-labelledby='wg-publish-title'>" +
      "<h2 id='wg-publish-title'>确认发布</h2>" +
      "<p>将把草案“" + escape(state.summary.scope.name) + "”发布为新的网格划分版本。" +
      (impact && !impact.error ? "未办结事件换网格 " + impact.incidents.filter(handed).length + " 件，成员换网格 " +
        impact.members.filter(handed).length + " 人。" : "") + "发布后不能撤回。</p>" +
      "<label for='wg-effective'>生效日期（北京时间）</label> " +
      "<input id='wg-effective' type='date' min='" + today() + "' value='" + today() + "'>" +
      "<div class='wg-hint'>选今天：立即生效；选以后的日期：当日零时起生效。</div>" +
      "<div class='wg-msg'></div>" +
      "<div class='wg-row'><button name='cancel'>取消</button><button name='confirm' class='wg-primary'>确认发布</button></div></div>";
    document.body.appendChild(dialog);
    const close = () => dialog.remove();
    dialog.querySelector("button[name=cancel]").addEventListener("click", close);
    dialog.querySelector("button[name=confirm]").addEventListener("click", (e) => {
      const date = dialog.querySelector("#wg-effective").value;
      if (!date || date < today()) { dialog.querySelector(".wg-msg").textContent = "请选择今天或以后的日期"; return; }
      e.target.disabled = true;
      publish(date === today() ? null : date + "T00:00:00").then((error) => {
        if (error) { dialog.querySelector(".wg-msg").textContent = error; e.target.disabled = false; return; }
        close();
      });
    });
  }
  /* Publish effective at `when` (China time, no offset) or now; resolves to an error text or "". */
  function publish(when) {
    state.busy = true;
    ctx.say("正在发布…", true);
    return send("POST", "/plans/" + state.plan + "/publish", when ? { effective_at: when } : {}).then((r) => {
      state.busy = false;
      if (!r.ok) {
        const text = "发布失败：" + errorOf(r);
        ctx.say(text);
        ctx.render();
        return text;
      }
      state.published = r.data;
      ctx.say(r.data.status === "scheduled" ? "已排定生效" : "已发布为第 " + r.data.generation + " 版", true);
      return getJSON("/plans/" + state.plan).then((summary) => { state.summary = summary; ctx.render(); return ""; });
    });
  }

  /* Ask again for everything said about the draft. */
  function review() {
    const plan = "/plans/" + state.plan;
    const steps = [
      getJSON(plan + "/check").then((fc) => {
        state.problems = fc.features;
        problemLayer.clearLayers();
        fc.features.filter((f) => f.geometry).forEach((f) => problemLayer.addData(f));
      }),
      getJSON(plan + "/repairs").then((fc) => { state.repairs = fc.features; }, () => { state.repairs = []; }),
      getJSON(plan + "/impact").then((impact) => { state.impact = impact; },
        (e) => { state.impact = { error: e.message }; }),
      workload.load(),
    ];
    return Promise.all(steps.map((p) => p.then(ctx.render))).catch((e) => {
      ctx.say("检查失败：" + e.message);
      ctx.render();
    });
  }

  return { review, refText };
}
