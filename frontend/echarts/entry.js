// The ECharts that Tickercast loads as /echarts.min.js: only the chart types, components and
// renderer the app's charts use. Bundled by build.mjs into an IIFE that sets the global
// `echarts`; check.mjs draws the app's charts with it.
//
// Used by the app (app/src/components/*.rs):
//   series      candlestick (chart.rs), line (all four charts), bar (chart.rs: volume, MACD)
//   components  grid with category/value/log axes, tooltip (trigger axis; showTip action),
//               axisPointer (cross pointer, link across grids; updateAxisPointer event),
//               legend (plain, and scroll in track_record.rs), dataZoom inside + slider
//               (chart.rs), markLine (chart.rs: RSI 30/70)
//   renderer    canvas
import * as echarts from 'echarts/core';
import { CandlestickChart, LineChart, BarChart } from 'echarts/charts';
import {
  GridComponent,
  TooltipComponent,
  AxisPointerComponent,
  LegendComponent,
  DataZoomInsideComponent,
  DataZoomSliderComponent,
  MarkLineComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  CandlestickChart,
  LineChart,
  BarChart,
  GridComponent,
  TooltipComponent,
  AxisPointerComponent,
  LegendComponent,
  DataZoomInsideComponent,
  DataZoomSliderComponent,
  MarkLineComponent,
  CanvasRenderer,
]);

// The global `echarts`: what the app calls (init, getInstanceByDom; components/echarts.rs and
// charming's WasmRenderer), plus dispose and version. Chart instances keep their whole API
// (setOption, getOption, dispatchAction, on, resize, dispose, …). Export more of 'echarts/core'
// here if a caller needs it.
export { init, getInstanceByDom, dispose, version } from 'echarts/core';
