/* 指挥中心地图, the case panel: one drawer on the right that shows either the 时限督办 list
 * (the cases of the chosen filter, most overdue first) or one case: what it is, where, who
 * holds it at which level, its urgency and card, its deadlines with the time left, the
 * actions the signed-in role may take now (`actions` of GET /api/v1/incidents/{code}, each
 * with its form, sent with If-Match by actions.js) and its trail, newest first, with photos.
 *
 * A stale version (412) reloads the case and says so; a refused action (409) shows the reason
 * in Chinese. A `changed` event for the open case reloads it, unless a form is being filled
 * (the 412 then catches a change the form did not see). */
"use strict";

const WG_MINUTE = 60 * 1000;

/* "2 小时 15 分", "3 天 4 小时", "40 分": a span as the panel says it. */
function wgCaseSpan(ms) {
  const minutes = Math.max(1, Math.floor(Math.abs(ms) / WG_MINUTE));
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days) { return days + " 天" + (hours ? " " + hours + " 小时" : ""); }
  return hours ? hours + " 小时" + (minutes % 60 ? " " + (minutes % 60) + " 分" : "") : minutes + " 分";
}

/* The time left to `deadline`: "剩余 2 小时 15 分" or "已超期 3 天", with its class. */
function wgTimeLeft(deadline, now) {
  const left = Date.parse(deadline) - now;
  if (left < 0) { return { cls: "wg-overdue", text: "已超期 " + wgCaseSpan(left) }; }
  return { cls: left < 24 * 60 * WG_MINUTE ? "wg-due-soon" : "", text: "剩余 " + wgCaseSpan(left) };
}

