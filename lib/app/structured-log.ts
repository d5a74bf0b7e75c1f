import type { RunLogger, RunMetrics } from "./observability";

/** Where a line goes: stdout for info, stderr for warnings and errors (Lambda keeps both). */
export interface LogSink {
  out(line: string): void;
  err(line: string): void;
}

const processSink: LogSink = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** An error as a log line shows it: name, message and where it was thrown (operators' eyes only). */
function loggable(value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, stack: value.stack };
  return value;
}

/**
 * A JSON logger with the fields and order of Powertools Logger (`level`, `message`, `timestamp`,
 * `service`, `sampling_rate`, then the appended keys, then the call's own): the same log queries
 * work, at a fraction of its size in a bundle.
 */
export function jsonLogger(options: { service: string; sink?: LogSink; clock?: () => Date }): RunLogger {
  const sink = options.sink ?? processSink;
  const clock = options.clock ?? (() => new Date());
  const keys = new Map<string, unknown>();
  const write = (level: "INFO" | "WARN" | "ERROR", message: string, extra: Record<string, unknown> = {}) => {
    const entry: Record<string, unknown> = {
      level,
      message,
      timestamp: clock().toISOString(),
      service: options.service,
      sampling_rate: 0,
    };
    for (const [key, value] of keys) entry[key] = loggable(value);
    for (const [key, value] of Object.entries(extra)) entry[key] = loggable(value);
    const line = JSON.stringify(entry);
    if (level === "INFO") sink.out(line);
    else sink.err(line);
  };
  return {
    info: (message, extra) => write("INFO", message, extra),
    warn: (message, extra) => write("WARN", message, extra),
    error: (message, extra) => write("ERROR", message, extra),
    appendKeys: (added) => {
      for (const [key, value] of Object.entries(added)) keys.set(key, value);
    },
    removeKeys: (removed) => {
      for (const key of removed) keys.delete(key);
    },
  };
}

/**
 * Metrics as CloudWatch embedded metric format (EMF) lines, as Powertools Metrics writes them: one
 * line per publish with the service and the dimensions added since the last one.
 */
export function emfMetrics(options: {
  namespace: string;
  service: string;
  sink?: LogSink;
  clock?: () => Date;
}): RunMetrics {
  const sink = options.sink ?? processSink;
  const clock = options.clock ?? (() => new Date());
  let dimensions: Record<string, string> = {};
  let values = new Map<string, { unit: string; value: number }>();
  return {
    addDimensions: (added) => {
      dimensions = { ...dimensions, ...added };
    },
    addMetric: (name, unit, value) => {
      values.set(name, { unit, value });
    },
    publishStoredMetrics: () => {
      if (values.size > 0) {
        const all = { service: options.service, ...dimensions };
        const line: Record<string, unknown> = {
          _aws: {
            Timestamp: clock().getTime(),
            CloudWatchMetrics: [
              {
                Namespace: options.namespace,
                Dimensions: [Object.keys(all)],
                Metrics: [...values].map(([name, { unit }]) => ({ Name: name, Unit: unit })),
              },
            ],
          },
          ...all,
        };
        for (const [name, { value }] of values) line[name] = value;
        sink.out(JSON.stringify(line));
      }
      dimensions = {};
      values = new Map();
    },
  };
}
