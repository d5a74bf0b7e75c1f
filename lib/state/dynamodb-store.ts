import { randomBytes } from "node:crypto";
import type { DynamoDBClient, DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient, QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import type { AuditRecord, LockResult, StateChange, StateStore } from "./types";

/**
 * The table layout (see serverless.yml): partition key `pk`, sort key `sk`, TTL attribute
 * `expiresAt` (epoch seconds). Values live under `pk = "v#<namespace>"`, locks under `pk = "lock"`,
 * the audit trail under `pk = "audit"` sorted by time.
 */
export interface DynamoDbStoreOptions {
  table: string;
  client?: DynamoDBClient;
  clientConfig?: DynamoDBClientConfig;
  /** How long audit records are kept (DynamoDB's TTL deletes them). */
  auditRetentionMs?: number;
  clock?: () => number;
}

const AUDIT = "audit";
/** BatchWriteItem's limit of items per request. */
const BATCH_ITEMS = 25;
/** Rounds of resending what DynamoDB left unprocessed (throttled) before the batch counts as failed. */
const BATCH_ROUNDS = 8;
const LOCK = "lock";
const value = (namespace: string) => `v#${namespace}`;

type DocumentSdk = typeof import("@aws-sdk/lib-dynamodb");

const isConditionFailure = (error: unknown) =>
  (error as { name?: string })?.name === "ConditionalCheckFailedException";

/** Remembered state in DynamoDB: conditional writes make the run lock safe across containers. */
export class DynamoDbStateStore implements StateStore {
  readonly #doc: DynamoDBDocumentClient;
  readonly #sdk: DocumentSdk;
  readonly #table: string;
  readonly #retentionMs: number;
  readonly #clock: () => number;

  /**
   * Opens the store. The AWS SDK is loaded here, on first use, not when the module is imported:
   * a function's cold-start import stays small.
   */
  static async open(options: DynamoDbStoreOptions): Promise<DynamoDbStateStore> {
    const [ddb, sdk] = await Promise.all([
      import("@aws-sdk/client-dynamodb"),
      import("@aws-sdk/lib-dynamodb"),
    ]);
    const client = options.client ?? new ddb.DynamoDBClient(options.clientConfig ?? {});
    return new DynamoDbStateStore(options, client, sdk);
  }

  private constructor(options: DynamoDbStoreOptions, client: DynamoDBClient, sdk: DocumentSdk) {
    this.#sdk = sdk;
    this.#doc = sdk.DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.#table = options.table;
    this.#retentionMs = options.auditRetentionMs ?? 90 * 86_400_000;
    this.#clock = options.clock ?? Date.now;
  }

  #live(item: Record<string, unknown> | undefined): boolean {
    return (
      item !== undefined && (typeof item.expiresAt !== "number" || item.expiresAt * 1000 > this.#clock())
    );
  }

  async get<T>(namespace: string, key: string): Promise<T | undefined> {
    const { Item } = await this.#doc.send(
      new this.#sdk.GetCommand({
        TableName: this.#table,
        Key: { pk: value(namespace), sk: key },
        ConsistentRead: true,
      }),
    );
    return this.#live(Item) ? (Item!.value as T) : undefined;
  }

  async list<T>(namespace: string): Promise<Array<{ key: string; value: T }>> {
    const items = await this.#queryAll({
      TableName: this.#table,
      KeyConditionExpression: "pk = :pk",
      ExpressionAttributeValues: { ":pk": value(namespace) },
      ConsistentRead: true,
    });
    return items.filter((i) => this.#live(i)).map((i) => ({ key: String(i.sk), value: i.value as T }));
  }

  async put<T>(namespace: string, key: string, item: T, options: { expiresAt?: Date } = {}): Promise<void> {
    await this.#doc.send(
      new this.#sdk.PutCommand({
        TableName: this.#table,
        Item: {
          pk: value(namespace),
          sk: key,
          value: item,
          ...(options.expiresAt ? { expiresAt: Math.ceil(options.expiresAt.getTime() / 1000) } : {}),
        },
      }),
    );
  }

  async delete(namespace: string, key: string): Promise<void> {
    await this.#doc.send(
      new this.#sdk.DeleteCommand({ TableName: this.#table, Key: { pk: value(namespace), sk: key } }),
    );
  }

  async writeBatch(changes: readonly StateChange[]): Promise<void> {
    // One request may not name an item twice: the last change of a key is the one that holds.
    const last = new Map<string, StateChange>();
    for (const c of changes) {
      const id = JSON.stringify([c.namespace, c.key]);
      last.delete(id);
      last.set(id, c);
    }
    await this.#batchWrite(
      [...last.values()].map((c) =>
        c.delete
          ? { DeleteRequest: { Key: { pk: value(c.namespace), sk: c.key } } }
          : {
              PutRequest: {
                Item: {
                  pk: value(c.namespace),
                  sk: c.key,
                  value: c.value,
                  ...(c.expiresAt ? { expiresAt: Math.ceil(c.expiresAt.getTime() / 1000) } : {}),
                },
              },
            },
      ),
    );
  }

  async appendAuditBatch(records: readonly AuditRecord[]): Promise<void> {
    const expiresAt = Math.ceil((this.#clock() + this.#retentionMs) / 1000);
    await this.#batchWrite(
      records.map((record) => ({ PutRequest: { Item: this.#auditItem(record, expiresAt) } })),
    );
  }

  /**
   * Sends write requests in order, 25 a BatchWriteItem, resending what comes back unprocessed
   * with a growing pause; throws when some are still unprocessed after {@link BATCH_ROUNDS}.
   */
  async #batchWrite(requests: Array<Record<string, unknown>>): Promise<void> {
    for (let start = 0; start < requests.length; start += BATCH_ITEMS) {
      let pending = requests.slice(start, start + BATCH_ITEMS);
      for (let round = 0; pending.length > 0; round += 1) {
        if (round === BATCH_ROUNDS) {
          throw new Error(
            `DynamoDB left ${pending.length} of a batch's writes unprocessed after ${BATCH_ROUNDS} tries (table ${this.#table})`,
          );
        }
        if (round > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** round)));
        const answer = await this.#doc.send(
          new this.#sdk.BatchWriteCommand({ RequestItems: { [this.#table]: pending as never } }),
        );
        pending = (answer.UnprocessedItems?.[this.#table] ?? []) as Array<Record<string, unknown>>;
      }
    }
  }

  async acquireLock(name: string, owner: string, leaseMs: number, now: Date): Promise<LockResult> {
    const until = now.getTime() + leaseMs;
    try {
      await this.#doc.send(
        new this.#sdk.PutCommand({
          TableName: this.#table,
          Item: { pk: LOCK, sk: name, owner, leaseUntil: until, expiresAt: Math.ceil(until / 1000) + 86_400 },
          ConditionExpression: "attribute_not_exists(pk) OR leaseUntil <= :now OR #owner = :owner",
          ExpressionAttributeNames: { "#owner": "owner" },
          ExpressionAttributeValues: { ":now": now.getTime(), ":owner": owner },
        }),
      );
      return { acquired: true, expiresAt: new Date(until) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const { Item } = await this.#doc.send(
        new this.#sdk.GetCommand({
          TableName: this.#table,
          Key: { pk: LOCK, sk: name },
          ConsistentRead: true,
        }),
      );
      return {
        acquired: false,
        owner: String(Item?.owner ?? "unknown"),
        expiresAt: new Date(Number(Item?.leaseUntil ?? 0)),
      };
    }
  }

  async renewLock(name: string, owner: string, leaseMs: number, now: Date): Promise<boolean> {
    const until = now.getTime() + leaseMs;
    try {
      await this.#doc.send(
        new this.#sdk.UpdateCommand({
          TableName: this.#table,
          Key: { pk: LOCK, sk: name },
          UpdateExpression: "SET leaseUntil = :until, expiresAt = :ttl",
          ConditionExpression: "#owner = :owner",
          ExpressionAttributeNames: { "#owner": "owner" },
          ExpressionAttributeValues: {
            ":until": until,
            ":ttl": Math.ceil(until / 1000) + 86_400,
            ":owner": owner,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async releaseLock(name: string, owner: string): Promise<void> {
    try {
      await this.#doc.send(
        new this.#sdk.DeleteCommand({
          TableName: this.#table,
          Key: { pk: LOCK, sk: name },
          ConditionExpression: "#owner = :owner",
          ExpressionAttributeNames: { "#owner": "owner" },
          ExpressionAttributeValues: { ":owner": owner },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async appendAudit(record: AuditRecord): Promise<void> {
    const expiresAt = Math.ceil((this.#clock() + this.#retentionMs) / 1000);
    await this.#doc.send(
      new this.#sdk.PutCommand({ TableName: this.#table, Item: this.#auditItem(record, expiresAt) }),
    );
  }

  #auditItem(record: AuditRecord, expiresAt: number): Record<string, unknown> {
    return {
      pk: AUDIT,
      sk: `${new Date(record.at).toISOString()}#${randomBytes(6).toString("hex")}`,
      value: record,
      expiresAt,
    };
  }

  async listAudit(query: { since?: Date; job?: string; limit?: number } = {}): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    if (query.limit !== undefined && query.limit <= 0) return out;
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#doc.send(
        new this.#sdk.QueryCommand({
          TableName: this.#table,
          KeyConditionExpression: query.since ? "pk = :pk AND sk >= :since" : "pk = :pk",
          ExpressionAttributeValues: {
            ":pk": AUDIT,
            ...(query.since ? { ":since": query.since.toISOString() } : {}),
          },
          ScanIndexForward: false,
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (!this.#live(item)) continue;
        const record = item.value as AuditRecord;
        if (query.job && record.job !== query.job) continue;
        out.push(record);
        if (query.limit !== undefined && out.length >= query.limit) return out;
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }

  async #queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.#doc.send(
        new this.#sdk.QueryCommand({ ...input, ExclusiveStartKey: startKey }),
      );
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}