function wanggeCommandCase(map, cfg, page) {
  const { state, getJSON } = page;
  const { escape, chinaTime } = window.wangge;
  const { STEP, LEVEL, CARD } = window.wanggeActions.labels;
  const status = cfg.status;
  const family = {};
  status.families.forEach((f) => f.statuses.forEach((s) => { family[s] = f; }));
  const KIND = { reported: "上报", reassigned: "重新分派", supervision: "督办" };
  const DELAY = { applied: "已申请延期", approved: "延期已批准", rejected: "延期被驳回" };
  const CLOSED = ["closed", "evaluated", "void"];

  const panel = document.createElement("aside");
  panel.className = "wg-case-panel wg-command-case";
  panel.hidden = true;
  panel.setAttribute("aria-label", "事件详情");
  document.body.appendChild(panel);
  L.DomEvent.disableClickPropagation(panel);
  L.DomEvent.disableScrollPropagation(panel);
  state.casePanel = panel;
  let list = null;  // {title, features} of the 时限督办 filter, while it is chosen

  function announce(name, detail) {
    document.dispatchEvent(new CustomEvent(name, { detail }));
  }

  function open() {
    panel.hidden = false;
    map.getContainer().classList.add("wg-case-open");
  }

  function close() {
    panel.hidden = true;
    panel.innerHTML = "";
    map.getContainer().classList.remove("wg-case-open");
    const was = state.open;
    state.open = null;
    state.opening = null;
    if (was) { announce("wangge:case-close", { code: was.code }); }
  }

  function busy() {
    const form = panel.querySelector(".wg-action-form");
    return Boolean(form && !form.hidden);
  }

  /* --- the 时限督办 list ------------------------------------------------------------------ */
  const dueAt = (p) => p.step_due_at || p.deadline_at;

  function showList(title, features) {
    list = { title, features: features.slice().sort((a, b) =>
      (Date.parse(dueAt(a.properties)) || 0) - (Date.parse(dueAt(b.properties)) || 0) || (a.id < b.id ? -1 : 1)) };
    if (!state.open && !state.opening) { renderList(); }
  }

  function hideList() {
    list = null;
    if (!state.open && !state.opening) { close(); }
  }

  function renderList() {
    if (!list) { close(); return; }
    const now = Date.now();
    open();
    panel.innerHTML = "<div class='wg-sheet-head'><h2>" + escape(list.title) + " · " + list.features.length + " 件</h2>" +
      "<button type='button' class='wg-close' aria-label='关闭'>关闭</button></div>" +
      (list.features.length ? "<ul class='wg-due-list'>" + list.features.map((f) => {
        const p = f.properties;
        const left = dueAt(p) ? wgTimeLeft(dueAt(p), now) : { cls: "", text: "" };
        const card = CARD[p.card] ? " <span class='wg-card wg-card-" + escape(p.card) + "'>" + CARD[p.card] + "</span>" : "";
        return "<li data-code='" + escape(f.id) + "'><b>" + escape(f.id) + "</b> " + escape(p.status_label) + card +
          "<div>" + escape(p.category.name) + " · " + escape(p.assignment.queue_area.name) + "</div>" +
          "<div class='" + left.cls + "'>" + escape(left.text) + "</div></li>";
      }).join("") + "</ul>" : "<div class='wg-no-actions'>没有符合条件的事件</div>");
    panel.querySelector(".wg-close").addEventListener("click", () => { page.clearSupervision(); });
    panel.querySelectorAll(".wg-due-list li").forEach((li) => li.addEventListener("click", () => {
      const f = list.features.find((x) => x.id === li.dataset.code);
      // the case in the middle of what the panel leaves visible
      map.setView([f.geometry.coordinates[1], f.geometry.coordinates[0]], Math.max(map.getZoom(), 16), { animate: false });
      map.panBy([panel.offsetWidth / 2, 0], { animate: false });
      show(f.id);
    }));
  }

  /* --- one case ------------------------------------------------------------------------- */
  function show(code, notice, refused) {
    state.opening = code;
    map.closePopup();
    return getJSON(cfg.api + "/incidents/" + encodeURIComponent(code)).then((i) => {
      if (state.opening === code) { render(i, notice, refused); }
    }).catch((error) => {
      if (state.opening !== code) { return; }
      state.opening = null;
      open();
      panel.innerHTML = "<div class='wg-sheet-head'><h2>" + escape(code) + "</h2>" +
        "<button type='button' class='wg-close' aria-label='关闭'>关闭</button></div>" +
        "<div class='wg-problem' role='alert'>" + escape(error.status === 404 ? "找不到该事件，或不在您的管辖范围内" : error.message) + "</div>";
      panel.querySelector(".wg-close").addEventListener("click", close);
    });
  }

  function who(actor) {
    return actor === "system" ? "系统" : cfg.roles[actor] || actor || "";
  }

  function department(code) {
    return cfg.departments[code] || code;
  }

  function trailHTML(events) {
    return "<ol class='wg-trail'>" + (events || []).slice().reverse().map((e) => {
      const data = e.data || {};
      const what = e.action === "card" && data.card ? (CARD[data.card] || "督办") :
        e.action ? ((cfg.actions[e.action] || {}).label || "办理") : (KIND[e.kind] || "流转");
      const moves = [];
      if (e.from_status && e.to_status && e.from_status !== e.to_status) {
        moves.push(escape(status.labels[e.from_status] || e.from_status) + " → " + escape(status.labels[e.to_status] || e.to_status));
      } else if (e.to_status && !e.from_status) {
        moves.push(escape(status.labels[e.to_status] || e.to_status));
      }
      if (e.from_department && e.to_department && e.from_department !== e.to_department) {
        moves.push("部门：" + escape(department(e.from_department)) + " → " + escape(department(e.to_department)));
      } else if (e.action === "dispatch" && e.to_department) {
        moves.push("派遣至 " + escape(department(e.to_department)));
      }
      const photos = (e.attachments || []).map((a) => {
        const url = cfg.api + "/attachments/" + encodeURIComponent(a.id);
        return "<a href='" + url + "' target='_blank' rel='noopener'><img src='" + url + "' alt='现场照片' loading='lazy'></a>";
      }).join("");
      return "<li><div><b>" + escape(what) + "</b> <small>" + escape(chinaTime(e.at)) + " · " + escape(who(e.actor)) +
        "</small></div>" + moves.map((m) => "<div class='wg-move'>" + m + "</div>").join("") +
        (e.reason && e.reason !== what ? "<div class='wg-reason'>" + escape(e.reason) + "</div>" : "") +
        (photos ? "<div class='wg-photos'>" + photos + "</div>" : "") + "</li>";
    }).join("") + "</ol>";
  }

  function deadlinesHTML(i) {
    const now = Date.now();
    const d = i.deadlines || {};
    const line = (label, at) => {
      if (!at) { return ""; }
      const left = wgTimeLeft(at, now);
      return "<div class='wg-deadline'>" + escape(label) + " " + escape(chinaTime(at)) +
        " <span class='" + left.cls + "'>" + escape(left.text) + "</span></div>";
    };
    if (CLOSED.indexOf(i.status) >= 0) { return "<div class='wg-deadline'>已办结，不再计时</div>"; }
    if (i.status === "hung") { return "<div class='wg-deadline'>已挂账，暂停计时</div>"; }
    return (STEP[d.step] ? "<div class='wg-step'>当前环节：" + STEP[d.step] + "</div>" : "") +
      line("环节时限", d.step_due_at) + line("处置时限", d.deadline_at || i.deadline_at) +
      (DELAY[i.delay_state] ? "<div class='wg-deadline'>" + DELAY[i.delay_state] + "</div>" : "");
  }

  function render(i, notice, refused) {
    state.open = i;
    state.notice = notice ? { text: notice, refused: Boolean(refused) } : null;
    state.opening = null;
    state.lastIncident = i.code;
    open();
    const f = family[i.status];
    const member = i.responsible.member;
    const card = CARD[i.card] ? "<span class='wg-card wg-card-" + escape(i.card) + "'>" + CARD[i.card] + "</span>" : "无";
    const fact = (label, html) => "<dt>" + label + "</dt><dd>" + html + "</dd>";
    panel.innerHTML = "<div class='wg-sheet-head'><h2>" + escape(i.code) + " · " + escape(i.status_label) + "</h2>" +
      "<button type='button' class='wg-close' aria-label='关闭'>关闭</button></div>" +
      (list ? "<button type='button' class='wg-back'>‹ 返回" + escape(list.title) + "列表</button>" : "") +
      (notice ? "<div class='wg-notice" + (refused ? " wg-refused" : "") + "' role='status'>" + escape(notice) + "</div>" : "") +
      "<div class='wg-description'>" + escape(i.description) + "</div><dl class='wg-facts'>" +
      fact("类别", escape(i.category.major_name || "") + " · " + escape(i.category.name)) +
      fact("状态", "<span class='wg-badge' style='background:" + (f ? f.colour : "#333") + "'>" + escape(f ? f.label : "") +
        "</span> " + escape(i.status_label)) +
      fact("承办层级", escape(LEVEL[i.level] || i.level || "")) +
      fact("紧急程度", i.urgent ? "<span class='wg-tag wg-urgent'>紧急</span>" : "一般") +
      fact("督办牌", card) +
      fact("位置", (i.assignment.chain || []).slice(1).map((c) => escape(c.name)).join(" › ") +
        (i.assignment.flagged ? "（需核实）" : "")) +
      fact("责任人", member ? escape(member.name) + " " + escape(member.phone) : "待分派") +
      fact("责任部门", escape(i.responsible.department.name)) +
      fact("上报时间", escape(chinaTime(i.reported_at))) + "</dl>" +
      "<h3>时限</h3>" + deadlinesHTML(i) +
      "<h3>办理</h3><div class='wg-actions'></div>" +
      "<h3>流转记录（" + (i.events || []).length + "）</h3>" + trailHTML(i.events);
    panel.querySelector(".wg-close").addEventListener("click", () => { close(); if (list) { renderList(); } });
    const back = panel.querySelector(".wg-back");
    if (back) { back.addEventListener("click", () => { close(); renderList(); }); }
    window.wanggeActions.render(panel.querySelector(".wg-actions"), i, {
      api: cfg.api, specs: cfg.actions, withPosition: false,
      onDone: (answer, action) => {  // the answer is the case as GET shows it
        state.opening = null;
        render(answer, "已" + action.label + "，当前状态：" + answer.status_label);
        page.recolour({ code: answer.code, status: answer.status });
      },
      onStale: () => show(i.code, "该事件已被他人更新，以下为最新内容"),
      onRefused: (reason) => show(i.code, reason, true),
      statusLabels: status.labels,
    });
    announce("wangge:case-open", { code: i.code, status: i.status });
  }

  /* A `changed` event: the open case is shown as it is now; the notice stays when the status
   * did not change (a card, or the event of the panel's own action). */
  function changed(item) {
    if (state.open && state.open.code === item.code && !busy()) {
      const kept = state.notice || { text: null, refused: false };
      if (item.status !== state.open.status) { show(item.code, "该事件已更新"); } else { show(item.code, kept.text, kept.refused); }
    }
  }

  return { show, close, changed, showList, hideList, busy };
}
