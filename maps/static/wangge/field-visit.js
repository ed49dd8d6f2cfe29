/* 我的片区 on the field page (issue #16): the signed-in member's households, micro-grid by
 * micro-grid, overdue ones first, each with its tags (P3 ones only for the roles allowed
 * them), who is responsible and when it was last contacted; a visit or a call is recorded in
 * a few taps (channel, needs raised) with the phone's position (WGS 84, as GPS gives it) for a
 * visit in person. The sheet reloads after each record, so the micro-grid's 最近联系 shows it.
 * 需要立案 opens a case from the visit (category and description, for accounts that may report):
 * the visit and the case go in ONE request, written together or not at all, with an
 * Idempotency-Key made once per form (a retry after a lost answer files nothing twice); the
 * case's code is shown once filed.
 * Shown only on the member's own page (the answer's member is the page's). field.js calls
 * wanggeFieldVisit once its panel exists.
 *
 * window.wanggeFieldState.visits: {area (GET /api/v1/my-area/households), recorded (last POST
 * /api/v1/visits answer, with `case` when one was opened), open (household code of the open
 * form or null), key (the open form's Idempotency-Key)}
 */
"use strict";

function wanggeFieldVisit(map, cfg, fieldState) {
  const api = cfg.api;
  const { escape, getJSON, chinaTime } = window.wangge;
  const CHANNELS = [["visit", "入户走访"], ["phone", "电话"], ["wechat", "微信"], ["chance", "偶遇"]];
  const own = { area: null, recorded: null, open: null, key: null };
  const LABELS = { "case.category": "事件类别", "case.description": "事件描述", needs: "群众诉求" };
  fieldState.visits = own;

  const sheet = document.createElement("div");
  sheet.className = "wg-visit-sheet";  // not .wg-sheet: that is the case sheet
  sheet.hidden = true;
  sheet.innerHTML = "<div class='wg-sheet-head'><h3 class='wg-visit-title'>我的片区 · 走访</h3>" +
    "<button type='button' class='wg-visit-close'>关闭</button></div>" +
    "<div class='wg-visit-message' role='alert'></div><div class='wg-visit-list'>加载中…</div>";
  document.body.appendChild(sheet);
  const $ = (selector) => sheet.querySelector(selector);
  $(".wg-visit-close").addEventListener("click", () => { sheet.hidden = true; });

  getJSON(api + "/my-area/households").then((area) => {
    if (area.member_id !== cfg.member.id) { return; }  // someone else's page: no visits here
    own.area = area;
    const where = document.querySelector(".wg-cases .wg-where");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "wg-visits-open wg-report-open";
    button.textContent = "我的片区 · 走访（逾期 " + overdue(area) + " 户）";
    button.addEventListener("click", () => { sheet.hidden = false; draw(own.area); });
    where.parentNode.insertBefore(button, where.nextSibling);
  }).catch(() => {});  // an account without a member has no area of its own

  function overdue(area) {
    return area.micro_grids.reduce((n, g) => n + g.overdue, 0);
  }

  function draw(area) {
    $(".wg-visit-list").innerHTML = area.micro_grids.map((g) =>
      "<section class='wg-mg' data-code='" + escape(g.code) + "'><h3>" + escape(g.name) +
      (g.uncovered ? " <span class='wg-uncovered'>未覆盖</span>" : "") + "</h3>" +
      "<div class='wg-row-due'>住户 " + g.households + " 户 · 逾期 " + g.overdue + " 户 · 最近联系 " +
      "<span class='wg-mg-last'>" + (g.last_contact ? escape(chinaTime(g.last_contact)) : "无") +
      "</span></div><ul>" + g.household_list.map(row).join("") + "</ul></section>").join("");
    sheet.querySelectorAll(".wg-visit-do").forEach((b) => b.addEventListener("click", () =>
      openForm(b.closest("li"), b.dataset.channel)));
  }

  function row(h) {
    const tags = h.tags.map((t) => "<span class='wg-tag'>" + escape(t.label) + "</span>").join(" ");
    return "<li class='wg-household" + (h.overdue ? " wg-overdue" : "") + "' data-code='" +
      escape(h.code) + "'><div><b>" + escape(h.head || h.code) + "家</b> <small>" + escape(h.house) +
      "</small> " + tags + "</div><div class='wg-row-due'>" +
      (h.overdue ? "<span class='wg-late'>逾期</span> " : "") + "最近联系 " +
      (h.last_contact ? escape(chinaTime(h.last_contact)) : "无") + " · 每 " + h.every_days + " 天" +
      (h.responsible ? " · 认领 " + escape(h.responsible.name) : " · 未认领") + "</div>" +
      "<div class='wg-action-buttons'><button type='button' class='wg-visit-do' data-channel='visit'>入户走访</button>" +
      "<button type='button' class='wg-visit-do' data-channel='phone'>电话联系</button></div></li>";
  }

  function newKey() {  // a UUID v4; crypto.randomUUID needs https, getRandomValues does not
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  function caseFields() {  // 需要立案: the minor categories grouped by their major class
    if (!cfg.canReport || !(cfg.categories || []).length) { return ""; }
    const majors = [];
    cfg.categories.forEach((c) => { if (!majors.includes(c.major_name)) { majors.push(c.major_name); } });
    const options = majors.map((m) => "<optgroup label='" + escape(m) + "'>" + cfg.categories
      .filter((c) => c.major_name === m).map((c) => "<option value='" + escape(c.code) + "'>" +
        escape(c.name) + "</option>").join("") + "</optgroup>").join("");
    return "<label class='wg-visit-case-toggle'><input type='checkbox' class='wg-visit-case'> 需要立案</label>" +
      "<div class='wg-visit-case-fields' hidden><label>事件类别<select class='wg-visit-category'>" +
      "<option value=''>请选择</option>" + options + "</select></label><label>事件描述" +
      "<textarea class='wg-visit-case-text' maxlength='4000' placeholder='发现了什么问题'></textarea></label></div>";
  }

  function openForm(li, channel) {
    sheet.querySelectorAll(".wg-action-form").forEach((f) => f.remove());
    own.open = li.dataset.code;
    own.key = newKey();  // one per form: a retry of this form sends it again
    const form = document.createElement("div");
    form.className = "wg-action-form";
    form.innerHTML = "<label>方式<select class='wg-visit-channel'>" + CHANNELS.map(([v, label]) =>
      "<option value='" + v + "'" + (v === channel ? " selected" : "") + ">" + label + "</option>").join("") +
      "</select></label><label>群众诉求<textarea class='wg-visit-needs' maxlength='2000' " +
      "placeholder='没有可不填'></textarea></label>" + caseFields() + "<div class='wg-action-buttons'>" +
      "<button type='button' class='wg-visit-save wg-primary'>记录</button>" +
      "<button type='button' class='wg-visit-cancel'>取消</button></div>";
    li.appendChild(form);
    const toggle = form.querySelector(".wg-visit-case");
    if (toggle) {
      toggle.addEventListener("change", () => {
        form.querySelector(".wg-visit-case-fields").hidden = !toggle.checked;
      });
    }
    form.querySelector(".wg-visit-cancel").addEventListener("click", () => { form.remove(); own.open = null; });
    form.querySelector(".wg-visit-save").addEventListener("click", () => save(li.dataset.code, form));
  }

  function position(channel) {
    if (!["visit", "chance"].includes(channel) || !navigator.geolocation) { return Promise.resolve(null); }
    return new Promise((resolve) => navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude, datum: "wgs84" }),
      () => resolve(null), { timeout: 8000, maximumAge: 60000 }));
  }

  function openedCase(form) {  // the case to open with the visit, null without, or a problem
    const toggle = form.querySelector(".wg-visit-case");
    if (!toggle || !toggle.checked) { return null; }
    const category = form.querySelector(".wg-visit-category").value;
    const description = form.querySelector(".wg-visit-case-text").value.trim();
    if (!category) { return { problem: "请选择事件类别" }; }
    if (!description) { return { problem: "请填写事件描述" }; }
    return { category, description };
  }

  function say(html) {  // the sheet's message, scrolled into sight (the form may be far below)
    $(".wg-visit-message").innerHTML = html;
    $(".wg-visit-message").scrollIntoView({ block: "nearest" });
  }

  function save(code, form) {
    const channel = form.querySelector(".wg-visit-channel").value;
    const needs = form.querySelector(".wg-visit-needs").value.trim();
    const opened = openedCase(form);
    if (opened && opened.problem) { say(escape(opened.problem)); return; }
    const headers = { "Content-Type": "application/json" };
    if (opened) { headers["Idempotency-Key"] = own.key; }
    form.querySelector(".wg-visit-save").disabled = true;
    position(channel).then((where) => getJSON(api + "/visits", {
      method: "POST",
      headers,
      body: JSON.stringify(Object.assign({ households: [code], channel, needs: needs || null },
        where || {}, opened ? { case: opened } : {})),
    })).then((recorded) => {
      own.recorded = recorded;
      own.open = null;
      const said = "已记录：" + escape(chinaTime(recorded.at)) + (recorded.case ?
        "；已立案，事件编号 <b class='wg-visit-case-code'>" + escape(recorded.case.code) + "</b>" : "");
      // redrawn first, then said: a form opened after the message is not wiped by the redraw
      return getJSON(api + "/my-area/households").then((area) => { own.area = area; draw(area); },
        () => {}).then(() => say(said));
    }).catch((error) => {
      const said = error.body ? window.wangge.errorText(error.body, error.status, LABELS) : error.message;
      say("记录失败：" + escape(said));
      form.querySelector(".wg-visit-save").disabled = false;
    });
  }
}
