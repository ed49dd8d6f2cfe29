/* 调解卷宗 (maps/mediation.py): one dispute's 三二一 ladder on a phone. The file comes from
 * GET /api/v1/incidents/{code}/mediation (404 to anyone who may not read it); the ladder is
 * drawn as three rungs (村 3 / 镇 2 / 旗 1) with the attempts on them; the forms post an attempt,
 * an agreement, a follow-up call (or, when there is no file yet, the intake) and draw the file
 * the answer holds. Times are China time; every message is in Chinese. */
"use strict";

function wanggeMediation(map, cfg) {
  const { escape, getJSON, errorText, chinaTime } = window.wangge;
  const L = cfg.labels;
  const url = cfg.api + "/incidents/" + encodeURIComponent(cfg.code) + "/mediation";
  const FIELDS = { level: "调解层级", rung: "次数", held_at: "调解时间", mediators: "调解员",
    participants: "参加人员", record: "调解笔录", outcome: "调解结果", form: "协议形式",
    terms: "协议内容", effective_on: "生效日期", called_on: "回访日期", performed: "履行情况",
    satisfaction: "满意度", remaining_risk: "遗留风险", source: "案件来源", summary: "纠纷概要",
    intake_on: "受理日期", code: "卷宗" };

  document.body.classList.add("wg-mediation-page");
  const panel = document.createElement("main");
  panel.className = "wg-mediation";
  panel.setAttribute("aria-label", "调解卷宗");
  document.body.appendChild(panel);
  const places = window.L.layerGroup().addTo(map);

  /* Now in China time as a datetime-local value ("2026-12-04T10:30"). */
  const chinaNow = () => new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 16);
  const today = () => chinaNow().slice(0, 10);
  const options = (labels) => Object.keys(labels).map((k) =>
    "<option value='" + escape(k) + "'>" + escape(labels[k]) + "</option>").join("");
  const row = (label, value) => "<dt>" + escape(label) + "</dt><dd>" + escape(value == null ? "—" : value) + "</dd>";

  function ladderHTML(file) {
    return "<div class='wg-ladder' role='list' aria-label='三二一调解'>" + file.ladder.map((r) => {
      const mine = file.attempts.filter((a) => a.level === r.level);
      let slots = "";
      for (let n = 1; n <= r.max_attempts; n += 1) {
        const a = mine.find((x) => x.rung === n);
        const cls = !a ? "" : a.outcome === "settled" ? "wg-settled" :
          (a.outcome === "not_settled" || a.outcome === "partly") ? "wg-" + a.outcome : "wg-ended";
        slots += "<span class='wg-slot " + cls + "' title='" + escape(a ? L.outcomes[a.outcome] : "未调解") +
          "'>" + (a ? escape(L.outcomes[a.outcome].slice(0, 2)) : n) + "</span>";
      }
      return "<div class='wg-rung" + (r.current ? " wg-current" : "") + "' role='listitem' data-level='" +
        escape(r.level) + "'><span class='wg-rung-name'>" + escape(L.short[r.level]) + " " + r.max_attempts +
        "次</span>" + slots + "<span class='wg-used'>" + r.used + "/" + r.max_attempts + "</span></div>";
    }).join("") + "</div>";
  }

  function fileHTML(file) {
    const i = file.intake;
    let html = "<h2>" + escape(file.code) + " · " + escape(file.category.name) + "</h2>" +
      "<div class='wg-state'>" + (file.outcome ? "调解结束：" + escape(L.outcomes[file.outcome]) :
        "当前在" + escape(L.rungs[file.rung]) + "调解") + "</div>" + ladderHTML(file) +
      "<h3>受理</h3><dl>" + row("受理日期", i.on) + row("案件来源", L.sources[i.source]) +
      row("纠纷概要", i.summary) + row("风险等级", L.risk[i.risk]) +
      row("权利告知", file.rights.notified ? "已告知 " + (file.rights.on || "") : "未告知") +
      row("总时限", chinaTime(file.due_overall)) + "</dl>";
    html += "<h3>当事人</h3>" + (file.parties.length ? "<dl>" + file.parties.map((p) =>
      row(L.sides[p.side], p.name + (p.phone ? " " + p.phone : "") + (p.agent ? "（代理人 " + p.agent + "）" : ""))).join("") +
      "</dl>" : "<div>暂无</div>");
    html += "<h3>调解记录</h3>" + (file.attempts.length ? file.attempts.map((a) =>
      "<div class='wg-attempt'><strong>" + escape(L.short[a.level]) + "级第" + a.rung + "次</strong> " +
      escape(chinaTime(a.held_at)) + " · " + escape(L.outcomes[a.outcome]) + (a.refused ? " · 当事人拒绝继续调解" : "") +
      "<div>" + escape(a.mediators.map((m) => m.name + (m.committee ? "（" + m.committee + "）" : "")).join("、")) +
      "</div><div>" + escape(a.record) + "</div></div>").join("") : "<div>暂无</div>");
    const g = file.agreement;
    if (g) {
      html += "<h3>调解协议</h3><dl>" + row("协议形式", L.forms[g.form]) + row("协议内容", g.terms) +
        row("生效日期", g.effective_on) + row("司法确认期限", g.confirmation_due) +
        row("司法确认", L.confirmation[g.confirmation] + (g.confirmation_on ? " " + g.confirmation_on : "")) + "</dl>";
    }
    if (file.follow_ups.length) {
      html += "<h3>回访</h3><dl>" + file.follow_ups.map((f) => row(f.called_on,
        L.performed[f.performed] + " · " + L.satisfaction[f.satisfaction] + " · 遗留风险" + L.risk[f.remaining_risk])).join("") + "</dl>";
    }
    return html;
  }

  function attemptForm(file) {
    if (file.outcome || !cfg.canMediate) { return ""; }
    return "<h3>记录一次调解（" + escape(L.rungs[file.rung]) + "）</h3><form class='wg-attempt-form'>" +
      "<input type='hidden' name='level' value='" + escape(file.rung) + "'>" +
      "<label>调解时间<input type='datetime-local' name='held_at' required value='" + chinaNow() + "'></label>" +
      "<label>调解员<input name='mediator' required autocomplete='name'></label>" +
      "<label>调解组织<input name='committee' value='" + escape(L.rungs[file.rung]) + "人民调解委员会'></label>" +
      "<label>参加人员（用顿号分隔）<input name='participants'></label>" +
      "<label>调解笔录<textarea name='record' required rows='3'></textarea></label>" +
      "<label>调解结果<select name='outcome'>" + options(L.outcomes) + "</select></label>" +
      "<label class='wg-check'><input type='checkbox' name='refused'>当事人拒绝在本级继续调解</label>" +
      "<button type='submit'>保存调解记录</button><div class='wg-message' role='status'></div></form>";
  }

  function agreementForm(file) {
    const settled = file.attempts.some((a) => a.outcome === "settled" || a.outcome === "partly");
    if (!settled || file.agreement || !cfg.canMediate) { return ""; }
    return "<h3>调解协议</h3><form class='wg-agreement-form'>" +
      "<label>协议形式<select name='form'>" + options(L.forms) + "</select></label>" +
      "<label>协议内容<textarea name='terms' required rows='3'></textarea></label>" +
      "<button type='submit'>保存协议</button><div class='wg-message' role='status'></div></form>";
  }

  function followUpForm(file) {
    if (!file.agreement || !cfg.canMediate) { return ""; }
    return "<h3>回访</h3><form class='wg-follow-form'>" +
      "<label>回访日期<input type='date' name='called_on' required value='" + today() + "'></label>" +
      "<label>履行情况<select name='performed'>" + options(L.performed) + "</select></label>" +
      "<label>满意度<select name='satisfaction'>" + options(L.satisfaction) + "</select></label>" +
      "<label>遗留风险<select name='remaining_risk'>" + options({ none: "无", low: "较低", high: "较高" }) + "</select></label>" +
      "<button type='submit'>保存回访</button><div class='wg-message' role='status'></div></form>";
  }

  function intakeForm() {
    return "<h2>" + escape(cfg.code) + " · 尚未立卷</h2><form class='wg-intake-form'>" +
      "<label>受理日期<input type='date' name='intake_on' required value='" + today() + "'></label>" +
      "<label>案件来源<select name='source'>" + options(L.sources) + "</select></label>" +
      "<label>纠纷概要<textarea name='summary' required rows='3'></textarea></label>" +
      "<label class='wg-check'><input type='checkbox' name='rights_notified' checked>已告知当事人权利义务</label>" +
      "<button type='submit'>受理调解</button><div class='wg-message' role='status'></div></form>";
  }

  function post(path, body, form) {
    const message = form.querySelector(".wg-message");
    const button = form.querySelector("button");
    button.disabled = true;
    message.className = "wg-message";
    message.textContent = "正在保存…";
    return getJSON(url + path, { method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body) }).then((answer) => {
      if (answer.receipt) {
        panel.innerHTML = "<div class='wg-ok' role='status'>已保存。该纠纷已移交" + escape(L.rungs[answer.rung]) + "调解。</div>";
        return;
      }
      draw(answer, "已保存");
    }).catch((e) => {
      button.disabled = false;
      message.className = "wg-message wg-problem";
      message.textContent = e.body ? errorText(e.body, e.status, FIELDS) : e.message;
    });
  }

  function bind(file) {
    const on = (selector, handler) => {
      const form = panel.querySelector(selector);
      if (form) {
        form.addEventListener("submit", (event) => { event.preventDefault(); handler(form, new FormData(form)); });
      }
    };
    on(".wg-attempt-form", (form, d) => post("/attempts", {
      level: d.get("level"), held_at: d.get("held_at") + ":00+08:00",
      mediators: [{ name: d.get("mediator"), role: "调解员", committee: d.get("committee") || "" }],
      participants: String(d.get("participants") || "").split(/[、,，\s]+/).filter(Boolean),
      record: d.get("record"), outcome: d.get("outcome"), refused: d.get("refused") === "on",
    }, form));
    on(".wg-agreement-form", (form, d) => post("/agreement", { form: d.get("form"), terms: d.get("terms") }, form));
    on(".wg-follow-form", (form, d) => post("/follow-up", { called_on: d.get("called_on"),
      performed: d.get("performed"), satisfaction: d.get("satisfaction"),
      remaining_risk: d.get("remaining_risk") }, form));
    on(".wg-intake-form", (form, d) => post("", { intake_on: d.get("intake_on"), source: d.get("source"),
      summary: d.get("summary"), rights_notified: d.get("rights_notified") === "on" }, form));
    return file;
  }

  function drawPlaces(file) {
    places.clearLayers();
    const points = file.attempts.filter((a) => a.place).map((a) => window.L.circleMarker(
      [a.place.lat, a.place.lon], { radius: 8, color: "#c0392b" }).bindTooltip(L.short[a.level] + "级第" + a.rung + "次"));
    points.forEach((p) => p.addTo(places));
  }

  function draw(file, notice) {
    panel.innerHTML = (notice ? "<div class='wg-ok' role='status'>" + escape(notice) + "</div>" : "") +
      fileHTML(file) + attemptForm(file) + agreementForm(file) + followUpForm(file);
    bind(file);
    drawPlaces(file);
  }

  getJSON(cfg.api + "/incidents/" + encodeURIComponent(cfg.code)).then((i) => {
    const p = i.location.cgcs2000;
    window.L.marker([p.lat, p.lon], { title: "纠纷地点" }).addTo(map);
    map.setView([p.lat, p.lon], 15);
  }).catch(() => {});
  getJSON(url).then((file) => draw(file)).catch((e) => {
    if (e.status === 404 && cfg.canMediate) {
      panel.innerHTML = intakeForm() + "<div class='wg-problem' role='status'>" +
        "找不到调解卷宗：可能尚未立卷，或您无权查看。</div>";
      bind(null);
      return;
    }
    panel.innerHTML = "<div class='wg-problem' role='status'>" + escape(e.status === 404 ?
      "找不到该调解卷宗，或您无权查看。" : e.message) + "</div>";
  });
}
