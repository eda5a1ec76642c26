// A classic-BPF seccomp filter for bwrap's --seccomp FD: socket(AF_INET | AF_INET6) and
// io_uring_setup (whose IORING_OP_SOCKET would create sockets past this filter) fail with EPERM,
// as the 0.171 reference's does for socket(AF_INET). Every other syscall is allowed. With
// --unshare-net this is a second wall: even a socket that got made would see only an empty,
// down network namespace. Syscalls of a foreign ABI (i386 through int 0x80, x32) fail with EPERM:
// they could reach socket() under other numbers.
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const RET_K = 0x06;
const ALLOW = 0x7fff0000;
const ERRNO_EPERM = 0x00050000 | 1;
const AF_INET = 2;
const AF_INET6 = 10;
const IO_URING_SETUP = 425;
const X32_SYSCALL_BIT = 0x40000000;

interface Arch {
  auditArch: number;
  socket: number;
}

const ARCHES: Record<string, Arch> = {
  x64: { auditArch: 0xc000003e, socket: 41 },
  arm64: { auditArch: 0xc00000b7, socket: 198 },
};

type Instruction = [code: number, jt: number, jf: number, k: number];

/** The filter for `arch` (process.arch), or null where we do not know the syscall numbers. */
export function networkFilter(arch: string = process.arch): Uint8Array | null {
  const target = ARCHES[arch];
  if (!target) return null;
  // Offsets into struct seccomp_data: nr 0, arch 4, args[0] (low half, little-endian) 16.
  const program: Instruction[] = [
    [LD_W_ABS, 0, 0, 4],
    [JEQ_K, 1, 0, target.auditArch],
    [RET_K, 0, 0, ERRNO_EPERM], // a foreign ABI
    [LD_W_ABS, 0, 0, 0],
    [JGE_K, 6, 0, X32_SYSCALL_BIT], // → deny
    [JEQ_K, 5, 0, IO_URING_SETUP], // → deny
    [JEQ_K, 0, 3, target.socket], // not socket → allow
    [LD_W_ABS, 0, 0, 16],
    [JEQ_K, 2, 0, AF_INET], // → deny
    [JEQ_K, 1, 0, AF_INET6], // → deny
    [RET_K, 0, 0, ALLOW],
    [RET_K, 0, 0, ERRNO_EPERM],
  ];
  const bytes = new Uint8Array(program.length * 8);
  const view = new DataView(bytes.buffer);
  program.forEach(([code, jt, jf, k], i) => {
    view.setUint16(i * 8, code, true);
    view.setUint8(i * 8 + 2, jt);
    view.setUint8(i * 8 + 3, jf);
    view.setUint32(i * 8 + 4, k, true);
  });
  return bytes;
}

let anchorFd: number | null = null;

/**
 * A fresh read-only descriptor of the filter, at offset 0, for one bwrap (which reads it to the
 * end). The filter lives in an unlinked file held open by `anchorFd`; each call reopens it through
 * /proc/self/fd, so descriptors never share an offset and nothing is left on disk.
 */
export function openNetworkFilter(): number | null {
  if (anchorFd === null) {
    const filter = networkFilter();
    if (!filter) return null;
    const dir = mkdtempSync(join(tmpdir(), "codex-exec-server-seccomp-"));
    try {
      const path = join(dir, "filter.bpf");
      writeFileSync(path, filter);
      anchorFd = openSync(path, "r");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return openSync(`/proc/self/fd/${anchorFd}`, "r");
}

export function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
}
