/* 指挥中心地图, the case panel's whistle part (街道吹哨、部门报到, WORKFLOW.md §3): under 办理 a
 * section 吹哨 listing the case's whistles with their departments' attendance, 解除 (release)
 * while open and 评分 (一哨一考核: 报到效率, 办理情况, 结果满意度, 0–100 with a reason) once
 * released, and for a role that may blow a 吹哨 button with its form: type, 主办 and 协办
 * departments (the whistle API's suggestion preselected), reason, meeting point (the case's
 * place by default). A dispute (category 01) gets a link to its mediation file.
 *
 * It adds itself to the panel command-case.js draws, each time the panel shows a case
 * (`wangge:case-open`); the whistle layer (command-whistle.js) redraws from the stream. */
"use strict";

(() => {
  const API = "/api/v1";
  const BLOWERS = ["admin", "command", "township", "department"];
  const KINDS = { beyond_township: "群众诉求（超出镇级权限）", joint_enforcement: "联合执法", emergency: "应急处置" };
  const CRITERIA = { efficiency: "报到效率", handling: "办理情况", satisfaction: "结果满意度" };
  const STATUS = { open: "进行中", released: "已解哨", closed: "已结束（事件办结）" };
  const ATTENDANCE = { arrived: "已到", late: "迟到", awaiting: "未到", absent: "未到" };
  const CLOSED = ["closed", "evaluated", "void"];
  let me = null;
  let live = () => {};  // reloads the shown case's whistles (a stream `whistle` event)

  function send(url, body) {
    return window.wangge.getJSON(url, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body || {}),
    });
  }

  function whistleHTML(w, escape, chinaTime) {
    const attended = w.departments.filter((d) => d.arrived_at);
    const scored = w.scores.length > 0;
    const depts = w.departments.map((d) => "<li data-dept='" + escape(d.code) + "' data-state='" + escape(d.attendance) +
      "'>" + escape(d.name) + (d.lead ? "（主办）" : "（协办）") + " " + ATTENDANCE[d.attendance] + "</li>").join("");
    const names = {};
    w.departments.forEach((d) => { names[d.code] = d.name; });
    const scores = w.scores.map((s) => "<li>" + escape(names[s.department_code] || s.department_code) + " " + escape(s.criterion_label) +
      " " + s.score + " 分</li>").join("");
    const buttons = w.status === "open" ? "<button type='button' class='wg-wh-release'>解除</button>" :
      w.status === "released" && !scored && attended.length ? "<button type='button' class='wg-wh-score'>评分</button>" : "";
    return "<div class='wg-case-whistle' data-whistle='" + w.id + "' data-status='" + escape(w.status) + "'>" +
      "<div><b>" + escape(w.kind_label) + "</b> · " + STATUS[w.status] + " <small>" + escape(chinaTime(w.blown_at)) +
      "</small></div><ul class='wg-wh-depts'>" + depts + "</ul>" +
      (scores ? "<ul class='wg-wh-scores'>" + scores + "</ul>" : "") + buttons + "<div class='wg-wh-form'></div></div>";
  }

  function scoreForm(w, escape) {
    const rows = w.departments.filter((d) => d.arrived_at).map((d) => "<fieldset data-dept='" + escape(d.code) + "'><legend>" +
      escape(d.name) + "</legend>" + Object.keys(CRITERIA).map((c) => "<label>" + CRITERIA[c] +
        " <input type='number' min='0' max='100' step='1' required name='" + c + "'></label>").join("") + "</fieldset>").join("");
    return "<form class='wg-wh-score-form'>" + rows + "<label>评分理由 <textarea name='reason' required maxlength='2000'></textarea></label>" +
      "<button type='submit'>提交评分</button> <button type='button' class='wg-wh-cancel'>取消</button>" +
      "<div class='wg-wh-problem' role='alert'></div></form>";
  }

  function blowForm(suggestion, departments, escape) {
    const options = (selected) => Object.keys(departments).map((code) => "<option value='" + escape(code) + "'" +
      (code === selected ? " selected" : "") + ">" + escape(departments[code]) + "</option>").join("");
    const assisting = Object.keys(departments).map((code) => "<label class='wg-wh-assist'><input type='checkbox' name='assisting' value='" +
      escape(code) + "'" + (suggestion.assisting_departments.indexOf(code) >= 0 ? " checked" : "") + "> " +
      escape(departments[code]) + "</label>").join("");
    return "<form class='wg-wh-blow-form'><label>类型 <select name='kind'>" + Object.keys(KINDS).map((k) =>
      "<option value='" + k + "'>" + KINDS[k] + "</option>").join("") + "</select></label>" +
      "<label>主办部门 <select name='lead'>" + options(suggestion.lead_department) + "</select></label>" +
      "<div class='wg-wh-assisting'>协办部门 " + assisting + "</div>" +
      "<label>吹哨事由 <textarea name='reason' required maxlength='2000'></textarea></label>" +
      "<label>集合地点 <select name='meeting'><option value='point'>事件位置</option>" +
      "<option value='area'>事件所在网格</option></select></label>" +
      "<button type='submit'>吹哨</button> <button type='button' class='wg-wh-cancel'>取消</button>" +
      "<div class='wg-wh-problem' role='alert'></div></form>";
  }

  function attach(state, cfg, incident) {
    const panel = state.casePanel;
    const { escape, chinaTime, getJSON } = window.wangge;
    const anchor = panel && panel.querySelector(".wg-actions");
    if (!anchor || panel.querySelector(".wg-case-whistles")) { return; }
    const section = document.createElement("section");
    section.className = "wg-case-whistles";
    section.dataset.code = incident.code;
    anchor.after(section);
    const mayBlow = me && BLOWERS.indexOf(me.role) >= 0 && CLOSED.indexOf(incident.status) < 0;
    const mediation = (incident.category.major_code || "").slice(0, 2) === "01" || incident.category.code.slice(0, 2) === "01";
    let whistles = [];

    function draw(notice) {
      section.innerHTML = "<h3>吹哨（" + whistles.length + "）</h3>" +
        (notice ? "<div class='wg-notice' role='status'>" + escape(notice) + "</div>" : "") +
        whistles.map((w) => whistleHTML(w, escape, chinaTime)).join("") +
        (mayBlow ? "<button type='button' class='wg-wh-blow'>吹哨</button><div class='wg-wh-form wg-wh-new'></div>" : "") +
        (mediation ? "<p><a class='wg-mediation-file' href='/maps/mediation?case=" + encodeURIComponent(incident.code) +
          "'>调解卷宗</a></p>" : "");
    }

    let shown = null;  // the last notice, kept when the stream reloads the list
    function load(notice) {
      if (notice !== undefined) { shown = notice; }
      return getJSON(API + "/whistles?code=" + encodeURIComponent(incident.code)).then((body) => {
        whistles = body.items;
        if (section.isConnected) { draw(shown); }
      }).catch((error) => { section.innerHTML = "<div class='wg-problem' role='alert'>" + escape(error.message) + "</div>"; });
    }

    function done(promise, form, notice) {
      const problem = form && form.querySelector(".wg-wh-problem");
      return promise.then((w) => {
        if (state.whistles) { state.whistles.refresh(w.id); }
        return load(notice);
      }).catch((error) => {
        if (problem) { problem.textContent = error.message; } else { load(error.message); }
      });
    }

    section.addEventListener("click", (e) => {
      const box = e.target.closest(".wg-case-whistle");
      const w = box && whistles.find((x) => x.id === Number(box.dataset.whistle));
      if (e.target.closest(".wg-wh-cancel")) { e.target.closest(".wg-wh-form").innerHTML = ""; return; }
      if (e.target.closest(".wg-wh-release") && w) {
        done(send(API + "/whistles/" + w.id + "/release"), null, "已解哨，可为到场部门评分");
      } else if (e.target.closest(".wg-wh-score") && w) {
        box.querySelector(".wg-wh-form").innerHTML = scoreForm(w, escape);
      } else if (e.target.closest(".wg-wh-blow")) {
        getJSON(API + "/whistles/suggestion?code=" + encodeURIComponent(incident.code)).then((s) => {
          section.querySelector(".wg-wh-new").innerHTML = blowForm(s, Object.assign({}, cfg.departments), escape);
          section.querySelector(".wg-wh-new").dataset.lon = s.point.lon;
          section.querySelector(".wg-wh-new").dataset.lat = s.point.lat;
          const own = section.querySelector(".wg-wh-new [name=assisting][value='" + CSS.escape(s.lead_department) + "']");
          if (own) { own.disabled = true; }
        }).catch((error) => load(error.message));
      }
    });

    section.addEventListener("change", (e) => {  // the 主办 is not also a 协办
      if (e.target.name !== "lead") { return; }
      e.target.form.querySelectorAll("[name=assisting]").forEach((c) => {
        c.disabled = c.value === e.target.value;
        if (c.disabled) { c.checked = false; }
      });
    });

    section.addEventListener("submit", (e) => {
      e.preventDefault();
      const form = e.target;
      const box = form.closest(".wg-case-whistle");
      if (form.classList.contains("wg-wh-score-form")) {
        const reason = form.elements.reason.value.trim();
        const scores = [];
        form.querySelectorAll("fieldset").forEach((f) => Object.keys(CRITERIA).forEach((c) => scores.push({
          department_code: f.dataset.dept, criterion: c, score: Number(f.querySelector("[name=" + c + "]").value), reason,
        })));
        done(send(API + "/whistles/" + box.dataset.whistle + "/scores", { scores }), form, "评分已提交");
        return;
      }
      const holder = form.closest(".wg-wh-new");
      const lead = form.elements.lead.value;
      const body = {
        code: incident.code, kind: form.elements.kind.value, reason: form.elements.reason.value.trim(),
        lead_department: lead,
        assisting_departments: [...form.querySelectorAll("[name=assisting]:checked")].map((c) => c.value).filter((c) => c !== lead),
      };
      if (form.elements.meeting.value === "point") {
        Object.assign(body, { lon: Number(holder.dataset.lon), lat: Number(holder.dataset.lat), datum: "cgcs2000" });
      }
      done(send(API + "/whistles", body), form, "已吹哨，等待部门报到");
    });

    draw();
    load();
    live = () => { if (section.isConnected && !section.querySelector("form")) { load(); } };
  }

  function start(state) {
    const cfg = { departments: state.departments || {} };
    window.wangge.getJSON(API + "/auth/me").then((account) => { me = account; }).catch(() => { me = null; }).then(() => {
      document.addEventListener("wangge:case-open", () => {
        if (state.open) { attach(state, cfg, state.open); }
      });
      if (state.open) { attach(state, cfg, state.open); }
      listen(state, 600);
      document.body.dataset.whistleForm = "ready";
    });
  }

  /* The stream (command-live.js) may open after the panel: its whistle events reload the list. */
  function listen(state, tries) {
    if (state.stream) { state.stream.addEventListener("whistle", () => live()); return; }
    if (tries > 0) { setTimeout(() => listen(state, tries - 1), 100); }
  }

  function whenReady(tries) {
    const state = window.wanggeState;
    if (state && state.casePanel) { start(state); return; }
    if (tries > 0) { setTimeout(() => whenReady(tries - 1), 100); }
  }
  window.addEventListener("load", () => whenReady(600));
})();
