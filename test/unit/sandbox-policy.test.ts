// Guards the translation of a client's sandbox context: every context real clients sent
// (test/fixtures/sandbox/) parses, becomes the plan it means, and that plan the bwrap argv and
// seccomp filter the process sandbox runs; path fields may be plain paths or file:// URIs.
import { describe, expect, test } from "bun:test";
import { InvalidParams, InvalidRequest } from "../../src/errors.ts";
import { absolutePath } from "../../src/fs/path.ts";
import { SandboxContext } from "../../src/protocol/sandbox.ts";
import { bwrapArgs, type HostView, type PathKind } from "../../src/sandbox/bwrap.ts";
import { sandboxPlan } from "../../src/sandbox/policy.ts";
import { networkFilter } from "../../src/sandbox/seccomp.ts";
import { CODEX_125, CODEX_171, capturedFrames, capturedSandbox } from "../support/sandbox.ts";

const READ_ONLY_171 = [".git", ".agents", ".codex", ".aws"].map((name) => ({
  path: `/WORK/${name}`,
  missingPathBehavior: "skip" as const,
}));

test("every sandbox context the real clients sent parses", () => {
  const sandboxes = [CODEX_171, CODEX_125].flatMap((name) =>
    capturedFrames(name).flatMap((f) => (f.frame.params?.sandbox ? [f.frame.params.sandbox] : [])),
  );
  expect(sandboxes.length).toBeGreaterThan(5);
  for (const sandbox of sandboxes) expect(SandboxContext.safeParse(sandbox).success).toBe(true);
});

describe("sandboxPlan", () => {
  test("0.171 process/start in workspace-write", () => {
    const context = SandboxContext.parse(capturedSandbox(CODEX_171, "process/start"));
    expect(sandboxPlan(context, { cwd: "/elsewhere", tmpdir: "/var/tmp/t" })).toEqual({
      isRootReadable: true,
      readableRoots: ["/"],
      writableRoots: ["/WORK", "/tmp", "/var/tmp/t"],
      readOnlySubpaths: READ_ONLY_171,
      deniedPaths: [],
      isNetworkRestricted: true,
    });
  });

  test("0.171 fs/writeFile (policyContext) and 0.125 fs/writeFile (plain paths, cwd kind)", () => {
    const fs171 = SandboxContext.parse(capturedSandbox(CODEX_171, "fs/writeFile"));
    expect(sandboxPlan(fs171, {})).toMatchObject({
      writableRoots: ["/WORK", "/tmp"],
      readOnlySubpaths: READ_ONLY_171,
    });
    const fs125 = SandboxContext.parse(capturedSandbox(CODEX_125, "fs/writeFile"));
    expect(sandboxPlan(fs125, {})).toEqual({
      isRootReadable: true,
      readableRoots: ["/"],
      writableRoots: ["/WORK", "/tmp", "/CODEX_HOME/memories"],
      readOnlySubpaths: [
        { path: "/WORK/.git", missingPathBehavior: null },
        { path: "/WORK/.codex", missingPathBehavior: null },
        { path: "/WORK/.agents", missingPathBehavior: "skip" },
        { path: "/WORK/.aws", missingPathBehavior: "skip" },
      ],
      deniedPaths: [],
      isNetworkRestricted: true,
    });
  });

  test("contexts that confine nothing give no plan; an unrestricted file system with a restricted network does", () => {
    for (const permissions of [
      { type: "disabled" },
      { type: "external", network: "restricted" },
      { type: "managed", network: "enabled", file_system: { type: "unrestricted" } },
    ]) {
      expect(sandboxPlan(SandboxContext.parse({ permissions }), { cwd: "/w" })).toBeNull();
    }
    expect(sandboxPlan(null, { cwd: "/w" })).toBeNull();
    const networkOnly = { type: "managed", network: "restricted", file_system: { type: "unrestricted" } };
    expect(sandboxPlan(SandboxContext.parse({ permissions: networkOnly }), {})).toEqual({
      isRootReadable: true,
      readableRoots: [],
      writableRoots: ["/"],
      readOnlySubpaths: [],
      deniedPaths: [],
      isNetworkRestricted: true,
    });
  });

  const restricted = (entries: unknown[], extra: Record<string, unknown> = {}) =>
    SandboxContext.parse({
      permissions: { type: "managed", network: "enabled", file_system: { type: "restricted", entries } },
      ...extra,
    });
  const special = (kind: string, access: string, more: Record<string, unknown> = {}) => ({
    path: { type: "special", value: { kind, ...more } },
    access,
  });

  test("minimal, explicit paths (plain or URI), denials, and the read-only subpath of a writable root", () => {
    const context = restricted([
      special("minimal", "read"),
      { path: { type: "path", path: "file:///srv/w%20x" }, access: "write" },
      { path: { type: "path", path: "/srv/w x/docs" }, access: "read" },
      { path: { type: "path", path: "/srv/secret" }, access: "none" },
      { path: { type: "path", path: "/opt/tool" }, access: "read" },
    ]);
    expect(sandboxPlan(context, { cwd: "/srv" })).toEqual({
      isRootReadable: false,
      readableRoots: ["/bin", "/sbin", "/usr", "/lib", "/lib32", "/lib64", "/etc", "/opt/tool"],
      writableRoots: ["/srv/w x"],
      readOnlySubpaths: [{ path: "/srv/w x/docs", missingPathBehavior: null }],
      deniedPaths: ["/srv/secret"],
      isNetworkRestricted: false,
    });
  });

  test("what cannot be enforced or resolved is refused, never dropped", () => {
    const globDenial = restricted([{ path: { type: "glob_pattern", pattern: "**/.env" }, access: "deny" }]);
    expect(() => sandboxPlan(globDenial, { cwd: "/w" })).toThrow(InvalidRequest);
    const unknownDenial = restricted([special("unknown", "none", { path: "x" })]);
    expect(() => sandboxPlan(unknownDenial, { cwd: "/w" })).toThrow(InvalidRequest);
    expect(() => sandboxPlan(restricted([special("project_roots", "write")]), {})).toThrow(
      new InvalidRequest("file system sandbox context with dynamic permissions requires cwd"),
    );
    const leaving = restricted([special("project_roots", "read", { subpath: "../up" })], { cwd: "/w" });
    expect(() => sandboxPlan(leaving, {})).toThrow(InvalidRequest);
    // A glob that grants is ignored: it only narrows what runs.
    const globGrant = restricted([{ path: { type: "glob_pattern", pattern: "/w/*.txt" }, access: "write" }]);
    expect(sandboxPlan(globGrant, { cwd: "/w" })?.writableRoots).toEqual([]);
  });

  test("malformed contexts fail to parse", () => {
    for (const bad of [
      {},
      { permissions: { type: "managed" } },
      { permissions: { type: "bogus" } },
      { permissions: { type: "managed", network: "zzz", file_system: { type: "unrestricted" } } },
      {
        permissions: {
          type: "managed",
          network: "enabled",
          file_system: { type: "restricted", entries: [{ path: "/tmp", access: "read" }] },
        },
      },
    ]) {
      expect(SandboxContext.safeParse(bad).success).toBe(false);
    }
  });
});

