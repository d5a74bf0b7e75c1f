import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoDbStateStore } from "../../lib/state/dynamodb-store";
import { createStateTable, startDynalite } from "../support/dynalite";
import { describeStateStoreContract } from "./contract";

let db: Awaited<ReturnType<typeof startDynalite>>;
let n = 0;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.close();
});

// Each contract case gets a fresh table of its own, on the same local DynamoDB, through the real SDK.
describeStateStoreContract("DynamoDB (dynalite)", async () => {
  const table = `qfhk-contract-${++n}`;
  await createStateTable(db.client, table);
  return { store: await DynamoDbStateStore.open({ table, client: db.client }), cleanup: async () => {} };
});

describe("DynamoDbStateStore", () => {
  it("gives a lock to exactly one of many concurrent takers (conditional writes)", async () => {
    const store = await DynamoDbStateStore.open({ table: db.table, client: db.client });
    const now = new Date();
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => store.acquireLock("job:race", `run-${i}`, 60_000, now)),
    );
    expect(results.filter((r) => r.acquired)).toHaveLength(1);
  });

  it("sets a TTL on audit records for the retention period", async () => {
    const store = await DynamoDbStateStore.open({
      table: db.table,
      client: db.client,
      auditRetentionMs: 3_600_000,
      clock: () => 1_000_000_000_000,
    });
    await store.appendAudit({
      at: new Date().toISOString(),
      runId: "r",
      job: "j",
      action: "a",
      resourceId: "x",
      reason: "",
      outcome: "done",
      dryRun: false,
    });
    const { QueryCommand } = await import("@aws-sdk/lib-dynamodb");
    const { DynamoDBDocumentClient } = await import("@aws-sdk/lib-dynamodb");
    const page = await DynamoDBDocumentClient.from(db.client).send(
      new QueryCommand({
        TableName: db.table,
        KeyConditionExpression: "pk = :pk",
        ExpressionAttributeValues: { ":pk": "audit" },
      }),
    );
    expect(page.Items![0]!.expiresAt).toBe(1_000_000_000 + 3600);
  });
});
