import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { COMMANDS, JOBS } from "../../lib/cli/commands";
import { bashCompletion, zshCompletion } from "../../lib/cli/completion";
import { usageLines } from "../../lib/cli/help";
import { main } from "../../lib/cli/main";
import { JOB_NAMES } from "../../lib/jobs";
import { capture } from "../support/cli";

const exec = promisify(execFile);
const specs = Object.values(COMMANDS);

describe("qfhk <command> --help", () => {
  it.each(specs.map((spec) => [spec.name, spec] as const))(
    "%s --help and -h print its usage with every option, each explained, and an example",
    async (name, spec) => {
      for (const flag of ["--help", "-h"]) {
        const c = capture();
        expect(await main([...name.split(" "), flag], c.io, {})).toBe(0);
        const text = c.out.join("\n");
        expect(text).toMatch(new RegExp(`^qfhk ${name}: \\S`));
        const usage = text.slice(text.indexOf("Usage:"), text.indexOf("\n\n", text.indexOf("Usage:")));
        const options = text.slice(text.indexOf("Options:"), text.indexOf("Examples:"));
        for (const [option, { help }] of Object.entries(spec.options)) {
          expect(usage).toContain(`--${option}`);
          // Each option has a line of its own, with the first words of its help beside it.
          expect(options).toMatch(new RegExp(`^ {2}--${option}\\b.* {2}${help.split(" ")[0]}`, "m"));
        }
        expect(options).toContain("-h, --help");
        expect(text).toMatch(/\nExamples:\n {2}\S/);
        expect(c.err).toEqual([]);
      }
    },
  );

  it("lists the values an enum option takes, and the jobs", async () => {
    const help = async (...argv: string[]) => {
      const c = capture();
      await main(argv, c.io, {});
      return c.out.join("\n").replace(/\s+/g, " ");
    };
    expect(await help("services", "--help")).toContain("one of: New, Deploying, Serving, Failed, Stopped");
    expect(await help("tasks", "-h")).toContain("Queuing, Running, Done, Stopping, Stopped, Failed, Expired");
    expect(await help("history", "-h")).toContain(`one of: ${JOBS.join(", ")}, cli, chat`);
    expect(await help("run", "-h")).toContain(
      "scale-services, tpm-windows, release-units, stop-batch-tasks, all",
    );
  });

  it("aligns the option descriptions in one column and wraps them at the terminal's width", async () => {
    const c = capture();
    await main(["run", "--help"], { ...c.io, columns: 60 }, {});
    const lines = c.out[0]!.split("\n");
    const options = lines.slice(lines.indexOf("Options:") + 1, lines.indexOf("") + lines.indexOf("Options:"));
    const starts = options
      .filter((line) => line.startsWith("  -"))
      .map((line) => /^ {2}\S.*? {2,}(?=\S)/.exec(line)![0].length);
    expect(new Set(starts).size).toBe(1);
    for (const line of lines.filter((l) => !l.startsWith("  qfhk ")))
      expect(line.length).toBeLessThanOrEqual(60);
  });

  it("offers no --apply in plan's usage, and says why when given one", async () => {
    expect(usageLines(COMMANDS.plan, 1000).join(" ")).not.toContain("--apply");
    expect(usageLines(COMMANDS.run, 1000).join(" ")).toContain("[--only ID]...");
    const c = capture();
    expect(await main(["plan", "all", "--apply"], c.io, {})).toBe(2);
    expect(c.err[0]).toBe("qfhk: qfhk plan never changes anything; to act, use qfhk run <job|all> --apply");
  });
});

describe("qfhk help, --help and --version", () => {
  it("qfhk help <command> prints what <command> --help prints", async () => {
    for (const name of ["run", "snooze", "schedule explain", "completion"]) {
      const viaHelp = capture();
      const viaFlag = capture();
      expect(await main(["help", ...name.split(" ")], viaHelp.io, {})).toBe(0);
      expect(await main([...name.split(" "), "--help"], viaFlag.io, {})).toBe(0);
      expect(viaHelp.out).toEqual(viaFlag.out);
    }
  });

  it("qfhk --help lists every command with its summary; bare qfhk does too, with exit 2", async () => {
    const c = capture();
    expect(await main(["--help"], c.io, {})).toBe(0);
    for (const spec of specs) expect(c.out[0]).toMatch(new RegExp(`^ {2}${spec.name} +\\S`, "m"));
    const bare = capture();
    expect(await main([], bare.io, {})).toBe(2);
    expect(bare.out).toEqual(c.out);
  });

  it("qfhk --version prints package.json's version", async () => {
    const { version } = JSON.parse(readFileSync("package.json", "utf8")) as { version: string };
    const c = capture();
    expect(await main(["--version"], c.io, {})).toBe(0);
    expect(c.out).toEqual([`qfhk ${version}`]);
  });
});

