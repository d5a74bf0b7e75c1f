import { parseArgs } from "node:util";
import { isTimeZone } from "../config";
import { type Clock, systemClock } from "../engine/clock";
import { activeTerm, buildCalendar, describeTerm, nextTransitions, parseSchedule } from "../schedule";
import { formatMoment, formatSpan } from "../text";
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
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      now: { type: "string" },
      zone: { type: "string", default: "Asia/Shanghai" },
      count: { type: "string", default: "6" },
      holiday: { type: "string", multiple: true },
      workday: { type: "string", multiple: true },
    },
  });
  const [verb, expression] = positionals;
  if (verb !== "explain" || expression === undefined || positionals.length > 2) {
    throw new UsageError('usage: qfhk schedule explain "<expression>" [--now T] [--zone Z]');
  }
  if (!isTimeZone(values.zone))
    throw new UsageError(`--zone must be an IANA time zone, got '${values.zone}'`);
  const now = parseNow(values.now, clock);
  const count = Number(values.count);
  if (!Number.isInteger(count) || count < 1 || count > 50)
    throw new UsageError("--count must be from 1 to 50");
  let schedule: ReturnType<typeof parseSchedule>;
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
    const when = formatMoment(t.at, new Date(0), values.zone);
    const weekday = new Intl.DateTimeFormat("en", { weekday: "short", timeZone: values.zone }).format(t.at);
    lines.push(
      `  ${t.active ? "turns ON " : "turns OFF"} ${weekday} ${when} (in ${formatSpan(t.at.getTime() - now.getTime())})`,
    );
  }
  io.stdout(lines.join("\n"));
  return 0;
}
