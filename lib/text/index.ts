export { escapeForDisplay } from "./escape";
export { type Column, renderTable, type TableOptions, truncateToWidth, widthOf } from "./table";
export { formatInstant, formatLocalMoment, formatMoment, formatOffset, formatSpan } from "./time";
export { closestMatch, plural, wrapText } from "./words";
