import { describe, expect, it } from "vitest";
import { emfMetrics, jsonLogger, type LogSink } from "../../lib/app/structured-log";

const AT = new Date("2026-11-23T06:00:00.000Z");
const recorder = () => {
  const lines: Array<{ stream: "out" | "err"; entry: Record<string, unknown>; text: string }> = [];
  const sink: LogSink = {
    out: (text) => lines.push({ stream: "out", entry: JSON.parse(text), text }),
    err: (text) => lines.push({ stream: "err", entry: JSON.parse(text), text }),
  };
  return { lines, sink };
};

describe("the functions' JSON logs", () => {
  it("writes Powertools Logger's fields in its order, with the appended keys until they are removed", () => {
    const { lines, sink } = recorder();
    const logger = jsonLogger({ service: "qianfan-housekeeper", sink, clock: () => AT });
    logger.appendKeys({ job: "release-units", trigger: "manual" });
    logger.info("unit-1: release (idle)", { resourceId: "unit-1", outcome: { status: "done" } });
    logger.removeKeys(["job", "trigger"]);
    logger.error("e");
    expect(lines.map((l) => [l.stream, l.text])).toEqual([
      [
        "out",
        '{"level":"INFO","message":"unit-1: release (idle)","timestamp":"2026-11-23T06:00:00.000Z","service":"qianfan-housekeeper","sampling_rate":0,"job":"release-units","trigger":"manual","resourceId":"unit-1","outcome":{"status":"done"}}',
      ],
      [
        "err",
        '{"level":"ERROR","message":"e","timestamp":"2026-11-23T06:00:00.000Z","service":"qianfan-housekeeper","sampling_rate":0}',
      ],
    ]);
  });

  it("writes an error value with its name and message, and warnings to stderr", () => {
    const { lines, sink } = recorder();
    const logger = jsonLogger({ service: "s", sink, clock: () => AT });
    logger.warn("w", { error: new RangeError("boom") });
    expect(lines[0]!.stream).toBe("err");
    expect(lines[0]!.entry.error).toMatchObject({ name: "RangeError", message: "boom" });
  });
});

describe("the functions' metrics", () => {
  it("writes one EMF line per publish, as Powertools Metrics does, and forgets the dimensions after it", () => {
    const { lines, sink } = recorder();
    const metrics = emfMetrics({
      namespace: "QianfanHousekeeper",
      service: "qianfan-housekeeper",
      sink,
      clock: () => AT,
    });
    metrics.addDimensions({ job: "release-units", dryRun: "true" });
    metrics.addMetric("ActionsPlanned", "Count", 2);
    metrics.addMetric("ActionsApplied", "Count", 0);
    metrics.publishStoredMetrics();
    metrics.addDimensions({ job: "tpm-windows" });
    metrics.addMetric("ActionsPlanned", "Count", 1);
    metrics.publishStoredMetrics();
    metrics.publishStoredMetrics();
    expect(lines.map((l) => l.text)).toEqual([
      '{"_aws":{"Timestamp":1795413600000,"CloudWatchMetrics":[{"Namespace":"QianfanHousekeeper","Dimensions":[["service","job","dryRun"]],"Metrics":[{"Name":"ActionsPlanned","Unit":"Count"},{"Name":"ActionsApplied","Unit":"Count"}]}]},"service":"qianfan-housekeeper","job":"release-units","dryRun":"true","ActionsPlanned":2,"ActionsApplied":0}',
      '{"_aws":{"Timestamp":1795413600000,"CloudWatchMetrics":[{"Namespace":"QianfanHousekeeper","Dimensions":[["service","job"]],"Metrics":[{"Name":"ActionsPlanned","Unit":"Count"}]}]},"service":"qianfan-housekeeper","job":"tpm-windows","ActionsPlanned":1}',
    ]);
  });
});
