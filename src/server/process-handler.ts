// process/* on the wire → the session's LocalProcess: params in, domain values out.
import type { LocalProcess } from "../process/local.ts";
import type { ProcessEvent, ReadResult } from "../process/types.ts";
import { Base64Data } from "../protocol/codec.ts";
import type { Notification } from "../protocol/methods.ts";
import type {
  ProcessCloseStdinParams,
  ProcessReadParams,
  ProcessReadResult,
  ProcessResizeParams,
  ProcessSignalParams,
  ProcessStartParams,
  ProcessTerminateParams,
  ProcessWriteParams,
} from "../protocol/process.ts";

export function encodeReadResult(result: ReadResult): ProcessReadResult {
  return {
    ...result,
    chunks: result.chunks.map((chunk) => ({ seq: chunk.seq, stream: chunk.stream, chunk: chunk.base64 })),
    sandboxDenied: false,
  };
}

/** A process event as the notification that carries it (an output chunk travels as its bytes). */
export function notificationOf(event: ProcessEvent): { method: Notification; params: object } {
  switch (event.type) {
    case "output": {
      const { chunk } = event;
      const params = {
        processId: event.processId,
        seq: chunk.seq,
        stream: chunk.stream,
        chunk: new Base64Data(chunk.bytes),
      };
      return { method: "process/output", params };
    }
    case "exited": {
      const { processId, seq, exitCode, signal } = event;
      const params = { processId, seq, exitCode, sandboxDenied: false };
      return { method: "process/exited", params: signal ? { ...params, signal } : params };
    }
    case "closed":
      return { method: "process/closed", params: { processId: event.processId, seq: event.seq } };
  }
}

export class ProcessHandler {
  constructor(private readonly process: LocalProcess) {}

  start(params: ProcessStartParams) {
    return this.process.launch(params);
  }

  async read(params: ProcessReadParams, signal: AbortSignal) {
    return encodeReadResult(await this.process.read({ ...params, signal }));
  }

  write(params: ProcessWriteParams) {
    const bytes = Buffer.from(params.chunk, "base64");
    return { status: this.process.writeNow(params.processId, bytes, params.writeId ?? undefined) };
  }

  async signal(params: ProcessSignalParams) {
    await this.process.signal(params.processId, params.signal);
    return {};
  }

  async closeStdin(params: ProcessCloseStdinParams) {
    return { status: await this.process.closeStdin(params.processId) };
  }

  async resize({ processId, rows, cols }: ProcessResizeParams) {
    await this.process.resize(processId, { rows, cols });
    return {};
  }

  terminate(params: ProcessTerminateParams) {
    return this.process.terminate(params.processId);
  }
}
