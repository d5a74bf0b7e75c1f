export { buildCalendar, CalendarError, calendarEntryProblem } from "./calendar";
export {
  activeTerm,
  type Calendar,
  currentStretchEnd,
  describeTerm,
  EMPTY_CALENDAR,
  type EvaluateOptions,
  isActive,
  nextTransitions,
  type Transition,
} from "./evaluate";
export { parseSchedule, type Schedule, ScheduleSyntaxError, type Term, WEEKDAYS } from "./parse";
