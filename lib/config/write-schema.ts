import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as z from "../validation";
import { describeConfigSchema } from "./descriptions";
import { HousekeepingConfigSchema } from "./schema";

/** The JSON Schema of housekeeping.yml, for editors (yaml-language-server) — input form: durations as strings. */
export function configJsonSchema(): string {
  describeConfigSchema();
  const schema = z.toJSONSchema(HousekeepingConfigSchema, { io: "input", unrepresentable: "any" });
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const target = fileURLToPath(new URL("../../housekeeping.schema.json", import.meta.url));
  writeFileSync(target, configJsonSchema());
  console.log(`wrote ${target}`);
}
