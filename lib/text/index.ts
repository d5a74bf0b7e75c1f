export { escapeForDisplay } from "./escape";
export { type Column, renderTable, type TableOptions, truncateToWidth, widthOf } from "./table";
export {
  formatInstant,
  formatLocalMoment,
  formatMoment,
  formatOffset,
  formatSpan,
  momentWriter,
} from "./time";
export { closestMatch, plural, wrapText } from "./words";
