import { loadConfig } from "../config";
import { type Clock, systemClock } from "../engine/clock";
import {
  type BatchTask,
  type ComputeUnit,
  parsePlatformTime,
  type Service,
  type TpmInstance,
} from "../qianfan";
import { type Column, formatMoment, plural, renderTable } from "../text";
import { COMMANDS, type CommandSpec, parseCommand } from "./commands";
import { resolveConfigPath } from "./config-path";
import { connectQianfan } from "./connect";
import { type CliIo, tableWidth, UsageError } from "./io";

/** How a table cell reads a platform time: in the config's zone, relative to now ("14:05", "11-20 08:00"). */
type When = (value: string | undefined) => string | undefined;

const unitColumns = (when: When): Column<ComputeUnit>[] => [
  { header: "INSTANCE", value: (u) => u.instanceId },
  { header: "REGION", value: (u) => u.region, optional: 3 },
  { header: "TYPE", value: (u) => u.type },
  { header: "PAYMENT", value: (u) => u.paymentTiming },
  { header: "STATUS", value: (u) => u.status },
  { header: "USED", value: (u) => `${u.usedComputeUnits}/${u.totalComputeUnits}`, align: "right" },
  { header: "CREATOR", value: (u) => u.creator, shrink: "truncate", optional: 2 },
  { header: "STARTED", value: (u) => when(u.startTime), optional: 1 },
  { header: "EXPIRES", value: (u) => when(u.expiredTime), optional: 4 },
  { header: "AUTO-RELEASE", value: (u) => when(u.releaseTime), optional: 5 },
];

const serviceColumns = (when: When): Column<Service>[] => [
  { header: "SERVICE", value: (s) => s.serviceId },
  { header: "NAME", value: (s) => s.name, shrink: "truncate" },
  { header: "STATUS", value: (s) => s.runStatus },
  { header: "REPLICAS", value: (s) => s.resourceConfig?.replicasCount, align: "right" },
  { header: "TYPE", value: (s) => s.resourceConfig?.type },
  { header: "CREATOR", value: (s) => s.creator, shrink: "truncate", optional: 2 },
  { header: "UPDATED", value: (s) => when(s.updateTime ?? s.createTime), optional: 1 },
];

const taskColumns = (when: When): Column<BatchTask>[] => [
  { header: "TASK", value: (t) => t.taskId },
  { header: "NAME", value: (t) => t.name, shrink: "truncate" },
  { header: "MODEL", value: (t) => t.modelId, shrink: "truncate" },
  { header: "STATUS", value: (t) => t.runStatus },
  { header: "CREATED", value: (t) => when(t.createTime), optional: 2 },
  { header: "STARTED", value: (t) => when(t.startTime), optional: 3 },
  { header: "FINISHED", value: (t) => when(t.finishTime), optional: 1 },
];

const tpmColumns = (when: When): Column<TpmInstance>[] => [
  { header: "INSTANCE", value: (t) => t.instanceId },
  { header: "STATUS", value: (t) => t.status },
  { header: "PAYMENT", value: (t) => t.paymentTiming },
  { header: "TPM", value: (t) => t.tpm, align: "right" },
  { header: "RPM", value: (t) => t.rpm, align: "right" },
  { header: "STARTED", value: (t) => when(t.startTime), optional: 1 },
  { header: "EXPIRES", value: (t) => when(t.expiredTime), optional: 2 },
];

/** `qfhk units|services|tasks|tpm`: what the platform lists, as a table or as JSON. */
export async function runInventoryCommand(
  command: "units" | "services" | "tasks" | "tpm",
  argv: string[],
  io: CliIo,
  env: Record<string, string | undefined>,
  clock: Clock = systemClock,
): Promise<number> {
  // Each command has its own options (--status for services and tasks, --model for tpm); the rest are shared.
  const { values, positionals } = parseCommand(
    COMMANDS[command] as unknown as CommandSpec & {
      options: typeof COMMANDS.services.options & typeof COMMANDS.tpm.options;
    },
    argv,
  );
  if (positionals.length > 0)
    throw new UsageError(
      `qfhk ${command} takes no arguments, got '${positionals[0]}' (qfhk ${command} --help)`,
    );
  if (command === "tpm" && !values.model)
    throw new UsageError("qfhk tpm needs --model, e.g. --model ernie-speed-8k");
  const loaded = await loadConfig(resolveConfigPath(values.config, env));
  for (const warning of loaded.warnings) io.stderr(`warning: ${warning}`);
  const zone = loaded.config.timezone;
  const connection = await connectQianfan({
    env,
    baseUrl: values["base-url"] ?? loaded.config.qianfan.baseUrl,
    fleetFile: values.fleet,
    qianfan: loaded.config.qianfan,
    // The built-in emulator's fleet times are relative: they start at the clock the table is read by.
    emulatorStart: clock(),
  });
  try {
    if (connection.emulated && !values.json) io.stderr(`Using ${connection.target}.`);
    const { api } = connection;
    const now = clock();
    const when: When = (value) => {
      const at = value === undefined ? undefined : parsePlatformTime(value);
      return at ? formatMoment(at, now, zone) : value;
    };
    const print = <T>(rows: T[], columns: Column<T>[], one: string, many: string) => {
      if (values.json) io.stdout(JSON.stringify(rows, null, 2));
      else if (rows.length === 0) io.stdout(`no ${many}`);
      else {
        const table = renderTable(rows, columns, { maxWidth: tableWidth(io, values.wide) });
        io.stdout(`${table}\n\n${plural(rows.length, one, many)}; times in ${zone}`);
      }
    };
    switch (command) {
      case "units":
        print(await api.describeComputeUnits(), unitColumns(when), "compute unit", "compute units");
        break;
      case "services":
        // The platform filters (runStatus, name): fewer pages to fetch than filtering here.
        print(
          await api.describeServices({ runStatus: values.status, name: values.name }),
          serviceColumns(when),
          "service",
          "services",
        );
        break;
      case "tasks":
        print(
          await api.describeBatchTasks({ runStatus: values.status }),
          taskColumns(when),
          "batch inference task",
          "batch inference tasks",
        );
        break;
      case "tpm":
        print(
          await api.describeTpmResources(values.model!),
          tpmColumns(when),
          `TPM instance of ${values.model}`,
          `TPM instances of ${values.model}`,
        );
        break;
    }
    return 0;
  } finally {
    await connection.close();
  }
}
