import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { expect, it } from "vitest";
import { JobMemory } from "../../lib/state";
import { DynamoDbStateStore } from "../../lib/state/dynamodb-store";
import { startDynalite } from "../support/dynalite";

const exec = promisify(execFile);

it("writes a snooze typed on the command line into the deployed DynamoDB table", async () => {
  const db = await startDynalite("qfhk-prod-state");
  const dir = await mkdtemp(join(tmpdir(), "qfhk-ddb-cli-"));
  try {
    const config = join(dir, "housekeeping.yml");
    await writeFile(config, "version: 1\nstate: { kind: dynamodb, table: qfhk-prod-state }\n");
    const env = {
      ...process.env,
      QIANFAN_CONSOLE_API_BASE_URL: "http://127.0.0.1:9",
      AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
      AWS_REGION: "cn-north-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    };
    const { stdout } = await exec(
      process.execPath,
      [
        "bin/qfhk.mjs",
        "snooze",
        "unit-abc",
        "2d",
        "--config",
        config,
        "--now",
        "2026-11-23T00:00:00Z",
        "--reason",
        "demo on Friday",
      ],
      { env, timeout: 60_000 },
    );
    expect(stdout).toContain("unit-abc snoozed until 2026-11-25T00:00:00.000Z");
    const memory = new JobMemory(
      await DynamoDbStateStore.open({ table: "qfhk-prod-state", client: db.client }),
    );
    expect(await memory.listSnoozes(new Date("2026-11-24T00:00:00Z"))).toEqual([
      {
        resourceId: "unit-abc",
        until: "2026-11-25T00:00:00.000Z",
        by: "cli",
        reason: "demo on Friday",
        kind: "snooze",
      },
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await db.close();
  }
});
