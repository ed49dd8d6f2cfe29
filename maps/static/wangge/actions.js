/* Actions on a case, shared by 我的网格 (field.js) and 指挥中心 (command.js): the buttons of the
 * actions the signed-in account may take now (the `actions` of GET /api/v1/incidents/{code}),
 * the form each needs (reason, photo from the camera, department, evaluation, …; the needs come
 * from the transition table, cases/loop/table.py), the phone's position, the photos uploaded
 * first (POST /api/v1/attachments) and then the action itself with If-Match on the case's
 * version. A stale version (412) reloads the case and says so; every error is in Chinese. */
"use strict";

(() => {
  const { escape, getJSON, fetch, errorText, chinaTime } = window.wangge;

  const STEP = { accept: "受理", file: "立案", dispatch: "派遣", sign: "签收", handle: "处置",
    verify: "核查", evaluate: "评价" };
  const LEVEL = { micro_grid: "微网格", grid: "网格", village: "嘎查村社区", township: "苏木镇", banner: "旗" };
  const CARD = { yellow: "黄牌", red: "红牌", warning: "预警", urge: "催办" };
  const EVALUATION = [["satisfied", "满意"], ["basically_satisfied", "基本满意"], ["dissatisfied", "不满意"]];
  const DELAY = { applied: "已申请延期", approved: "延期已批准", rejected: "延期被驳回" };
  /* The two answers of an action that needs `approve`, by action. */
  const APPROVE = { verify: ["核查通过", "核查不通过"], decide_delay: ["批准延期", "驳回"] };
  /* Our own form's words for the API's fields, for errorText. */
  const LABELS = { action: "操作", reason: "理由", department_code: "派遣部门", attachments: "照片",
    file: "照片", incident: "事件", evaluation: "评价", delay_days: "延期天数", approve: "审批结果",
    card: "督办牌", level: "层级", lon: "位置", lat: "位置", datum: "位置", "If-Match": "版本" };

  /* Time left as a person says it: 已超期2天, 剩5小时, 剩30分钟; `seconds` may be given instead. */
  function timeLeft(deadline, now, seconds) {
    const hours = typeof seconds === "number" ? seconds / 3600 : (Date.parse(deadline) - now) / 3600000;
    const span = (h) => (h >= 48 ? Math.floor(h / 24) + "天" : h >= 1 ? Math.floor(h) + "小时" :
      Math.max(1, Math.floor(h * 60)) + "分钟");
    if (hours < 0) { return { cls: "wg-overdue", text: "已超期" + span(-hours) }; }
    if (hours < 24) { return { cls: "wg-due-soon", text: "剩" + span(hours) }; }
    return { cls: "", text: "剩" + span(hours) };
  }

  /* The case's deadlines, card, level and delay as HTML lines (China time, time left). */
  function deadlinesHTML(i) {
    const now = Date.now();
    const d = i.deadlines || {};
    const line = (label, at, seconds) => {
      if (!at) { return ""; }
      const left = timeLeft(at, now, seconds);
      return "<div class='wg-deadline'>" + escape(label) + " " + escape(chinaTime(at)) +
        " <span class='" + left.cls + "'>" + escape(left.text) + "</span></div>";
    };
    const closed = ["closed", "evaluated", "void"].indexOf(i.status) >= 0;
    let html = "";
    if (!closed) {
      html += STEP[d.step] ? "<div class='wg-step'>当前环节：" + STEP[d.step] + "</div>" : "";
      html += line("环节时限", d.step_due_at, d.remaining_s);
      html += line("处置时限", d.deadline_at || i.deadline_at);
    }
    const tags = [];
    if (i.card && i.card !== "none") {
      tags.push("<span class='wg-card wg-card-" + escape(i.card) + "'>" + escape(CARD[i.card] || i.card) + "</span>");
    }
    if (i.urgent) { tags.push("<span class='wg-tag wg-urgent'>紧急</span>"); }
    if (i.delay_state && DELAY[i.delay_state]) { tags.push("<span class='wg-tag'>" + DELAY[i.delay_state] + "</span>"); }
    if (i.level) { tags.push("<span class='wg-tag'>承办层级：" + escape(LEVEL[i.level] || i.level) + "</span>"); }
    return html + (tags.length ? "<div class='wg-tags'>" + tags.join(" ") + "</div>" : "");
  }

  /* The phone's position (WGS 84, what GPS gives), or null when it cannot be had. */
  function position() {
    if (!navigator.geolocation) { return Promise.resolve(null); }
    return new Promise((resolve) => navigator.geolocation.getCurrentPosition(
      (p) => resolve({ lon: p.coords.longitude, lat: p.coords.latitude, accuracy: p.coords.accuracy }),
      () => resolve(null), { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }));
  }

  /* Upload one photo of case `code`; its id, or an Error in Chinese. */
  function upload(api, code, file) {
    const form = new FormData();
    form.append("incident", code);
    form.append("file", file);
    return getJSON(api + "/attachments", { method: "POST", body: form }).then((a) => a.id).catch((e) => {
      throw new Error("照片「" + file.name + "」未能上传：" + (e.body ? errorText(e.body, e.status, LABELS) : e.message));
    });
  }

  /* A 409's reason in Chinese: the state the case is in and what the caller may do in it. */
  function refusalText(answer, action, options) {
    const specs = options.specs || {};
    const now = (options.statusLabels || {})[answer.status] || "";
    const allowed = answer.allowed.map((a) => (specs[a] || {}).label || "").filter(Boolean);
    return "该事件当前" + (now ? "为「" + now + "」，" : "的状态下") + "不能" + action.label +
      (allowed.length ? "；您现在可以：" + allowed.join("、") : "；您现在没有可办理的操作");
  }

  /* Send the action; resolves with the case as the answer shows it, rejects with an Error
   * whose `stale` is true for a version someone else has moved on and `refused` for a state
   * that does not allow the action (409, its reason in Chinese). */
  function send(api, incident, body, action, options) {
    return fetch(api + "/incidents/" + encodeURIComponent(incident.code) + "/actions", {
      method: "POST",
      headers: { "Content-Type": "application/json", "If-Match": '"' + incident.version + '"' },
      body: JSON.stringify(body),
    }).catch(() => { throw new Error("无法连接服务，请检查网络后重试"); }).then((r) => {
      if (r.ok) { return r.json(); }
      return r.json().catch(() => null).then((answer) => {
        // 409 with `allowed`: the case is in a state where this action is not (or no longer) open
        const moved = r.status === 409 && answer && Array.isArray(answer.allowed);
        const error = new Error(moved ? refusalText(answer, action, options) : errorText(answer, r.status, LABELS));
        error.stale = r.status === 412 || moved;
        error.refused = moved;
        throw error;
      });
    });
  }

  /* The departments a case may be dispatched to, from the routing matrix (loaded once). */
  let departments = null;
  function loadDepartments(api) {
    departments = departments || getJSON(api + "/routing").then((rows) => {
      const seen = new Map();
      const add = (code, name) => { if (code) { seen.set(code, name); } };
      rows.forEach((r) => {
        add(r.department && r.department.code, r.department && r.department.name);
        (r.overrides || []).forEach((o) => add(o.department_code, o.department_name));
      });
      return Array.from(seen, ([code, name]) => ({ code, name })).sort((a, b) => (a.code < b.code ? -1 : 1));
    });
    return departments;
  }

  /* The buttons and forms of `incident` inside `box`. options: api, specs (name → {label,
   * needs}), onDone(answer), onStale() (a 412, or a 409 without onRefused), onRefused(text)
   * (a 409: the reason in Chinese), statusLabels (status → Chinese, for that reason),
   * withPosition (send the phone's position always). */
  function render(box, incident, options) {
    const actions = incident.actions || [];
    if (!actions.length) {
      box.innerHTML = "<div class='wg-no-actions'>当前没有您可以办理的操作</div>";
      return;
    }
    box.innerHTML = "<div class='wg-action-buttons'>" + actions.map((a) =>
      "<button type='button' class='wg-action' data-action='" + escape(a.name) + "'>" + escape(a.label) +
      "</button>").join("") + "</div><form class='wg-action-form' novalidate hidden></form>" +
      "<div class='wg-action-message' role='status'></div>";
    box.querySelectorAll("button.wg-action").forEach((b) => b.addEventListener("click", () =>
      openForm(box, incident, actions.find((a) => a.name === b.dataset.action), options)));
  }

  function openForm(box, incident, action, options) {
    const spec = (options.specs || {})[action.name] || { needs: [] };
    const needs = new Set(spec.needs || []);
    const form = box.querySelector(".wg-action-form");
    const message = box.querySelector(".wg-action-message");
    message.textContent = "";
    box.querySelectorAll("button.wg-action").forEach((b) =>
      b.setAttribute("aria-pressed", String(b.dataset.action === action.name)));
    const photoWanted = needs.has("attachments") || ["handle", "self_handle", "verify"].indexOf(action.name) >= 0;
    const located = needs.has("lon") || options.withPosition;
    const parts = ["<h3>" + escape(action.label) + "</h3>"];
    if (needs.has("department_code")) {
      parts.push("<label>派遣部门<select name='department_code' required><option value=''>加载中…</option></select></label>");
    }
    if (needs.has("evaluation")) {
      parts.push("<label>评价<select name='evaluation' required>" + EVALUATION.map(([v, l]) =>
        "<option value='" + v + "'>" + l + "</option>").join("") + "</select></label>");
    }
    if (needs.has("delay_days")) {
      parts.push("<label>延期天数（工作日）<input name='delay_days' type='number' min='1' max='10' value='1' required></label>");
    }
    if (needs.has("card")) {
      parts.push("<label>督办牌<select name='card'><option value='yellow'>黄牌</option><option value='red'>红牌</option></select></label>");
    }
    parts.push("<label>" + (needs.has("reason") ? "理由（必填）" : needs.has("approve") ? "理由（不通过时必填）" : "说明（选填）") +
      "<textarea name='reason' rows='3'" + (needs.has("reason") ? " required" : "") + "></textarea></label>");
    if (photoWanted) {
      // the browser's own file button speaks the browser's language: a Chinese one over it
      parts.push("<div class='wg-photo-field'>" + (needs.has("attachments") ? "现场照片（必填）" : "现场照片（选填）") +
        "<label class='wg-photo-pick'>拍照或选择照片<input name='photo' type='file' accept='image/*' " +
        "capture='environment' multiple" + (needs.has("attachments") ? " required" : "") + "></label></div>" +
        "<div class='wg-photo-count'></div>");
    }
    if (located) { parts.push("<div class='wg-position'>正在获取您的位置…</div>"); }
    const answers = needs.has("approve") ? (APPROVE[action.name] || ["同意", "不同意"]) : null;
    parts.push("<div class='wg-buttons'>" + (answers ?
      "<button type='submit' class='wg-primary' data-approve='true'>" + escape(answers[0]) + "</button>" +
      "<button type='submit' data-approve='false'>" + escape(answers[1]) + "</button>" :
      "<button type='submit' class='wg-primary'>确认" + escape(action.label) + "</button>") +
      "<button type='button' class='wg-cancel'>取消</button></div>");
    form.innerHTML = parts.join("");
    form.hidden = false;
    form.querySelector(".wg-cancel").addEventListener("click", () => {
      form.hidden = true;
      form.innerHTML = "";
      box.querySelectorAll("button.wg-action").forEach((b) => b.setAttribute("aria-pressed", "false"));
    });
    const photo = form.querySelector("input[name=photo]");
    if (photo) {
      photo.addEventListener("change", () => {
        message.textContent = "";
        form.querySelector(".wg-photo-count").textContent = photo.files.length ? "已选 " + photo.files.length + " 张照片" : "";
      });
    }
    if (needs.has("department_code")) {
      const select = form.querySelector("select[name=department_code]");
      loadDepartments(options.api).then((list) => {
        const suggested = incident.responsible && incident.responsible.department && incident.responsible.department.code;
        select.innerHTML = list.map((d) => "<option value='" + escape(d.code) + "'" + (d.code === suggested ? " selected" : "") +
          ">" + escape(d.name) + (d.code === suggested ? "（建议）" : "") + "</option>").join("");
      }).catch((e) => { message.textContent = e.message; });
    }
    let where = Promise.resolve(null);
    if (located) {
      where = position();
      where.then((p) => {
        const el = form.querySelector(".wg-position");
        if (el) {
          el.textContent = p ? "将附上您的位置（误差约 " + Math.round(p.accuracy) + " 米）" :
            (needs.has("lon") ? "无法获取您的位置：请允许定位后重试" : "未能获取位置，将不附位置提交");
        }
      });
    }
    let approve = null;
    form.querySelectorAll("button[type=submit]").forEach((b) => b.addEventListener("click", () => {
      approve = b.dataset.approve === undefined ? null : b.dataset.approve === "true";
    }));
    form.onsubmit = (e) => {
      e.preventDefault();
      submit(form, message, incident, action, needs, approve, where, options);
    };
  }

  function submit(form, message, incident, action, needs, approve, where, options) {
    const body = { action: action.name };
    const value = (name) => { const el = form.elements[name]; return el ? el.value.trim() : ""; };
    if (value("reason")) { body.reason = value("reason"); }
    if (needs.has("reason") && !body.reason) { message.textContent = "请填写理由"; return; }
    ["department_code", "evaluation", "card"].forEach((n) => { if (needs.has(n)) { body[n] = value(n); } });
    if (needs.has("delay_days")) { body.delay_days = Number(value("delay_days")); }
    if (needs.has("approve")) { body.approve = approve !== false; }
    if (body.approve === false && !body.reason) { message.textContent = "请填写理由"; return; }
    const photo = form.elements.photo;
    const files = photo ? Array.from(photo.files) : [];
    if (needs.has("attachments") && !files.length) { message.textContent = "请拍摄或选择现场照片"; return; }
    const buttons = form.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    message.className = "wg-action-message";
    message.textContent = files.length ? "正在上传照片…" : "正在提交…";
    where.then((p) => {
      if (needs.has("lon") && !p) { throw new Error("无法获取您的位置：请允许定位后重试"); }
      if (p) { Object.assign(body, { lon: p.lon, lat: p.lat, datum: "wgs84" }); }
      return Promise.all(files.map((f) => upload(options.api, incident.code, f)));
    }).then((ids) => {
      if (ids.length) { body.attachments = ids; }
      message.textContent = "正在提交…";
      return send(options.api, incident, body, action, options);
    }).then((answer) => {
      message.className = "wg-action-message wg-ok";
      message.textContent = "已" + action.label + "：" + (answer.status_label || "");
      options.onDone(answer, action);
    }).catch((error) => {
      buttons.forEach((b) => { b.disabled = false; });
      message.textContent = error.message;
      if (error.refused && options.onRefused) {
        options.onRefused(error.message);
      } else if (error.stale && options.onStale) {
        options.onStale();
      }
    });
  }

  window.wanggeActions = { render, deadlinesHTML, timeLeft, labels: { STEP, LEVEL, CARD, LABELS } };
})();
