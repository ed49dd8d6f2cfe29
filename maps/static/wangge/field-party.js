/* 达拉特红 on 我的网格, for a party member: their points this year, 在线报到 if they have not
 * reported in, the community's open tasks with a 认领 button and the tasks they hold. Every
 * answer comes from /api/v1/party (names masked there). Shown only when the page is the signed-in
 * party member's own. State for tests: window.wanggePartyState. */
"use strict";

function wanggeFieldParty(map, cfg) {
  const { escape, getJSON } = window.wangge;
  const api = cfg.api + "/party";
  const state = { points: null, open: [], mine: [], claims: 0, message: "", expanded: false };
  window.wanggePartyState = state;

  const panel = L.control({ position: "topright" });
  panel.onAdd = () => {
    const div = L.DomUtil.create("div", "wg-panel wg-party");
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    div.addEventListener("click", (e) => {
      // the panel is redrawn under the click: Leaflet could no longer tell it was on a control
      e.stopPropagation();
      const button = e.target.closest("button[data-do]");
      if (button && button.dataset.do === "toggle") {
        state.expanded = !state.expanded;
        render();
      } else if (button) {
        act(button.dataset.do, button.dataset.task);
      }
    });
    return div;
  };
  panel.addTo(map);
  const box = () => document.querySelector(".wg-party");

  const post = (url, body) => getJSON(url, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}),
  });

  function render() {
    const p = state.points;
    const summary = p ? " " + escape(p.points) + "分 · 待认领" + escape(state.open.length) + "项" : "";
    const head = "<button type='button' class='wg-party-head' data-do='toggle' aria-expanded='" + state.expanded +
      "'>达拉特红" + summary + (state.expanded ? " ▴" : " ▾") + "</button>" +
      (state.message ? "<div class='wg-party-msg'>" + escape(state.message) + "</div>" : "");
    if (!p || !state.expanded) {
      box().innerHTML = head + (p ? "" : "<div>" + escape(state.message ? "" : "加载中…") + "</div>");
      return;
    }
    const points = "<div class='wg-party-points'><span>" + escape(p.year) + "年积分</span> <b>" + escape(p.points) +
      "</b> <small>基础" + escape(p.base) + "，完成" + escape(p.completed) + "项，未到岗" + escape(p.no_shows) + "次</small></div>";
    const register = p.registered ? "" : "<button type='button' data-do='register'>在线报到</button>";
    const row = (t, button) => "<li><span>" + escape(t.title) + "</span> <small>" + escape(t.community.name) +
      (t.starts_at ? " · " + escape(window.wangge.chinaTime(t.starts_at)) : "") + "</small>" + button + "</li>";
    const open = state.open.length ? "<ol>" + state.open.map((t) => row(t,
      p.registered ? " <button type='button' data-do='claim' data-task='" + escape(t.id) + "'>认领</button>" : "")).join("") + "</ol>"
      : "<div>暂无待认领的任务</div>";
    const mine = state.mine.length ? "<b>我认领的任务</b><ol>" + state.mine.map((t) => row(t, "")).join("") + "</ol>" : "";
    box().innerHTML = head + points + register + "<b>社区任务</b>" + open + mine;
  }

  function load() {
    return Promise.all([
      getJSON(api + "/points"),
      getJSON(api + "/tasks?" + new URLSearchParams({ state: "open", limit: "5" })),
      getJSON(api + "/tasks?" + new URLSearchParams({ state: "claimed", limit: "50" })),
    ]).then(([points, open, claimed]) => {
      state.points = points;
      state.open = open;
      state.mine = claimed.filter((t) => t.claim && t.claim.member.id === points.member.id);
      render();
    }).catch((error) => { state.message = error.message; render(); });
  }

  function act(what, task) {
    const done = what === "register" ? post(api + "/registrations") : post(api + "/tasks/" + task + "/claims");
    done.then(() => {
      state.message = what === "register" ? "报到成功" : "认领成功";
      return load();
    }).then(() => {
      if (what === "claim") { state.claims += 1; }
    }).catch((error) => { state.message = error.message; render(); });
  }

  /* only the party member's own account has points and may claim: anyone else viewing the
   * member's page (a township officer) sees no panel and asks nothing it would be refused */
  getJSON(cfg.api + "/auth/me").then((me) => {
    if (me.role !== "party_member" || me.member_id !== cfg.member) {
      panel.remove();
      state.hidden = true;
      return;
    }
    render();
    load();
  });
}
