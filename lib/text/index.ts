export { escapeForDisplay } from "./escape";
export { type Column, renderTable } from "./table";
export { formatMoment, formatSpan } from "./time";
