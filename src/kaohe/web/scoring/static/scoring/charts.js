/* Score charts: data comes from json_script blocks written by the server (engine runs only). */
(function () {
  "use strict";
  function data(id) {
    var el = document.getElementById(id);
    return el ? JSON.parse(el.textContent) : null;
  }
  function chart(id) {
    var el = document.getElementById(id);
    if (!el || typeof echarts === "undefined") { return null; }
    var c = echarts.init(el);
    window.addEventListener("resize", function () { c.resize(); });
    return c;
  }
  var trend = data("trend-data");
  var t = trend && chart("trend-chart");
  if (t) {
    t.setOption({
      tooltip: { trigger: "axis" },
      legend: { type: "scroll", top: 0 },
      grid: { left: 40, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: trend.periods },
      yAxis: { type: "value", scale: true },
      series: trend.series.map(function (s) {
        return {
          name: s.name + "（" + s.code + "）",
          type: "line",
          connectNulls: false,
          data: s.data.map(function (v) { return v === null ? null : Number(v); })
        };
      })
    });
  }
  var items = data("items-data");
  var b = items && chart("items-chart");
  if (b) {
    b.setOption({
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
      xAxis: { type: "value" },
      yAxis: { type: "category", inverse: true, data: items.items,
               axisLabel: { width: 160, overflow: "truncate" } },
      series: [{ type: "bar", itemStyle: { color: "#c62828" },
                 data: items.lost.map(Number) }]
    });
  }
})();
