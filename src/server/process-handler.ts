// process/* on the wire → the session's LocalProcess: params in, domain values out.
import type { LocalProcess } from "../process/local.ts";
import type { ProcessEvent, ReadResult } from "../process/types.ts";
import { encodeNotification, encodeOutputNotification } from "../protocol/codec.ts";
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

const notification = (method: Notification, params: object) => encodeNotification(method, params);

/** A process event as the frame of the notification that carries it (an output chunk as its bytes). */
export function notificationFrame(event: ProcessEvent): string {
  switch (event.type) {
    case "output": {
      const { chunk } = event;
      return encodeOutputNotification(event.processId, chunk.seq, chunk.stream, chunk.bytes);
    }
    case "exited": {
      const { processId, seq, exitCode, signal } = event;
      const params = { processId, seq, exitCode, sandboxDenied: false };
      return notification("process/exited", signal ? { ...params, signal } : params);
    }
    case "closed":
      return notification("process/closed", { processId: event.processId, seq: event.seq });
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
