/* 我的网格: the member's own area among its neighbours, open cases, tap anywhere to identify. */
"use strict";

function wanggeField(map, cfg) {
  const api = cfg.api;
  const state = { cases: [] };
  window.wanggeFieldState = state;
  const { escape, getJSON, fetch } = window.wangge;

  const neighbours = L.geoJSON(cfg.neighbours, {
    style: { color: "#737373", weight: 1.5, dashArray: "4 4", fillOpacity: 0.03 },
    onEachFeature: (f, layer) => layer.bindTooltip(escape(f.properties.name)),
  }).addTo(map);
  const mine = L.geoJSON(cfg.area, {
    style: { color: "#d7301f", weight: 4, fillColor: "#fc9272", fillOpacity: 0.15 },
  }).addTo(map);
  state.area = mine;
  state.neighbours = neighbours;
  map.fitBounds(mine.getBounds(), { padding: [20, 20] });

  const casesLayer = L.layerGroup().addTo(map);
  const panel = L.control({ position: "bottomleft" });
  panel.onAdd = () => {
    const div = L.DomUtil.create("div", "wg-cases");
    div.innerHTML = "<b>" + escape(cfg.area.properties.name) + "</b><div>" +
      cfg.chain.slice(0, -1).map((c) => escape(c.name)).join(" › ") + "</div><div>" +
      escape(cfg.member.kindLabel) + "：" + escape(cfg.member.name) + "</div><div class='wg-case-list'>加载中…</div>";
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  panel.addTo(map);

  const params = new URLSearchParams({ status: cfg.status.open.join(","), limit: "100", format: "geojson" });
  getJSON(api + "/members/" + cfg.member.id + "/incidents?" + params).then((fc) => {
    state.cases = fc.features.map((f) => f.id);
    const list = document.querySelector(".wg-case-list");
    if (!fc.features.length) { list.textContent = "暂无未办结事件"; return; }
    list.innerHTML = "<div>未办结事件 " + fc.features.length + " 件</div><ul>" + fc.features.map((f) =>
      "<li data-code='" + escape(f.id) + "'>" + escape(f.id) + " " + escape(f.properties.category.name) +
      " · " + escape(f.properties.status_label) + "</li>").join("") + "</ul>";
    fc.features.forEach((f) => {
      const [lon, lat] = f.geometry.coordinates;
      L.circleMarker([lat, lon], { radius: 8, color: "#fff", weight: 2,
        fillColor: cfg.status.colours[f.properties.status] || "#333", fillOpacity: 0.9 })
        .bindPopup(escape(f.id) + "<br>" + escape(f.properties.description) + "<br>时限：" + escape(f.properties.deadline_at))
        .addTo(casesLayer);
    });
    list.querySelectorAll("li").forEach((li) => li.addEventListener("click", () => {
      const f = fc.features.find((x) => x.id === li.dataset.code);
      map.setView([f.geometry.coordinates[1], f.geometry.coordinates[0]], Math.max(map.getZoom(), 15));
    }));
  }).catch((e) => { document.querySelector(".wg-case-list").textContent = "加载失败：" + e.message; });

  map.on("click", (e) => {
    const q = new URLSearchParams({ lon: e.latlng.lng.toFixed(7), lat: e.latlng.lat.toFixed(7), datum: "wgs84" });
    fetch(api + "/locate?" + q).then((r) => r.json().then((body) => ({ ok: r.ok, body }))).then(({ ok, body }) => {
      let html;
      if (ok) {
        const r = body.responsible;
        const who = [r.grid_worker ? "网格员 " + escape(r.grid_worker.name) + " " + escape(r.grid_worker.phone) : ""]
          .concat(r.party_members.slice(0, 3).map((p) => "党员 " + escape(p.name) + " " + escape(p.phone)))
          .filter(Boolean).join("<br>");
        html = "<b>" + escape(body.chain[body.chain.length - 1].name) + "</b><div>" +
          body.chain.slice(1, -1).map((c) => escape(c.name)).join(" › ") + "</div><div>" + who + "</div>";
      } else {
        html = escape(body.detail || "不在本旗范围内");
      }
      state.lastLocate = body;
      L.popup().setLatLng(e.latlng).setContent("<div class='wg-popup'>" + html + "</div>").openOn(map);
    });
  });
}
