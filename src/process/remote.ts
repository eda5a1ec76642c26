// ExecProcess over an ExecServerClient: the same calls, proxied to a server.
import type {
  ProcessStartResult,
  ProcessTerminateResult,
  SignalName,
  TerminalSize,
  WriteStatus,
} from "../protocol/process.ts";
import type { ExecServerClient } from "../rpc/client.ts";
import { OutputChunk } from "./output-buffer.ts";
import type { ExecProcess, ProcessEventListener, ReadOptions, ReadResult, StartOptions } from "./types.ts";

export class RemoteProcess implements ExecProcess {
  constructor(private readonly client: ExecServerClient) {}

  start(options: StartOptions): Promise<ProcessStartResult> {
    this.client.track(options.processId);
    return this.client.call("process/start", options);
  }

  async read({ signal: _signal, ...options }: ReadOptions): Promise<ReadResult> {
    const result = await this.client.call("process/read", options);
    return {
      ...result,
      chunks: result.chunks.map(({ seq, stream, chunk }) => OutputChunk.fromBase64(seq, stream, chunk)),
    };
  }

  async write(processId: string, bytes: Uint8Array): Promise<WriteStatus> {
    const chunk = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
    return (await this.client.call("process/write", { processId, chunk })).status;
  }

  async closeStdin(processId: string): Promise<WriteStatus> {
    return (await this.client.call("process/closeStdin", { processId })).status;
  }

  async signal(processId: string, signal: SignalName): Promise<void> {
    await this.client.call("process/signal", { processId, signal });
  }

  async resize(processId: string, size: TerminalSize): Promise<void> {
    await this.client.call("process/resize", { processId, ...size });
  }

  terminate(processId: string): Promise<ProcessTerminateResult> {
    return this.client.call("process/terminate", { processId });
  }

  subscribe(listener: ProcessEventListener): () => void {
    return this.client.subscribe(listener);
  }
}
