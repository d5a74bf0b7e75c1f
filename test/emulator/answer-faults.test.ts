import { describe, expect, it } from "vitest";
import { type FaultRule, spoilAnswer } from "../../lib/emulator/faults";

const answer = {
  requestId: "r-1",
  result: {
    taskList: [
      { taskId: "t-1", createTime: "2026-11-23T00:00:00Z", runStatus: "Running" },
      { taskId: "t-2", createTime: "2026-11-23T01:00:00Z", runStatus: "Queuing" },
    ],
    pageInfo: { isTruncated: false, marker: "t-1" },
  },
};
const spoil = (kind: FaultRule["kind"], over: Partial<FaultRule> = {}, marker?: string) =>
  spoilAnswer(kind as never, { kind, times: 1, ...over }, answer, marker);

describe("answers the emulator spoils by rule", () => {
  it("cuts a truncated answer in half, so it is no JSON", () => {
    const text = spoil("truncated-json");
    expect(text.length).toBe(Math.floor(JSON.stringify(answer).length / 2));
    expect(() => JSON.parse(text)).toThrow();
  });

  it("sends a gateway's HTML page for a malformed answer, and pads an oversized one past its bytes", () => {
    expect(spoil("malformed-json")).toMatch(/^<html>/);
    expect(spoil("oversized-body", { bytes: 10_000 }).length).toBeGreaterThan(10_000);
  });

  it("empties, doubles, leaves out and blanks what it is told to", () => {
    expect(JSON.parse(spoil("empty-listing")).result.taskList).toEqual([]);
    expect(
      JSON.parse(spoil("duplicate-items")).result.taskList.map((t: { taskId: string }) => t.taskId),
    ).toEqual(["t-1", "t-1", "t-2", "t-2"]);
    expect(JSON.parse(spoil("missing-field", { field: "runStatus" })).result.taskList[0]).toEqual({
      taskId: "t-1",
      createTime: "2026-11-23T00:00:00Z",
    });
    const dated = JSON.parse(spoil("placeholder-dates")).result.taskList[1];
    expect(dated.createTime).toBe("0000-00-00 00:00:00");
    expect(dated.runStatus).toBe("Queuing");
  });

  it("answers endless paging with the marker just asked for, or the first item without one", () => {
    expect(JSON.parse(spoil("endless-paging", {}, "t-2")).result.pageInfo).toMatchObject({
      isTruncated: true,
      nextMarker: "t-2",
    });
    expect(JSON.parse(spoil("endless-paging")).result.pageInfo.nextMarker).toBe("t-1");
  });

  it("leaves an answer without paging as it was", () => {
    const unpaged = { requestId: "r-2", result: { instances: [{ instanceId: "u-1" }] } };
    expect(spoilAnswer("endless-paging", { kind: "endless-paging", times: 1 }, unpaged, undefined)).toBe(
      JSON.stringify(unpaged),
    );
  });
});
