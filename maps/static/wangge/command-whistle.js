/* 指挥中心地图的吹哨图层: open whistles (街道吹哨、部门报到) drawn on the command map, the meeting
 * area (the case's area, or the meeting point with its 200 m buffer), the departments summoned
 * and their state: 已到 green, 迟到 red, 未到 grey; every whistle event of the stream redraws
 * its whistle, so check-ins appear without reloading. Loaded by a <script> on the command page
 * (maps/command.py); it finds the map and the stream through window.wanggeState. */
"use strict";

(() => {
  const API = "/api/v1";
  const STATE_TEXT = { arrived: "已到", late: "迟到", awaiting: "未到", absent: "未到" };
  const STATE_CLASS = { arrived: "wg-wh-arrived", late: "wg-wh-late", awaiting: "wg-wh-missing", absent: "wg-wh-missing" };
  const MEETING_BUFFER_M = 200;

  function start(state, map) {
    const { escape, getJSON, chinaTime } = window.wangge;
    const layer = L.layerGroup().addTo(map);
    const drawn = new Map();  // whistle id → {shape, marker}
    const whistles = new Map();  // whistle id → the API's whistle

    const panel = L.DomUtil.create("section", "wg-whistles");
    panel.setAttribute("aria-label", "吹哨报到");
    panel.innerHTML = "<h2>吹哨报到 <span class='wg-wh-count'>0</span></h2><ol></ol>";
    L.DomEvent.disableClickPropagation(panel);
    L.DomEvent.disableScrollPropagation(panel);
    const control = L.control({ position: "topleft" });
    control.onAdd = () => panel;
    control.addTo(map);

    function chips(whistle) {
      return whistle.departments.map((d) =>
        `<li class="wg-wh-dept ${STATE_CLASS[d.attendance]}" data-dept="${escape(d.code)}" ` +
        `data-state="${escape(d.attendance)}">${escape(d.name)}${d.lead ? "（主办）" : ""} ` +
        `<b>${STATE_TEXT[d.attendance]}</b></li>`).join("");
    }

    function popup(whistle) {
      return `<div class="wg-wh-popup"><strong>${escape(whistle.kind_label)}</strong> ` +
        `${escape(whistle.code)}<br>${escape(whistle.reason)}<br>吹哨时间 ` +
        `${escape(chinaTime(whistle.blown_at))}<ul>${chips(whistle)}</ul></div>`;
    }

    function colour(whistle) {
      const states = whistle.departments.map((d) => d.attendance);
      if (states.every((s) => s === "arrived")) { return "#1a9850"; }
      return states.some((s) => s === "late" || s === "absent") ? "#d73027" : "#f46d43";
    }

    function remove(id) {
      const old = drawn.get(id);
      if (old) { layer.removeLayer(old.shape); layer.removeLayer(old.marker); }
      drawn.delete(id);
      whistles.delete(id);
    }

    function draw(whistle) {
      remove(whistle.id);
      if (whistle.status !== "open") { renderPanel(); return; }
      whistles.set(whistle.id, whistle);
      const style = { color: colour(whistle), weight: 3, dashArray: "6 4", fillOpacity: 0.12, interactive: false };
      const at = [whistle.point.lat, whistle.point.lon];
      const shape = whistle.meeting
        ? L.circle(at, Object.assign({ radius: MEETING_BUFFER_M }, style))
        : L.geoJSON(whistle.area, { style });
      const marker = L.marker(at, {
        icon: L.divIcon({ className: "wg-wh-marker", html: "<span>哨</span>", iconSize: [28, 28] }),
        title: "吹哨 " + whistle.code,
      }).bindPopup(popup(whistle));
      marker.wgWhistle = whistle.id;
      layer.addLayer(shape);
      layer.addLayer(marker);
      drawn.set(whistle.id, { shape, marker });
      renderPanel();
    }

    function renderPanel() {
      const items = [...whistles.values()].sort((a, b) => b.id - a.id);
      panel.querySelector(".wg-wh-count").textContent = String(items.length);
      panel.querySelector("ol").innerHTML = items.map((w) =>
        `<li class="wg-wh-item" data-whistle="${w.id}"><a href="#" data-whistle="${w.id}">` +
        `${escape(w.kind_label)} · ${escape(w.code)}</a><ul>${chips(w)}</ul></li>`).join("");
    }

    panel.addEventListener("click", (e) => {
      const link = e.target.closest("a[data-whistle]");
      if (!link) { return; }
      e.preventDefault();
      const item = drawn.get(Number(link.dataset.whistle));
      if (item) { map.setView(item.marker.getLatLng(), Math.max(map.getZoom(), 15)); item.marker.openPopup(); }
    });

    function load() {
      return getJSON(API + "/whistles?open=true&limit=200").then((body) => {
        [...drawn.keys()].forEach(remove);
        body.items.forEach(draw);
      }).catch(() => {});
    }

    function refresh(id) {
      return getJSON(`${API}/whistles/${id}`).then(draw).catch((error) => {
        if (error.status === 404) { remove(id); renderPanel(); }
      });
    }

    state.whistles = { load, refresh, whistles };
    load().then(() => {
      state.stream.addEventListener("whistle", (e) => {
        let data = null;
        try { data = JSON.parse(e.data); } catch (error) { return; }
        if (data && data.id) { refresh(data.id); }
      });
      state.stream.addEventListener("reset", load);
      panel.dataset.ready = "true";
    });
  }

  /* The command page's own script builds the map and the stream when the page has loaded. */
  function whenReady(tries) {
    const state = window.wanggeState;
    const map = state && (state.map || Object.values(window).find((v) => v instanceof L.Map));
    if (state && state.stream && map) { start(state, map); return; }
    if (tries > 0) { setTimeout(() => whenReady(tries - 1), 100); }
  }
  window.addEventListener("load", () => whenReady(100));
})();