describe("did you mean", () => {
  it.each([
    [["relase-units"], "unknown command 'relase-units'; qfhk --help lists the commands"],
    [["snoze", "unit-a", "1d"], "unknown command 'snoze'; did you mean 'snooze'?"],
    [["run", "relase-units"], "did you mean 'release-units'?"],
    [["plan", "stop-batch-task"], "did you mean 'stop-batch-tasks'?"],
    [["run", "all", "--aply"], "unknown option '--aply' for qfhk run; did you mean '--apply'?"],
    [["units", "--jsno"], "unknown option '--jsno' for qfhk units; did you mean '--json'?"],
    [["services", "--status", "Serve"], "got 'Serve'; did you mean 'Serving'?"],
    [
      ["schedule", "explian", "always"],
      "qfhk schedule has no 'explian' (only explain); did you mean 'schedule explain'?",
    ],
    [["completion", "bsh"], "qfhk completion takes one of: bash, zsh; did you mean 'bash'?"],
  ])("%j → %s", async (argv, said) => {
    const c = capture();
    expect(await main(argv, c.io, {})).toBe(2);
    expect(c.err).toHaveLength(1);
    expect(c.err[0]).toContain(said);
  });
});

describe("qfhk completion", () => {
  it("prints a bash script with every command, job, option and enum value, from the command table", async () => {
    const c = capture();
    expect(await main(["completion", "bash"], c.io, {})).toBe(0);
    const script = c.out[0]!;
    expect(script).toBe(bashCompletion());
    for (const spec of specs) {
      expect(script).toMatch(new RegExp(`^ {4}${spec.name.split(" ")[0]}\\)$`, "m"));
      for (const option of Object.keys(spec.options)) expect(script).toContain(`--${option}`);
    }
    for (const job of JOBS) expect(script).toContain(job);
    expect(script).toContain("New Deploying Serving Failed Stopped");
    expect(script).toContain("complete -F _qfhk qfhk");
    const zsh = capture();
    expect(await main(["completion", "zsh"], zsh.io, {})).toBe(0);
    expect(zsh.out[0]).toBe(zshCompletion());
    expect(zsh.out[0]).toMatch(/^#compdef qfhk\n/);
  });

  it("completes commands, jobs, options and their values in bash", async () => {
    const complete = async (...words: string[]) => {
      const script = `${bashCompletion()}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}; _qfhk; echo "\${COMPREPLY[*]}"`;
      const { stdout } = await exec("bash", ["--norc", "--noprofile", "-c", script]);
      return stdout.trim();
    };
    expect(await complete("qfhk", "sn")).toBe("snooze snoozes");
    expect(await complete("qfhk", "run", "rel")).toBe("release-units");
    expect(await complete("qfhk", "run", "all", "--ap")).toBe("--apply");
    expect(await complete("qfhk", "tasks", "--status", "Sto")).toBe("Stopping Stopped");
    expect(await complete("qfhk", "schedule", "")).toBe("explain");
    expect(await complete("qfhk", "completion", "")).toBe("bash zsh");
  });

  it("keeps the table's job names equal to the jobs the runner knows", () => {
    expect(JOBS).toEqual(JOB_NAMES);
  });
});

describe("commands that parse their own options", () => {
  /** The option names of the first parseArgs call in a source file. */
  const parsedOptions = (file: string) => {
    const source = readFileSync(file, "utf8");
    const block = /parseArgs\(\{[\s\S]*?options: \{([\s\S]*?)\n {4}\},/.exec(source)?.[1] ?? "";
    return [...block.matchAll(/^ {6}"?([a-z-]+)"?: \{ type:/gm)].map((m) => m[1]);
  };

  it.each([
    ["chat", "lib/cli/chat.ts"],
    ["offline", "lib/cli/offline.ts"],
  ] as const)("qfhk %s documents exactly the options it parses", (name, file) => {
    const parsed = parsedOptions(file);
    expect(parsed.length).toBeGreaterThan(0);
    expect(parsed.sort()).toEqual(Object.keys(COMMANDS[name].options).sort());
  });
});
