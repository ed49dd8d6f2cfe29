/* 网格调整, the workload panel: per grid of the draft its households, population, open and
 * yearly cases and members, before → after, flagged against the norms (GET …/workload).
 * "建议均衡划分" asks for a balanced split of the ticked grids (POST …/suggest-balance; with
 * one grid ticked POST …/suggest-split), shows the proposed moves as a list with checkboxes
 * and on the map, and applies the ticked ones through /move (or POST …/apply-split). */
"use strict";

function wanggePlanWorkload(ctx) {
  const { state, escape, getJSON, send, errorOf, nameOf } = ctx;
  const FIGURES = [["households", "户数"], ["population", "人口"], ["open_cases", "未办结"],
    ["cases_year", "年事件"], ["members", "成员"]];
  const FLAGS = { too_small: "户数偏少", too_large: "户数偏多" };
  const MEASURES = { households: "户数", population: "人口", cases_year: "年度事件数" };
  const box = ctx.section("workload", "工作量（调整前 → 调整后）");
  box.querySelector(".wg-body").innerHTML = "<div class='wg-norms wg-hint'></div><div class='wg-table'></div>" +
    "<div class='wg-row'><label>均衡依据 <select name='measure'>" +
    Object.entries(MEASURES).map(([k, v]) => "<option value='" + k + "'>" + v + "</option>").join("") +
    "</select></label><label>拆成 <input type='number' name='parts' min='2' max='6' value='2' style='width: 3em'> 份</label></div>" +
    "<div class='wg-row'><button name='suggest'>建议均衡划分</button>" +
    "<span class='wg-hint'>勾选两个以上网格时均衡它们之间的负荷，只勾选一个网格时建议拆分它。</span></div>" +
    "<div class='wg-proposal'></div>";
  const body = box.querySelector(".wg-body");
  const ticked = new Set();
  state.workload = null;

  function load() {
    return getJSON("/plans/" + state.plan + "/workload").then((w) => { state.workload = w; },
      (e) => { state.workload = { error: e.message }; });
  }

  function cell(grid, key) {
    const now = grid[key];
    const was = grid.before ? grid.before[key] : null;
    if (grid.before === null || grid.before === undefined) { return now + "<span class='wg-hint'>（新）</span>"; }
    return was === now ? String(now) : was + " → <b>" + now + "</b>";
  }

  function render() {
    const w = state.workload;
    const table = body.querySelector(".wg-table");
    if (w === null) { table.innerHTML = "<span class='wg-hint'>正在计算…</span>"; return; }
    if (w.error) { table.textContent = "计算失败：" + w.error; return; }
    const urban = w.norms.urban;
    body.querySelector(".wg-norms").textContent = "标准：城镇社区网格 " + urban[0] + "–" + urban[1] +
      " 户，农村牧区网格约 " + w.norms.rural + " 户";
    table.innerHTML = "<table class='wg-workload-table'><thead><tr><th></th><th>网格</th>" +
      FIGURES.map(([, label]) => "<th class='wg-num'>" + label + "</th>").join("") + "<th>评估</th></tr></thead><tbody>" +
      w.grids.map((g) => "<tr data-ref='" + escape(g.ref) + "'" + (g.flag ? " class='wg-row-flag'" : "") + ">" +
        "<td><input type='checkbox' name='grid' value='" + escape(g.ref) + "'" + (ticked.has(g.ref) ? " checked" : "") +
        " aria-label='选中" + escape(g.name) + "'></td><td>" + escape(g.name) +
        "<span class='wg-hint'>（" + (g.kind === "urban" ? "城镇" : "农村牧区") + "）</span></td>" +
        FIGURES.map(([key]) => "<td class='wg-num'>" + cell(g, key) + "</td>").join("") +
        "<td>" + (g.flag ? "<span class='wg-flag'>" + FLAGS[g.flag] + "</span>" : "正常") + "</td></tr>").join("") +
      "</tbody></table>";
  }
  ctx.renders.push(render);
  body.addEventListener("change", (e) => {
    if (e.target.name !== "grid") { return; }
    if (e.target.checked) { ticked.add(e.target.value); } else { ticked.delete(e.target.value); }
  });

  /* --- the suggestion ------------------------------------------------------------------- */
  body.querySelector("button[name=suggest]").addEventListener("click", () => {
    const chosen = state.mode === "grid" && !ticked.size ? state.selected : ticked;
    const grids = [...chosen].filter((r) => state.byRef.has(r));
    const measure = body.querySelector("select[name=measure]").value;
    if (!grids.length) { ctx.say("请先在工作量表中勾选网格（或按网格选择）"); return; }
    ctx.say("正在计算建议…", true);
    const plan = "/plans/" + state.plan;
    const asked = grids.length === 1 ?
      send("POST", plan + "/suggest-split", { grid: grids[0], measure,
        parts: Number(body.querySelector("input[name=parts]").value) }) :
      send("POST", plan + "/suggest-balance", { grids, measure });
    asked.then((r) => {
      if (!r.ok) { ctx.say("无法给出建议：" + errorOf(r)); return; }
      state.proposal = grids.length === 1 ? { split: r.data, grid: grids[0], measure } : { balance: r.data, measure };
      const byRef = new Map();
      if (r.data.moves) { r.data.moves.forEach((m) => byRef.set(m.ref, m.to)); }
      if (r.data.parts) { r.data.parts.slice(1).forEach((p, i) => p.micro_grids.forEach((ref) => byRef.set(ref, i + 2))); }
      state.proposal.byRef = byRef;
      ctx.say("已给出建议，请在下方勾选要采用的调整", true);
      ctx.restyle();
      renderProposal();
    });
  });

  const spread = (x) => (x === null || x === undefined ? "—" : (100 * x).toFixed(1) + "%");
  function renderProposal() {
    const div = body.querySelector(".wg-proposal");
    const p = state.proposal;
    if (!p) { div.innerHTML = ""; return; }
    const measure = MEASURES[p.measure];
    if (p.balance) {
      const b = p.balance;
      div.innerHTML = "<b>均衡建议</b>（按" + measure + "；差异度 " + spread(b.spread_before) + " → " + spread(b.spread_after) + "）" +
        (b.moves.length ? "<ul class='wg-moves'>" + b.moves.map((m, i) => "<li><label><input type='checkbox' name='move' value='" +
          i + "' checked> " + escape(nameOf(m.ref)) + "：" + escape(nameOf(m.from)) + " → " + escape(nameOf(m.to)) +
          "</label></li>").join("") + "</ul>" : "<div class='wg-hint'>已经很均衡，无需调整</div>") +
        "<table><thead><tr><th>网格</th><th class='wg-num'>调整前</th><th class='wg-num'>建议后</th></tr></thead><tbody>" +
        Object.keys(b.loads_before).map((ref) => "<tr><td>" + escape(nameOf(ref)) + "</td><td class='wg-num'>" +
          b.loads_before[ref] + "</td><td class='wg-num'>" + b.loads_after[ref] + "</td></tr>").join("") + "</tbody></table>";
    } else {
      const s = p.split;
      div.innerHTML = "<b>拆分建议</b>（按" + measure + "；差异度 " + spread(s.spread) + "）<ol class='wg-parts'>" +
        s.parts.map((part, i) => "<li>" + (i === 0 ? "留在" + escape(nameOf(p.grid)) : "新网格 " + i) + "：" +
          part.micro_grids.length + " 个微网格，" + measure + " " + part.load + "</li>").join("") + "</ol>";
    }
    div.innerHTML += "<div class='wg-row'><button name='apply' class='wg-primary'>" +
      (p.balance ? "采用所勾选的调整" : "采用拆分") + "</button><button name='drop'>放弃建议</button></div>";
  }
  ctx.renders.push(() => { if (!state.proposal) { body.querySelector(".wg-proposal").innerHTML = ""; } });

  body.querySelector(".wg-proposal").addEventListener("click", (e) => {
    if (e.target.name === "drop") { drop(); return; }
    if (e.target.name !== "apply") { return; }
    e.target.disabled = true;
    const p = state.proposal;
    const done = p.balance ? applyMoves(p.balance.moves.filter((m, i) =>
      body.querySelector("input[name=move][value='" + i + "']").checked)) :
      send("POST", "/plans/" + state.plan + "/apply-split", { grid: p.grid,
        version: state.byRef.get(p.grid).properties.version,
        parts: p.split.parts.map((part) => part.micro_grids) }).then((r) => (r.ok ? "" : errorOf(r)));
    done.then((error) => {
      if (error) { ctx.say("采用失败：" + error); } else { ctx.say(p.balance ? "已采用所勾选的调整" : "已拆分网格", true); }
      drop();
      return ctx.reload();
    });
  });
  /* The ticked moves through /move, one call per target grid; resolves to an error text or "". */
  function applyMoves(moves) {
    const byTarget = new Map();
    moves.forEach((m) => byTarget.set(m.to, (byTarget.get(m.to) || []).concat([m.ref])));
    return [...byTarget].reduce((chain, [to, refs]) => chain.then((error) => (error ? error :
      ctx.move(refs, to).then((r) => (r.ok ? "" : errorOf(r))))), Promise.resolve(""));
  }
  function drop() {
    state.proposal = null;
    ctx.restyle();
    renderProposal();
  }

  return { load };
}
