// Guards the Seatbelt profile generated from a sandbox plan (macOS only; it cannot run here, so
// the profile text and the sandbox-exec argv are checked, not their effect).
import { expect, test } from "bun:test";
import { InvalidRequest } from "../../src/errors.ts";
import { SandboxContext } from "../../src/protocol/sandbox.ts";
import { sandboxLaunch } from "../../src/sandbox/launch.ts";
import { sandboxPlan } from "../../src/sandbox/policy.ts";
import { seatbeltArgv, seatbeltProfile } from "../../src/sandbox/seatbelt.ts";
import { CODEX_171, capturedSandbox } from "../support/sandbox.ts";

const plan171 = () => {
  const plan = sandboxPlan(SandboxContext.parse(capturedSandbox(CODEX_171, "process/start")), {});
  if (!plan) throw new Error("no plan");
  return plan;
};

test("the 0.171 workspace-write plan: read everywhere, write the roots but not .git & co, no network", () => {
  const { profile, params } = seatbeltProfile(plan171());
  expect(params).toEqual({
    WRITABLE_ROOT_0: "/WORK",
    WRITABLE_ROOT_1: "/tmp",
    READ_ONLY_0: "/WORK/.git",
    READ_ONLY_1: "/WORK/.agents",
    READ_ONLY_2: "/WORK/.codex",
    READ_ONLY_3: "/WORK/.aws",
    READABLE_ROOT_0: "/",
  });
  const lines = profile.trimEnd().split("\n");
  expect(lines.slice(0, 2)).toEqual(["(version 1)", "(deny default)"]);
  expect(lines).toContain("(allow file-read*)");
  expect(lines).toContain(
    '(allow file-write* (require-all (require-any (subpath (param "WRITABLE_ROOT_0")) (subpath (param "WRITABLE_ROOT_1"))) ' +
      '(require-not (subpath (param "READ_ONLY_0"))) (require-not (subpath (param "READ_ONLY_1"))) ' +
      '(require-not (subpath (param "READ_ONLY_2"))) (require-not (subpath (param "READ_ONLY_3")))))',
  );
  expect(lines.at(-1)).toBe("(allow network* (remote unix-socket))");
  // No path is spliced into the text: they all travel as parameters.
  expect(profile).not.toContain("/WORK");
});

test("readable roots only, denials last, network allowed; sandbox-exec gets the profile and every parameter", () => {
  const plan = {
    isRootReadable: false,
    readableRoots: ["/usr"],
    writableRoots: [],
    readOnlySubpaths: [],
    deniedPaths: ['/odd "path"'],
    isNetworkRestricted: false,
  };
  const { profile } = seatbeltProfile(plan);
  const lines = profile.trimEnd().split("\n");
  expect(lines).toContain('(allow file-read* (subpath (param "READABLE_ROOT_0")))');
  expect(lines.some((line) => line.startsWith("(allow file-write* (require-all"))).toBe(false);
  expect(lines.slice(-2)).toEqual([
    '(deny file-read* file-write* (subpath (param "DENIED_0")))',
    "(allow network*)",
  ]);
  expect(seatbeltArgv(plan, ["/bin/ls", "-l"])).toEqual([
    "/usr/bin/sandbox-exec",
    "-p",
    profile,
    ...["-D", "READABLE_ROOT_0=/usr", "-D", 'DENIED_0=/odd "path"'],
    ...["--", "/bin/ls", "-l"],
  ]);
});

test("on macOS a restricting sandbox launches under sandbox-exec and says macosSeatbelt", () => {
  const context = SandboxContext.parse(capturedSandbox(CODEX_171, "process/start"));
  const input = { argv: ["/bin/sh", "-c", "true"], cwd: "/WORK", env: {} };
  const launch = sandboxLaunch(context, input, "darwin");
  const plan = sandboxPlan(context, { cwd: input.cwd });
  if (!launch || !plan) throw new Error("a restricting context must launch sandboxed");
  expect(launch.sandboxType).toBe("macosSeatbelt");
  expect(launch.argv).toEqual(seatbeltArgv(plan, input.argv));
  expect(launch.argv.slice(-4)).toEqual(["--", "/bin/sh", "-c", "true"]);
  // Elsewhere (not Linux, not macOS) it is refused, never run unsandboxed.
  expect(() => sandboxLaunch(context, input, "freebsd")).toThrow(InvalidRequest);
  expect(sandboxLaunch(null, input, "darwin")).toBeNull();
});
