import { isTimeZone } from "../config";
import { type Clock, systemClock } from "../engine/clock";
import {
  activeTerm,
  buildCalendar,
  describeTerm,
  nextTransitions,
  parseSchedule,
  type Schedule,
  type Transition,
} from "../schedule";
import { formatMoment, formatSpan } from "../text";
import { COMMANDS, parseCommand } from "./commands";
import { usageText } from "./help";
import type { CliIo } from "./io";
import { UsageError } from "./io";
import { parseNow } from "./now";

/**
 * `qfhk schedule explain "<expr>" [--now T] [--zone Z] [--holiday D …] [--workday D …]`: says
 * whether the schedule is on now and when it next changes, in words.
 */
export async function runScheduleCommand(
  argv: string[],
  io: CliIo,
  clock: Clock = systemClock,
): Promise<number> {
  const spec = COMMANDS["schedule explain"];
  const { values, positionals } = parseCommand(spec, argv);
  const [expression] = positionals;
  if (expression === undefined || positionals.length > 1) {
    throw new UsageError(usageText(spec));
  }
  if (!isTimeZone(values.zone))
    throw new UsageError(`--zone must be an IANA time zone, got '${values.zone}'`);
  const now = parseNow(values.now, clock);
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 50)
    throw new UsageError("--count must be from 1 to 50");
  let schedule: Schedule;
  try {
    schedule = parseSchedule(expression);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const calendar = buildCalendar(values.holiday ?? [], values.workday ?? []);
  const options = { defaultZone: values.zone, calendar };
  const term = activeTerm(schedule, now, options);
  const lines = [
    `"${expression}" (default zone ${values.zone}), at ${formatMoment(now, now, values.zone)} ${values.zone}:`,
  ];
  lines.push(term ? `  ON now, by ${describeTerm(term, values.zone)}` : "  OFF now");
  const transitions = nextTransitions(schedule, now, { ...options, count });
  if (transitions.length === 0) lines.push("  no change in the next 15 days");
  for (const t of transitions) {
    const zone = transitionZone(schedule, t, options);
    const when = formatMoment(t.at, new Date(0), zone);
    const weekday = new Intl.DateTimeFormat("en", { weekday: "short", timeZone: zone }).format(t.at);
    lines.push(
      `  ${t.active ? "turns ON " : "turns OFF"} ${weekday} ${when} ${zone} (in ${formatSpan(t.at.getTime() - now.getTime())})`,
    );
  }
  io.stdout(lines.join("\n"));
  return 0;
}

/**
 * The zone of the term a change belongs to (the one that starts at it, or that was on just before
 * it ends), so "Mon-Fri 09:00-17:00 Europe/Berlin" is shown turning on at 09:00 Berlin time.
 */
function transitionZone(
  schedule: Schedule,
  t: Transition,
  options: { defaultZone: string; calendar: ReturnType<typeof buildCalendar> },
): string {
  const term = activeTerm(schedule, t.active ? t.at : new Date(t.at.getTime() - 60_000), options);
  return (term?.kind === "weekly" ? term.zone : undefined) ?? options.defaultZone;
}
