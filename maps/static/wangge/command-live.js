/* 指挥中心地图, live: the event stream (Server-Sent Events fed by PostgreSQL NOTIFY) feeds a
 * list of the latest events (click one to fly to it), a short highlight where a case arrived,
 * the figures and the count tiles of the micro-grids that changed. Events: `created` (a new
 * case), `changed` (re-assigned, a new status or a card; one case or a batch
 * `{incidents: [...]}`: the marker recolours, the open case panel reloads, the 时限督办 counts
 * follow), `import` and `reset` (reload what the page shows); any other name is ignored. */
"use strict";

function wanggeCommandLive(map, cfg, page) {
  const { state, addIncident, showIncident, loadIncidents, loadFigures, recolour } = page;
  const { escape } = window.wangge;
  const FEED_SIZE = 20;
  const HIGHLIGHT_MS = 8000;
  const counts = state.counts;
  const highlights = L.layerGroup().addTo(map);

  const feed = L.control({ position: "bottomleft" });
  feed.onAdd = () => {
    const div = L.DomUtil.create("div", "wg-feed");
    div.innerHTML = "<b>实时动态</b><ol></ol><div class='wg-feed-empty'>暂无新事件</div>";
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    div.querySelector("ol").addEventListener("click", (e) => {
      const li = e.target.closest("li");
      if (li) { flyTo(state.feed[Number(li.dataset.index)]); }
    });
    return div;
  };
  feed.addTo(map);

  function clock() {
    return wgChinaTime(new Date().toISOString()).slice(11);
  }

  function push(entry) {
    state.feed.unshift(entry);
    state.feed.length = Math.min(state.feed.length, FEED_SIZE);
    const list = document.querySelector(".wg-feed ol");
    list.innerHTML = state.feed.map((f, i) =>
      "<li data-index='" + i + "' data-code='" + escape(f.code) + "'><time>" + escape(f.at) + "</time> " +
      "<span class='wg-kind'>" + escape(f.kind) + "</span> " + escape(f.code) + " " +
      escape(cfg.status.labels[f.status] || "") + "</li>").join("");
    document.querySelector(".wg-feed-empty").style.display = state.feed.length ? "none" : "";
  }

  function flyTo(entry) {
    if (!entry) { return; }
    const target = L.latLng(entry.lat, entry.lon);
    map.once("moveend", () => showIncident(entry.code, target));
    map.flyTo(target, Math.max(map.getZoom(), 16), { duration: 0.8 });
  }

  function highlight(lat, lon) {
    const ring = L.marker([lat, lon], {
      icon: L.divIcon({ className: "wg-pulse", iconSize: [44, 44] }), interactive: false, keyboard: false,
    }).addTo(highlights);
    setTimeout(() => highlights.removeLayer(ring), HIGHLIGHT_MS);
  }

  /* Fetch again the count tile holding a point at the current zoom: the other tiles stay. */
  function refreshCounts(lat, lon) {
    if (!map.hasLayer(counts) || counts._tileZoom === undefined) { return; }
    const z = counts._tileZoom;
    const at = map.project([lat, lon], z).unscaleBy(counts.getTileSize()).floor();
    const key = at.x + ":" + at.y + ":" + z;
    counts.options.v = Date.now();  // past the browser's cache of the old tile
    state.countRefreshes.push(z + "/" + at.x + "/" + at.y);
    if (counts._tiles[key]) {
      counts._removeTile(key);
      counts._update();
    }
  }

  let figuresTimer = null;
  function figuresSoon() {
    clearTimeout(figuresTimer);
    figuresTimer = setTimeout(loadFigures, 500);
  }

  function created(item) {
    state.live += 1;
    push({ kind: "新上报", code: item.code, status: item.status, lat: item.lat, lon: item.lon, at: clock() });
    highlight(item.lat, item.lon);
    refreshCounts(item.lat, item.lon);
    figuresSoon();
    page.supervisionSoon();
    if (page.matches(item)) { addIncident(item, true); }
  }

  function changed(item) {
    push({ kind: "状态变更", code: item.code, status: item.status, lat: item.lat, lon: item.lon, at: clock() });
    refreshCounts(item.lat, item.lon);
    figuresSoon();
    page.supervisionSoon();
    recolour(item);
    page.caseChanged(item);
  }

  function reload() {
    counts.options.v = Date.now();
    counts.redraw();
    loadIncidents();
    loadFigures();
    page.supervisionSoon();
    if (state.open) { page.caseChanged({ code: state.open.code, status: state.open.status }); }
  }

  const stream = new EventSource(cfg.api + "/stream");
  const parse = (handler) => (e) => {
    let data = null;
    try { data = JSON.parse(e.data); } catch (error) { return; }
    (data && Array.isArray(data.incidents) ? data.incidents : [data]).forEach((item) => {
      if (item && item.code) { handler(item); }
    });
  };
  stream.addEventListener("created", parse(created));
  stream.addEventListener("changed", parse(changed));
  stream.addEventListener("reset", reload);
  stream.addEventListener("import", reload);
  window.wangge.watchSession(stream, cfg.api);
  state.stream = stream;
}
