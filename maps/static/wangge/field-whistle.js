/* 部门报到: a department officer's summons on a phone. Each open whistle naming the officer's
 * department is a card (what, where, by when, its state) with one big 我已到达 button: it asks the
 * phone for its position (navigator.geolocation) and sends it with its accuracy; a retry of the
 * same press (the network failed) sends the same Idempotency-Key, so it is recorded once. New
 * summons and changes arrive from the event stream. */
"use strict";

function wanggeSummons(map, cfg) {
  const { escape, getJSON, chinaTime } = window.wangge;
  const STATE_TEXT = { arrived: "已到场（按时）", late: "已到场（迟到）", awaiting: "待到场", absent: "已超时未到" };
  const JUDGEMENT_TEXT = { on_time: "报到成功：按时到场", late: "报到成功：迟到", outside: "不在现场范围内" };
  const layer = L.layerGroup().addTo(map);
  const box = document.createElement("section");
  box.className = "wg-summons";
  box.setAttribute("aria-label", "吹哨召集");
  map.getContainer().appendChild(box);
  L.DomEvent.disableClickPropagation(box);
  L.DomEvent.disableScrollPropagation(box);
  const keys = new Map();  // whistle id → the Idempotency-Key of the press not yet answered
  const notes = new Map();  // whistle id → the last answer's words

  const mine = (w) => w.departments.find((d) => d.code === cfg.department);

  function card(w) {
    const d = mine(w);
    const done = d && (d.attendance === "arrived" || d.attendance === "late");
    return `<article class="wg-summons-card" data-whistle="${w.id}" data-state="${d ? d.attendance : ""}">` +
      `<h2>${escape(w.kind_label)}</h2>` +
      `<p>事件 ${escape(w.code)}${d && d.lead ? "（主办）" : "（协办）"}</p>` +
      `<p>${escape(w.reason)}</p>` +
      `<p>到场时限：${escape(chinaTime(d ? d.arrive_due : ""))}</p>` +
      `<p class="wg-summons-state">${escape(d ? STATE_TEXT[d.attendance] : "")}</p>` +
      `<p class="wg-summons-note" role="status">${escape(notes.get(w.id) || "")}</p>` +
      `<button type="button" class="wg-arrive" data-whistle="${w.id}"${done ? " disabled" : ""}>` +
      `${done ? "已报到" : "我已到达"}</button></article>`;
  }

  function render(items) {
    layer.clearLayers();
    const bounds = [];
    items.forEach((w) => {
      const at = [w.point.lat, w.point.lon];
      bounds.push(at);
      if (w.meeting) { L.circle(at, { radius: 200, color: "#d73027" }).addTo(layer); }
      else if (w.area) { L.geoJSON(w.area, { style: { color: "#d73027", weight: 3 } }).addTo(layer); }
      L.marker(at, { title: "集合地点" }).addTo(layer);
    });
    box.innerHTML = items.length ? items.map(card).join("")
      : "<p class='wg-summons-empty'>目前没有召集本部门的哨令。</p>";
    if (bounds.length) { map.fitBounds(L.latLngBounds(bounds).pad(0.5), { maxZoom: 16 }); }
    box.dataset.ready = "true";
  }

  function load() {
    return getJSON(cfg.api + "/whistles?open=true").then((body) => render(body.items))
      .catch((error) => { box.innerHTML = `<p class='wg-summons-empty'>${escape(error.message)}</p>`; });
  }

  function say(id, text) {
    notes.set(id, text);
    const note = box.querySelector(`article[data-whistle="${id}"] .wg-summons-note`);
    if (note) { note.textContent = text; }
  }

  function send(id, position) {
    if (!keys.has(id)) { keys.set(id, "arrive-" + id + "-" + Date.now() + "-" + Math.random().toString(36).slice(2)); }
    const body = {
      lon: position.coords.longitude, lat: position.coords.latitude, datum: "wgs84",
      accuracy: position.coords.accuracy,
    };
    return getJSON(`${cfg.api}/whistles/${id}/check-ins`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "Idempotency-Key": keys.get(id) },
      body: JSON.stringify(body),
    }).then((answer) => {
      keys.delete(id);
      const c = answer.check_in;
      const metres = c.judgement === "outside" ? `（距离约 ${Math.round(c.distance_m)} 米）` : "";
      say(id, JUDGEMENT_TEXT[c.judgement] + metres);
      return load();
    });
  }

  /* A refusal in the officer's words: a position too vague is the phone's, not a form's. */
  function explain(error) {
    const fields = ((error.body && error.body.errors) || []).map((e) => e.field);
    if (fields.includes("accuracy")) { return "定位误差太大，请到开阔处、打开卫星定位后重试"; }
    if (fields.includes("lon") || fields.includes("lat")) { return "没有取得有效位置，请开启定位后重试"; }
    return error.message;
  }

  box.addEventListener("click", (e) => {
    const button = e.target.closest("button.wg-arrive");
    if (!button || button.disabled) { return; }
    const id = Number(button.dataset.whistle);
    if (!navigator.geolocation) { say(id, "此手机无法定位，请开启定位后重试"); return; }
    button.disabled = true;
    say(id, "正在定位……");
    navigator.geolocation.getCurrentPosition(
      (position) => send(id, position).catch((error) => { say(id, explain(error)); button.disabled = false; }),
      () => { say(id, "无法获取位置，请允许定位后重试"); button.disabled = false; },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 0 },
    );
  });

  load();
  const stream = new EventSource(cfg.api + "/stream");
  stream.addEventListener("whistle", () => load());
  stream.addEventListener("reset", () => load());
  window.wangge.watchSession(stream, cfg.api);
  window.wanggeSummonsState = { load, stream };
}
