/* leaflet-draw in Chinese: every string of L.drawLocal (buttons, actions, tooltips, errors),
 * set before plan.js builds the toolbar, so no English title or tooltip ever shows.
 * The lasso tools (polygon, rectangle) select areas; the polyline is the cut. */
"use strict";

function wanggePlanDrawZh() {
  L.drawLocal = {
    format: { numeric: { delimiters: { thousands: ",", decimal: "." } } },
    draw: {
      toolbar: {
        actions: { title: "取消绘制", text: "取消" },
        finish: { title: "完成绘制", text: "完成" },
        undo: { title: "删除最后一点", text: "删除最后一点" },
        buttons: {
          polyline: "画分割线（切分所选区域）",
          polygon: "多边形框选区域",
          rectangle: "矩形框选区域",
          circle: "画圆",
          marker: "放置标记",
          circlemarker: "放置圆点",
        },
      },
      handlers: {
        circle: { tooltip: { start: "按住并拖动画圆" }, radius: "半径" },
        circlemarker: { tooltip: { start: "点击地图放置圆点" } },
        marker: { tooltip: { start: "点击地图放置标记" } },
        polygon: {
          tooltip: {
            start: "点击开始框选",
            cont: "继续点击，圈出要选的区域",
            end: "点击第一个点结束框选",
          },
        },
        polyline: {
          error: "<strong>错误：</strong>线段不能相互交叉！",
          tooltip: {
            start: "点击开始画分割线",
            cont: "继续点击画分割线",
            end: "点击最后一点结束画线",
          },
        },
        rectangle: { tooltip: { start: "按住并拖动框选区域" } },
        simpleshape: { tooltip: { end: "松开鼠标结束" } },
      },
    },
    edit: {
      toolbar: {
        actions: {
          save: { title: "保存修改", text: "保存" },
          cancel: { title: "取消编辑，放弃所有修改", text: "取消" },
          clearAll: { title: "清除全部图形", text: "全部清除" },
        },
        buttons: {
          edit: "编辑图形",
          editDisabled: "没有可编辑的图形",
          remove: "删除图形",
          removeDisabled: "没有可删除的图形",
        },
      },
      handlers: {
        edit: { tooltip: { text: "拖动控制点以修改图形", subtext: "点击取消可撤销修改" } },
        remove: { tooltip: { text: "点击图形将其删除" } },
      },
    },
  };
}
