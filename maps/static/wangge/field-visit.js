/* 我的片区 on the field page (issue #16): the signed-in member's households, micro-grid by
 * micro-grid, overdue ones first, each with its tags (P3 ones only for the roles allowed
 * them), who is responsible and when it was last contacted; a visit or a call is recorded in
 * a few taps (channel, needs raised) with the phone's position (WGS 84, as GPS gives it) for a
 * visit in person. The sheet reloads after each record, so the micro-grid's 最近联系 shows it.
 * Shown only on the member's own page (the answer's member is the page's). field.js calls
 * wanggeFieldVisit once its panel exists.
 *
 * window.wanggeFieldState.visits: {area (GET /api/v1/my-area/households), recorded (last POST
 * /api/v1/visits answer), open (household code of the open form or null)}
 */
"use strict";

function wanggeFieldVisit(map, cfg, fieldState) {
  const api = cfg.api;
  const { escape, getJSON, chinaTime } = window.wangge;
  const CHANNELS = [["visit", "入户走访"], ["phone", "电话"], ["wechat", "微信"], ["chance", "偶遇"]];
  const own = { area: null, recorded: null, open: null };
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

  function openForm(li, channel) {
    sheet.querySelectorAll(".wg-action-form").forEach((f) => f.remove());
    own.open = li.dataset.code;
    const form = document.createElement("div");
    form.className = "wg-action-form";
    form.innerHTML = "<label>方式<select class='wg-visit-channel'>" + CHANNELS.map(([v, label]) =>
      "<option value='" + v + "'" + (v === channel ? " selected" : "") + ">" + label + "</option>").join("") +
      "</select></label><label>群众诉求<textarea class='wg-visit-needs' maxlength='2000' " +
      "placeholder='没有可不填'></textarea></label><div class='wg-action-buttons'>" +
      "<button type='button' class='wg-visit-save wg-primary'>记录</button>" +
      "<button type='button' class='wg-visit-cancel'>取消</button></div>";
    li.appendChild(form);
    form.querySelector(".wg-visit-cancel").addEventListener("click", () => { form.remove(); own.open = null; });
    form.querySelector(".wg-visit-save").addEventListener("click", () => save(li.dataset.code, form));
  }

  function position(channel) {
    if (!["visit", "chance"].includes(channel) || !navigator.geolocation) { return Promise.resolve(null); }
    return new Promise((resolve) => navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude, datum: "wgs84" }),
      () => resolve(null), { timeout: 8000, maximumAge: 60000 }));
  }

  function save(code, form) {
    const channel = form.querySelector(".wg-visit-channel").value;
    const needs = form.querySelector(".wg-visit-needs").value.trim();
    form.querySelector(".wg-visit-save").disabled = true;
    position(channel).then((where) => getJSON(api + "/visits", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(Object.assign({ households: [code], channel, needs: needs || null }, where || {})),
    })).then((recorded) => {
      own.recorded = recorded;
      own.open = null;
      $(".wg-visit-message").textContent = "已记录：" + chinaTime(recorded.at);
      return getJSON(api + "/my-area/households");
    }).then((area) => { own.area = area; draw(area); }).catch((error) => {
      $(".wg-visit-message").textContent = "记录失败：" + error.message;
      form.querySelector(".wg-visit-save").disabled = false;
    });
  }
}
