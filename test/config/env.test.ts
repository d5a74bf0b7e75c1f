import { describe, expect, it } from "vitest";
import { readEnv } from "../../lib/config";

describe("readEnv", () => {
  it("returns the project's variables from the environment it is given", () => {
    const env = readEnv({
      QIANFAN_ACCESS_KEY: "ak",
      QIANFAN_SECRET_KEY: "sk",
      QIANFAN_CONSOLE_API_BASE_URL: "http://127.0.0.1:8790",
      QFHK_CONFIG: "ops/housekeeping.yml",
      QFHK_STATE_PATH: "/var/lib/qfhk/state.json",
      UNRELATED: "x",
    });
    expect(env).toMatchObject({
      QIANFAN_ACCESS_KEY: "ak",
      QIANFAN_SECRET_KEY: "sk",
      QIANFAN_CONSOLE_API_BASE_URL: "http://127.0.0.1:8790",
      QFHK_CONFIG: "ops/housekeeping.yml",
      QFHK_STATE_PATH: "/var/lib/qfhk/state.json",
    });
    expect(env).not.toHaveProperty("UNRELATED");
  });

  it("treats an empty or blank variable as unset, and trims the others", () => {
    const env = readEnv({ QIANFAN_ACCESS_KEY: "", QIANFAN_SECRET_KEY: "   ", QFHK_CONFIG: " a.yml " });
    expect(env.QIANFAN_ACCESS_KEY).toBeUndefined();
    expect(env.QIANFAN_SECRET_KEY).toBeUndefined();
    expect(env.QFHK_CONFIG).toBe("a.yml");
  });
});
