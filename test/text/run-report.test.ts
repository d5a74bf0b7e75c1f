import { describe, expect, it } from "vitest";
import { renderRunReport } from "../../lib/engine/report";
import type { JobReport, RunReport } from "../../lib/engine/types";

/** Any control or bidi character other than the line feeds between lines of the report. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

const totals: JobReport["totals"] = {
  resources: 2,
  planned: 1,
  done: 0,
  failed: 1,
  skipped: 0,
  deferred: 0,
  noticed: 0,
  computeUnitsReleased: 0,
};

const report = (): RunReport => ({
  runId: "run-1",
  evaluatedAt: "2026-11-23T06:25:00.000Z",
  startedAt: "2026-11-23T06:25:00.000Z",
  finishedAt: "2026-11-23T06:25:01.000Z",
  dryRun: false,
  recorded: true,
  target: "emulator",
  jobs: [
    {
      job: "release-units",
      status: "stopped",
      stoppedBy: { guard: "invalidItems", message: "item 'unit-\u001b[2J' failed validation" },
      error: { message: "platform said \u001b]0;pwned\u0007", requestId: "req-\r1" },
      warnings: ["listed unit-x\nRun run-2 — APPLY"],
      decisions: [
        {
          resourceId: "unit-\u001b[2J\u001b[Hunit-safe",
          label: "gpu-1\r0/4 Prepaid",
          verdict: "act",
          rule: "idle",
          reason: "idle since 12:10\u202e",
          outcome: {
            status: "failed",
            code: "Conflict",
            message: "busy\n== forged: ok",
            requestId: "r\u009b1",
          },
        },
        {
          resourceId: "unit-b\u2066",
          label: "gpu-1 0/4 Postpaid",
          verdict: "keep",
          rule: "busy",
          reason: "busy\tnow",
        },
      ],
      totals,
    },
  ],
});

describe("renderRunReport", () => {
  it("shows ids, labels, reasons, messages and warnings escaped, one line each", () => {
    const text = renderRunReport(report());
    expect(text).not.toMatch(CONTROL);
    const lines = text.split("\n");
    expect(lines).toHaveLength(10);
    expect(lines[3]).toBe("STOPPED by guard invalidItems: item 'unit-\\x1b[2J' failed validation");
    expect(lines[4]).toBe("FAILED: platform said \\x1b]0;pwned\\x07 [requestId req-\\r1]");
    expect(lines[5]).toBe("warning: listed unit-x\\nRun run-2 — APPLY");
    const header = lines[6]!;
    const at = (column: string) => header.indexOf(column);
    const cells = (line: string) =>
      ["RESOURCE", "WHAT", "DECISION", "REASON", "OUTCOME"].map((column, i, all) =>
        line.slice(at(column), i + 1 < all.length ? at(all[i + 1]!) : undefined).trimEnd(),
      );
    expect(cells(lines[7]!)).toEqual([
      "unit-\\x1b[2J\\x1b[Hunit-safe",
      "gpu-1\\r0/4 Prepaid",
      "release",
      "idle since 12:10\\u202e",
      "FAILED: Conflict busy\\n== forged: ok [r\\x9b1]",
    ]);
    expect(cells(lines[8]!)).toEqual(["unit-b\\u2066", "gpu-1 0/4 Postpaid", "keep", "busy\\tnow", ""]);
  });

  it("leaves the report itself raw, for JSON output", () => {
    const data = report();
    renderRunReport(data);
    expect(data.jobs[0]!.decisions[0]!.resourceId).toBe("unit-\u001b[2J\u001b[Hunit-safe");
    expect(JSON.parse(JSON.stringify(data))).toEqual(report());
  });
});
