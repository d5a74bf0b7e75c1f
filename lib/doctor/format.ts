import { plural } from "../text";
import type { DoctorCheck, DoctorReport } from "./checks";

const MARK: Record<DoctorCheck["status"], string> = {
  pass: "ok  ",
  fail: "FAIL",
  warn: "warn",
  info: " -- ",
};
const GROUPS: Array<[DoctorCheck["group"], string]> = [
  ["access", "Keys and clock"],
  ["permission", "Permissions (listing calls only; nothing is changed)"],
  ["assumption", "What the library assumes about answers"],
];

/** The doctor's report for people: one line per check under its group, then the totals. */
export function formatDoctorReport(report: DoctorReport): string {
  const lines = [`qfhk doctor: ${report.target}`];
  for (const [group, heading] of GROUPS) {
    const checks = report.checks.filter((c) => c.group === group);
    if (checks.length === 0) continue;
    lines.push("", heading);
    for (const check of checks) {
      const label = group === "assumption" ? check.id : check.title;
      const request = check.requestId && check.status === "fail" ? ` (requestId ${check.requestId})` : "";
      lines.push(`  ${MARK[check.status]}  ${label}: ${check.detail}${request}`);
      if (group === "assumption" && check.status !== "pass") lines.push(`        assumed: ${check.title}`);
    }
  }
  const t = report.totals;
  lines.push(
    "",
    `${t.pass} passed, ${t.fail} failed, ${plural(t.warn, "warning")}, ${t.info} not checked${
      report.ok ? "" : " — fix what failed before the first run with --apply"
    }`,
  );
  return lines.join("\n");
}
