// uPlot options shared by every chart: axes and grid in the app's dark palette.
import type uPlot from 'uplot';

const AXIS_STROKE = '#98a1b3';
const GRID_STROKE = '#2a303b';

export function themedAxes(xLabel: string, yLabel: string, xValues?: uPlot.Axis['values'], yValues?: uPlot.Axis['values']): uPlot.Axis[] {
  const axis = (label: string): uPlot.Axis => ({
    label,
    labelSize: 16,
    labelFont: '11px system-ui, sans-serif',
    font: '10px system-ui, sans-serif',
    size: 44,
    stroke: AXIS_STROKE,
    grid: { stroke: GRID_STROKE, width: 1 },
    ticks: { stroke: GRID_STROKE, width: 1 },
  });
  return [{ ...axis(xLabel), size: 32, ...(xValues ? { values: xValues } : {}) }, { ...axis(yLabel), ...(yValues ? { values: yValues } : {}) }];
}
