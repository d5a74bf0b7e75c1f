import { parseArgs } from "node:util";
import type { BatchTask, ComputeUnit, Service, TpmInstance } from "../qianfan";
import { type Column, renderTable } from "../text";
import { connectQianfan } from "./connect";
import { type CliIo, UsageError } from "./io";

const COMMON = {
  json: { type: "boolean", default: false },
  "base-url": { type: "string" },
  fleet: { type: "string" },
} as const;

const unitColumns: Column<ComputeUnit>[] = [
  { header: "INSTANCE", value: (u) => u.instanceId },
  { header: "REGION", value: (u) => u.region },
  { header: "TYPE", value: (u) => u.type },
  { header: "PAYMENT", value: (u) => u.paymentTiming },
  { header: "STATUS", value: (u) => u.status },
  { header: "USED", value: (u) => `${u.usedComputeUnits}/${u.totalComputeUnits}`, align: "right" },
  { header: "CREATOR", value: (u) => u.creator },
  { header: "STARTED", value: (u) => u.startTime },
  { header: "EXPIRES", value: (u) => u.expiredTime },
  { header: "AUTO-RELEASE", value: (u) => u.releaseTime },
];

const serviceColumns: Column<Service>[] = [
  { header: "SERVICE", value: (s) => s.serviceId },
  { header: "NAME", value: (s) => s.name },
  { header: "STATUS", value: (s) => s.runStatus },
  { header: "REPLICAS", value: (s) => s.resourceConfig?.replicasCount, align: "right" },
  { header: "TYPE", value: (s) => s.resourceConfig?.type },
  { header: "CREATOR", value: (s) => s.creator },
  { header: "UPDATED", value: (s) => s.updateTime ?? s.createTime },
];

const taskColumns: Column<BatchTask>[] = [
  { header: "TASK", value: (t) => t.taskId },
  { header: "NAME", value: (t) => t.name },
  { header: "MODEL", value: (t) => t.modelId },
  { header: "STATUS", value: (t) => t.runStatus },
  { header: "CREATED", value: (t) => t.createTime },
  { header: "STARTED", value: (t) => t.startTime },
  { header: "FINISHED", value: (t) => t.finishTime },
];

const tpmColumns: Column<TpmInstance>[] = [
  { header: "INSTANCE", value: (t) => t.instanceId },
  { header: "STATUS", value: (t) => t.status },
  { header: "PAYMENT", value: (t) => t.paymentTiming },
  { header: "TPM", value: (t) => t.tpm, align: "right" },
  { header: "RPM", value: (t) => t.rpm, align: "right" },
  { header: "STARTED", value: (t) => t.startTime },
  { header: "EXPIRES", value: (t) => t.expiredTime },
];

/** `qfhk units|services|tasks|tpm`: what the platform lists, as a table or as JSON. */
export async function runInventoryCommand(
  command: "units" | "services" | "tasks" | "tpm",
  argv: string[],
  io: CliIo,
  env: Record<string, string | undefined>,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON,
      model: { type: "string" },
      status: { type: "string", multiple: true },
      name: { type: "string" },
    },
    strict: true,
  });
  if (command === "tpm" && !values.model)
    throw new UsageError("qfhk tpm needs --model, e.g. --model ernie-speed-8k");
  const connection = await connectQianfan({ env, baseUrl: values["base-url"], fleetFile: values.fleet });
  try {
    if (connection.emulated && !values.json) io.stderr(`Using ${connection.target}.`);
    const { api } = connection;
    const print = <T>(rows: T[], columns: Column<T>[], noun: string) => {
      if (values.json) io.stdout(JSON.stringify(rows, null, 2));
      else io.stdout(rows.length ? `${renderTable(rows, columns)}\n\n${rows.length} ${noun}` : `no ${noun}`);
    };
    switch (command) {
      case "units":
        print(await api.describeComputeUnits(), unitColumns, "compute units");
        break;
      case "services":
        // The platform filters (runStatus, name): fewer pages to fetch than filtering here.
        print(
          await api.describeServices({ runStatus: values.status, name: values.name }),
          serviceColumns,
          "services",
        );
        break;
      case "tasks":
        print(
          await api.describeBatchTasks({ runStatus: values.status }),
          taskColumns,
          "batch inference tasks",
        );
        break;
      case "tpm":
        print(await api.describeTpmResources(values.model!), tpmColumns, `TPM instances of ${values.model}`);
        break;
    }
    return 0;
  } finally {
    await connection.close();
  }
}
