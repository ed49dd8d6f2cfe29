/* 数据看板 (maps/dashboard.py): today's figures, the period's rates, the trend against last
 * year, the top categories, a ranking and a choropleth, each opening the cases behind it in a
 * drawer; Apache ECharts for the charts, the page's folium map for the choropleth. Refreshed
 * from the event stream: a new or changed case reloads the live figures (at most every few
 * seconds), `reset` and `import` everything, a published ranking (`ranking`) its bars. It opens
 * on this month, or, while this month has no rate yet (every headline rate 样本不足 or hidden),
 * on the last earlier month with cases (cfg.fallback). The first figure drawn is marked
 * (performance mark `wg-first-figure`, read by bench/indicators.py's paint row). State for
 * tests: window.wanggeDashboardState. */
"use strict";

function wanggeDashboard(map, cfg) {
  const { escape, getJSON, chinaTime } = window.wangge;
  const $ = (id) => document.getElementById(id);
  const api = cfg.api;
  const REFRESH_MS = 3000;
  const DRAWER_MAX = 2000;
  const PAGE = 500;
  const RAMP = ["#1b3a5c", "#23628f", "#2f8fb5", "#5fbfc9", "#a8e6cf"];
  const TEXT = "#dfe8f2";
  const state = {
    period: cfg.periods[0].value, periodInfo: null, charts: {}, loads: 0, refreshes: 0,
    drawer: null, mapLayer: null, stream: null, errors: [], rankingLoads: 0, rankingEvents: 0,
  };
  window.wanggeDashboardState = state;
  /* Where on the screen an area of the choropleth can be clicked (for tests and the tour). */
  state.screenPoint = (index) => {
    const layer = state.mapLayer.getLayers()[index];
    const at = map.latLngToContainerPoint(layer.getCenter());
    const box = map.getContainer().getBoundingClientRect();
    return [box.left + at.x, box.top + at.y, layer.feature.properties.code];
  };

  /* the folium map into its panel */
  const container = map.getContainer();
  $("wg-mapslot").appendChild(container);
  map.invalidateSize();

  const indicatorOf = Object.fromEntries(cfg.indicators.map((i) => [i.name, i]));
  const fill = (select, options, value) => {
    select.innerHTML = options.map((o) => "<option value='" + escape(o.value) + "'>" + escape(o.label) + "</option>").join("");
    select.value = value;
  };
  fill($("wg-period"), cfg.periods, state.period);
  fill($("wg-trend-name"), cfg.trend.map((i) => ({ value: i.name, label: i.label })), cfg.trend[0].name);
  fill($("wg-map-name"), cfg.indicators.map((i) => ({ value: i.name, label: i.label })), cfg.choropleth);
  fill($("wg-map-level"), cfg.levels, cfg.levels[0].value);
  fill($("wg-ranking-kind"), cfg.rankingKinds, cfg.rankingKinds[0].value);

  /* A figure as people read it: a rate in per cent, a count whole; 样本不足 and 不公开 said. */
  function shown(item, unit) {
    if (item.suppressed) { return "不公开"; }
    if (item.value == null) { return item.insufficient ? "样本不足" : "—"; }
    return unit === "rate" ? (item.value * 100).toFixed(1) + "%" : String(Math.round(item.value));
  }
  const year = () => Number(state.period.slice(0, 4));
  const quarterOf = (period) => {
    if (/Q/.test(period)) { return period; }
    if (period.length === 7) { return period.slice(0, 4) + "-Q" + (Math.floor((Number(period.slice(5)) - 1) / 3) + 1); }
    return period + "-Q4";
  };
  const nextDay = (day) => new Date(Date.parse(day + "T00:00:00Z") + 86400000).toISOString().slice(0, 10);
  const windowOf = () => state.periodInfo ? {
    from: state.periodInfo.start + "T00:00:00+08:00", to: nextDay(state.periodInfo.end) + "T00:00:00+08:00",
  } : {};
  const failed = (where) => (error) => {
    state.errors.push(where + "：" + error.message);
    const slot = $(where);
    if (slot) { slot.innerHTML = "<p class='wg-failed'>" + escape(error.message) + "</p>"; }
  };

  /* the first figure on the screen, once: marked when the frame that shows it is drawn */
  function drawn() {
    if (state.firstFigure) { return; }
    state.firstFigure = true;
    requestAnimationFrame(() => performance.mark("wg-first-figure"));
  }

  function card(key, label, value, note, spec) {
    const div = document.createElement("button");
    div.type = "button";
    div.className = "wg-card";
    div.dataset.key = key;
    const words = /^[\d.%—-]+$/.test(String(value)) ? "" : " wg-words";  // 样本不足, 不公开
    div.innerHTML = "<span class='wg-card-label'>" + escape(label) + "</span><span class='wg-card-value" + words + "'>" +
      escape(value) + "</span><span class='wg-card-note'>" + escape(note || "") + "</span>";
    div.addEventListener("click", () => openDrawer(spec));
    return div;
  }

  /* today: the summary's four figures, each opening the list filter it stands for */
  function loadToday() {
    return getJSON(api + "/incidents/summary").then((s) => {
      const today = cfg.today + "T00:00:00+08:00";
      const open = cfg.status.open.join(",");
      const box = $("wg-today");
      box.innerHTML = "<h2>今日（实时）</h2>";
      box.append(
        card("new_today", "今日新增", s.new_today, "件", { title: "今日新增事件", list: { from: today } }),
        card("open", "在办", s.open, "件", { title: "在办事件", list: { status: open } }),
        card("due_soon", "即将到期", s.due_24h, "24小时内", { title: "即将到期的事件（当前环节48小时内）", list: { due: "soon" } }),
        card("overdue", "已超期", s.overdue, "件", { title: "已超期的事件（当前环节）", list: { due: "overdue" } }),
      );
      $("wg-asof").textContent = "数据截至 " + chinaTime(s.as_of) + "（北京时间）";
      drawn();
    }).catch(failed("wg-today"));
  }

  /* the period's headline figures */
  const headlineNames = cfg.headline.map((i) => i.name).join(",");
  const headlineOf = (period) => getJSON(api + "/indicators?" + new URLSearchParams({ period, names: headlineNames }));
  const rateless = (body) => body.indicators.every((i) => indicatorOf[i.name].unit !== "rate" || i.value == null);
  function loadHeadline() {
    return headlineOf(state.period).then(drawHeadline).catch(failed("wg-headline"));
  }
  /* on opening: this month, or the fallback month while this month has no rate yet */
  function openingHeadline() {
    return headlineOf(state.period).then((body) => {
      if (!cfg.fallback || cfg.fallback === state.period || !rateless(body)) { return body; }
      state.period = cfg.fallback;
      $("wg-period").value = cfg.fallback;
      state.fellBack = true;
      return headlineOf(state.period);
    }).then(drawHeadline).catch(failed("wg-headline"));
  }
  function drawHeadline(body) {
    state.periodInfo = body.period;
    const box = $("wg-headline");
    box.innerHTML = "<h2>" + escape(body.period.label) + "</h2>";
    body.indicators.forEach((item) => {
      const unit = indicatorOf[item.name].unit;
      const note = unit === "rate" && item.denominator != null ? item.numerator + " / " + item.denominator : "件";
      box.append(card(item.name, item.label, shown(item, unit), note, {
        title: item.label + "（" + body.period.label + "）", indicator: { name: item.name, part: "numerator" },
        expected: item.numerator,
      }));
    });
    $("wg-xlsx").href = api + "/indicators?" + new URLSearchParams({ period: state.period, format: "xlsx" });
    drawn();
  }

  /* a chart follows its panel's size (the cards above it fill in after it was made) */
  const sizes = new ResizeObserver((entries) => entries.forEach((e) => {
    const made = state.charts[e.target.id];
    if (made) { made.resize(); }
  }));
  function chart(id) {
    if (!state.charts[id]) {
      state.charts[id] = echarts.init($(id), "dark", { renderer: "canvas" });
      sizes.observe($(id));
    }
    return state.charts[id];
  }
  /* labels readable across a room on the wall screen, still fitting a laptop */
  const axisText = { color: TEXT, fontSize: Math.round(Math.max(12, Math.min(18, window.innerWidth / 110))) };
  const base = { backgroundColor: "transparent", textStyle: { fontFamily: "inherit" }, animation: false };

  function loadTrend() {
    const name = $("wg-trend-name").value;
    const unit = indicatorOf[name].unit;
    const y = year();
    return getJSON(api + "/indicators/trend?" + new URLSearchParams({ name, year: String(y) })).then((t) => {
      const fmt = (v) => (v == null ? null : unit === "rate" ? Math.round(v * 1000) / 10 : v);
      chart("wg-trend").setOption(Object.assign({}, base, {
        grid: { left: 10, right: 20, top: 40, bottom: 10, containLabel: true },
        legend: { data: [y + "年", (y - 1) + "年"], textStyle: axisText, top: 4 },
        tooltip: { trigger: "axis" },
        xAxis: { type: "category", data: t.months.map((m) => Number(m.slice(5)) + "月"), axisLabel: axisText },
        yAxis: { type: "value", axisLabel: Object.assign({ formatter: unit === "rate" ? "{value}%" : "{value}" }, axisText) },
        series: [
          { name: y + "年", type: "line", data: t.this_year.map(fmt), smooth: true, symbolSize: 8, lineStyle: { width: 3 } },
          { name: (y - 1) + "年", type: "line", data: t.last_year.map(fmt), smooth: true, symbolSize: 6, lineStyle: { type: "dashed" } },
        ],
      }), true);
      state.trend = t;
    }).catch(failed("wg-trend"));
  }

  function loadCategories() {
    return getJSON(api + "/indicators/categories?" + new URLSearchParams({ period: state.period, top: "8" })).then((rows) => {
      const top = rows.slice().reverse();
      chart("wg-categories").setOption(Object.assign({}, base, {
        grid: { left: 10, right: 50, top: 10, bottom: 24, containLabel: true },
        tooltip: {},
        xAxis: { type: "value", axisLabel: axisText },
        yAxis: { type: "category", data: top.map((r) => r.name), axisLabel: axisText },
        series: [{ type: "bar", data: top.map((r) => r.count), itemStyle: { color: "#f6a04d" }, barMaxWidth: 32, label: { show: true, position: "right", color: TEXT, fontSize: axisText.fontSize } }],
      }), true);
      state.categories = top;
    }).catch(failed("wg-categories"));
  }

  function loadRanking() {
    const kind = $("wg-ranking-kind").value;
    const quarter = quarterOf(state.period);
    const named = quarter.replace("-Q", "年第") + "季度";
    $("wg-ranking-quarter").textContent = named;
    if (!cfg.rankings) {
      state.ranking = { kind, quarter, rows: [] };
      $("wg-ranking-quarter").textContent = "此账号无权查看排名";
      chart("wg-ranking").clear();
      return Promise.resolve();
    }
    return getJSON(api + "/rankings?" + new URLSearchParams({ quarter, kind })).then((r) => {
      const rows = r.rows.filter((row) => row.score != null).slice(0, 15).reverse();
      const published = Boolean(r.published);  // frozen: solid bars; live: muted, said so
      $("wg-ranking-quarter").textContent = named + (published ? "（已发布）" : "（未发布，实时计算）");
      chart("wg-ranking").setOption(Object.assign({}, base, {
        grid: { left: 10, right: 60, top: 10, bottom: 24, containLabel: true },
        tooltip: {},
        xAxis: { type: "value", max: 100, axisLabel: axisText },
        yAxis: { type: "category", data: rows.map((row) => row.rank + ". " + row.name), axisLabel: Object.assign({ width: 9 * axisText.fontSize, overflow: "truncate" }, axisText) },
        series: [{ type: "bar", data: rows.map((row) => row.score), itemStyle: { color: published ? "#5fbfc9" : "#7f8fa6" }, barMaxWidth: 32, label: { show: true, position: "right", color: TEXT, fontSize: axisText.fontSize } }],
      }), true);
      state.ranking = { kind, quarter, rows, published };
      state.rankingLoads += 1;
    }).catch((error) => {
      if (error.status === 403) {
        chart("wg-ranking").clear();
        state.ranking = { kind, quarter, rows: [] };
        $("wg-ranking-quarter").textContent = "此账号无权查看排名";
        return;
      }
      failed("wg-ranking")(error);
    });
  }

  function loadMap() {
    const name = $("wg-map-name").value;
    const unit = indicatorOf[name].unit;
    const params = { name, period: state.period, level: $("wg-map-level").value };
    return getJSON(api + "/indicators/by-area?" + new URLSearchParams(params)).then((fc) => {
      const values = fc.features.map((f) => f.properties.value).filter((v) => v != null);
      const low = Math.min(...values), high = Math.max(...values);
      const classOf = (v) => (high > low ? Math.min(RAMP.length - 1, Math.floor(((v - low) / (high - low)) * RAMP.length)) : RAMP.length - 1);
      if (state.mapLayer) { map.removeLayer(state.mapLayer); }
      state.mapLayer = L.geoJSON(fc, {
        style: (f) => ({
          color: "#0b1724", weight: 1, fillOpacity: 0.85,
          fillColor: f.properties.value == null ? "#3a4552" : RAMP[classOf(f.properties.value)],
        }),
        onEachFeature: (f, layer) => {
          const p = f.properties;
          layer.bindTooltip(escape(p.name) + "<br>" + escape(indicatorOf[name].label) + " " + escape(shown(p, unit)));
          layer.on("click", () => openDrawer({
            title: p.name + " · " + indicatorOf[name].label, expected: p.numerator,
            indicator: { name, part: "numerator", area: p.code },
          }));
        },
      }).addTo(map);
      if (fc.features.length) { map.fitBounds(state.mapLayer.getBounds(), { padding: [8, 8] }); }
      const step = (high - low) / RAMP.length;
      const label = (v) => (unit === "rate" ? (v * 100).toFixed(1) + "%" : String(Math.round(v)));
      $("wg-maplegend").innerHTML = values.length ? RAMP.map((c, i) => "<span><i style='background:" + c + "'></i>" +
        escape(label(low + i * step)) + "</span>").join("") + "<span><i style='background:#3a4552'></i>无数据/样本不足</span>" : "本期无数据";
      state.mapFeatures = fc.features.length;
    }).catch(failed("wg-maplegend"));
  }

  /* The cases behind a figure, page after page up to DRAWER_MAX, each linking to the command page. */
  function openDrawer(spec) {
    const drawer = $("wg-drawer");
    const list = $("wg-drawer-list");
    $("wg-drawer-title").textContent = spec.title;
    $("wg-drawer-count").textContent = "加载中…";
    delete $("wg-drawer-count").dataset.count;
    list.innerHTML = "";
    drawer.classList.add("wg-open");
    drawer.setAttribute("aria-hidden", "false");
    const token = {};
    state.drawer = { token, spec, count: null };
    const items = [];
    const url = (extra) => {
      if (spec.indicator) {
        const q = Object.assign({ period: spec.period || state.period, limit: String(PAGE) }, spec.indicator, extra);
        return api + "/indicators/cases?" + new URLSearchParams(q);
      }
      return api + "/incidents?" + new URLSearchParams(Object.assign({ limit: String(PAGE) }, spec.list, extra));
    };
    const page = (extra) => getJSON(url(extra)).then((body) => {
      if (state.drawer.token !== token) { return null; }
      items.push(...body.items);
      const more = spec.indicator ? body.items.length === PAGE : Boolean(body.next_cursor);
      if (more && items.length < DRAWER_MAX) {
        return page(spec.indicator ? { offset: String(items.length) } : { cursor: body.next_cursor });
      }
      return more;
    });
    page({}).then((truncated) => {
      if (truncated === null) { return; }
      state.drawer.count = items.length;
      const figure = spec.expected != null ? "（指标 " + spec.expected + " 件）" : "";
      $("wg-drawer-count").textContent = "共 " + items.length + " 件" + (truncated ? "以上，仅列前 " + items.length + " 件" : "") + figure;
      $("wg-drawer-count").dataset.count = String(items.length);
      list.innerHTML = items.map((i) => "<li><a href='" + cfg.command + "?incident=" + encodeURIComponent(i.code) + "'>" +
        escape(i.code) + "</a> <span class='wg-status'>" + escape(i.status_label) + "</span> " +
        escape(i.category.name) + " <time>" + escape(chinaTime(i.reported_at)) + "</time></li>").join("");
    }).catch((error) => { $("wg-drawer-count").textContent = error.message; });
  }
  function closeDrawer() {
    $("wg-drawer").classList.remove("wg-open");
    $("wg-drawer").setAttribute("aria-hidden", "true");
    state.drawer = null;
  }
  $("wg-drawer-close").addEventListener("click", closeDrawer);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") { closeDrawer(); } });

  /* chart clicks: a month of the trend, a category, a ranked unit */
  chart("wg-trend").on("click", (p) => {
    const name = $("wg-trend-name").value;
    const y = p.seriesIndex === 0 ? year() : year() - 1;
    const month = y + "-" + String(p.dataIndex + 1).padStart(2, "0");
    openDrawer({ title: indicatorOf[name].label + "（" + y + "年" + (p.dataIndex + 1) + "月）", period: month,
      indicator: { name, part: "numerator" } });
  });
  chart("wg-categories").on("click", (p) => {
    const row = state.categories[p.dataIndex];
    openDrawer({ title: row.name + "（" + (state.periodInfo ? state.periodInfo.label : "") + "）", expected: row.count,
      list: Object.assign({ category: row.code }, windowOf()) });
  });
  chart("wg-ranking").on("click", (p) => {
    const row = state.ranking.rows[p.dataIndex];
    const where = state.ranking.kind === "department" ? { department: row.code } : { area: row.code };
    openDrawer({ title: row.name + " · 应处置事件（" + state.ranking.quarter + "）", period: state.ranking.quarter,
      indicator: Object.assign({ name: "due_handling", part: "numerator" }, where) });
  });

  function loadPeriod(opening) {
    state.loads += 1;
    state.periodReady = false;
    return (opening ? openingHeadline() : loadHeadline()).then(() => {
      const asked = state.period;
      return Promise.all([loadTrend(), loadCategories(), loadRanking(), loadMap()])
        .then(() => { state.periodReady = state.period === asked; });
    });
  }
  function loadAll() {
    return Promise.all([loadToday(), loadPeriod(false)]).then(() => { state.ready = true; });
  }
  $("wg-period").addEventListener("change", (e) => { state.period = e.target.value; loadPeriod(false); });
  $("wg-trend-name").addEventListener("change", loadTrend);
  $("wg-map-name").addEventListener("change", loadMap);
  $("wg-map-level").addEventListener("change", loadMap);
  $("wg-ranking-kind").addEventListener("change", loadRanking);
  window.addEventListener("resize", () => {
    Object.values(state.charts).forEach((c) => c.resize());
    map.invalidateSize();
  });

  /* live: a new or changed case refreshes today's figures and the period's, at most every REFRESH_MS */
  let timer = null;
  const soon = () => {
    if (timer) { return; }
    timer = setTimeout(() => {
      timer = null;
      state.refreshes += 1;
      loadToday();
      loadHeadline().then(loadCategories);
    }, REFRESH_MS);
  };
  const stream = new EventSource(api + "/stream");
  stream.addEventListener("created", soon);
  stream.addEventListener("changed", soon);
  stream.addEventListener("reset", loadAll);
  stream.addEventListener("import", loadAll);
  /* a ranking published: the bars of the quarter and kind on screen redraw (now frozen) */
  stream.addEventListener("ranking", (e) => {
    const m = JSON.parse(e.data);
    state.rankingEvents += 1;
    if (state.ranking && m.quarter === state.ranking.quarter && m.ranking === state.ranking.kind) { loadRanking(); }
  });
  stream.addEventListener("open", () => $("wg-live").classList.add("wg-on"));
  stream.addEventListener("error", () => $("wg-live").classList.remove("wg-on"));
  window.wangge.watchSession(stream, api);
  state.stream = stream;

  Promise.all([loadToday(), loadPeriod(true)]).then(() => { state.ready = true; });
}