describe("sandbox path fields (the wire's path codec)", () => {
  test("plain absolute paths and file:// URIs (percent-decoded, empty or localhost host)", () => {
    expect(absolutePath("/a/b/../c/", "f")).toBe("/a/c");
    expect(absolutePath("file:///srv/w%C3%B6rk%20dir%2525%23x/a", "f")).toBe("/srv/wörk dir%25#x/a");
    expect(absolutePath("file://localhost/srv", "f")).toBe("/srv");
    for (const bad of ["relative", "", "file://example.com/srv", "file:///a?x=1", "file:///a#x"]) {
      expect(() => absolutePath(bad, "f")).toThrow(InvalidParams);
    }
  });
});

describe("bwrapArgs", () => {
  const host = (kinds: Record<string, PathKind>, links: Record<string, string> = {}): HostView => ({
    kind: (path) => kinds[path] ?? "missing",
    realpath: (path) => links[path] ?? path,
  });

  test("the 0.171 workspace-write plan: / read-only, roots bound back, .git read-only, placeholders for the rest", () => {
    const plan = sandboxPlan(SandboxContext.parse(capturedSandbox(CODEX_171, "process/start")), {});
    if (!plan) throw new Error("no plan");
    const view = host({
      "/": "directory",
      "/WORK": "directory",
      "/WORK/.git": "directory",
      "/tmp": "directory",
    });
    expect(bwrapArgs(plan, { argv: ["/bin/bash", "-lc", "ls"], cwd: "/WORK", seccompFd: 3 }, view)).toEqual({
      args: [
        ...["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"],
        ...["--bind", "/tmp", "/tmp", "--bind", "/WORK", "/WORK"],
        ...["--ro-bind", "/WORK/.agents", "/WORK/.agents", "--ro-bind", "/WORK/.aws", "/WORK/.aws"],
        ...["--ro-bind", "/WORK/.codex", "/WORK/.codex", "--ro-bind", "/WORK/.git", "/WORK/.git"],
        ...["--unshare-user", "--unshare-pid", "--cap-drop", "ALL", "--unshare-net", "--seccomp", "3"],
        ...["--die-with-parent", "--chdir", "/WORK", "--", "/bin/bash", "-lc", "ls"],
      ],
      placeholders: ["/WORK/.agents", "/WORK/.codex", "/WORK/.aws"],
    });
  });

  test("symlinked roots bind their targets; missing roots and orphan subpaths are skipped; denials hidden", () => {
    const plan = {
      isRootReadable: false,
      readableRoots: ["/usr", "/nope"],
      writableRoots: ["/link", "/gone"],
      readOnlySubpaths: [
        { path: "/link/.git", missingPathBehavior: "skip" as const },
        { path: "/gone/.git", missingPathBehavior: null },
      ],
      deniedPaths: ["/real/secret", "/real/key"],
      isNetworkRestricted: false,
    };
    const view = host(
      {
        "/usr": "directory",
        "/link": "directory",
        "/real": "directory",
        "/real/secret": "directory",
        "/real/key": "file",
      },
      { "/link": "/real" },
    );
    expect(bwrapArgs(plan, { argv: ["/bin/true"], cwd: "/link" }, view)).toEqual({
      args: [
        ...["--ro-bind", "/usr", "/usr", "--dev", "/dev", "--proc", "/proc", "--bind", "/real", "/real"],
        ...["--symlink", "/real", "/link"],
        ...["--ro-bind", "/real/.git", "/real/.git"],
        ...["--perms", "0000", "--tmpfs", "/real/secret", "--remount-ro", "/real/secret"],
        ...["--ro-bind", "/dev/null", "/real/key"],
        ...[
          "--unshare-user",
          "--unshare-pid",
          "--cap-drop",
          "ALL",
          "--die-with-parent",
          "--chdir",
          "/link",
          "--",
          "/bin/true",
        ],
      ],
      placeholders: ["/real/.git"],
    });
  });

  test("a missing path is covered where it would first appear inside a writable root", () => {
    const plan = {
      isRootReadable: true,
      readableRoots: [],
      writableRoots: ["/w"],
      readOnlySubpaths: [{ path: "/w/a/b", missingPathBehavior: null }],
      deniedPaths: ["/w/sec", "/elsewhere/x"],
      isNetworkRestricted: false,
    };
    const view = host({ "/": "directory", "/w": "directory", "/elsewhere": "directory" });
    expect(bwrapArgs(plan, { argv: ["/bin/true"], cwd: "/w" }, view)).toEqual({
      args: [
        ...["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--bind", "/w", "/w"],
        ...["--ro-bind", "/w/a", "/w/a", "--ro-bind", "/w/sec", "/w/sec"],
        ...[
          "--unshare-user",
          "--unshare-pid",
          "--cap-drop",
          "ALL",
          "--die-with-parent",
          "--chdir",
          "/w",
          "--",
          "/bin/true",
        ],
      ],
      placeholders: ["/w/a", "/w/sec"],
    });
  });

  test("a writable / is bound read-write, then the fresh /dev and /proc", () => {
    const plan = sandboxPlan(
      SandboxContext.parse({
        permissions: { type: "managed", network: "restricted", file_system: { type: "unrestricted" } },
      }),
      {},
    );
    if (!plan) throw new Error("no plan");
    expect(bwrapArgs(plan, { argv: ["/bin/true"], cwd: "/" }, host({ "/": "directory" })).args).toEqual([
      ...["--bind", "/", "/", "--dev", "/dev", "--proc", "/proc"],
      ...[
        "--unshare-user",
        "--unshare-pid",
        "--cap-drop",
        "ALL",
        "--unshare-net",
        "--die-with-parent",
        "--chdir",
        "/",
        "--",
        "/bin/true",
      ],
    ]);
  });
});

test("the seccomp filter: 12 instructions for x64 and arm64, none for an unknown architecture", () => {
  const filter = networkFilter("x64");
  expect(filter?.length).toBe(12 * 8);
  const view = new DataView((filter as Uint8Array).buffer);
  // Checks the architecture first, and ends with allow, then EPERM.
  expect([view.getUint16(0, true), view.getUint32(4, true)]).toEqual([0x20, 4]);
  expect(view.getUint32(10 * 8 + 4, true)).toBe(0x7fff0000);
  expect(view.getUint32(11 * 8 + 4, true)).toBe(0x00050001);
  expect(networkFilter("arm64")?.length).toBe(12 * 8);
  expect(networkFilter("ia32")).toBeNull();
});
