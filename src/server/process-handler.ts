// process/* on the wire → the session's LocalProcess. Decode params, delegate, encode the result.

import type { OutputChunk } from "../process/output-buffer.ts";
import type { ExecProcess, ProcessEvent, ReadResult } from "../process/types.ts";
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
  };
}

/** The last process id encoded, and its JSON: output comes in floods from one process at a time. */
let lastProcessId = "";
let lastProcessIdJson = '""';

/**
 * An output chunk as its whole `process/output` notification. The hot path: base64 needs no
 * escaping, so the message is built as JSON text directly, in one template.
 */
export function encodeOutput(processId: string, chunk: OutputChunk): string {
  if (processId !== lastProcessId) {
    lastProcessId = processId;
    lastProcessIdJson = JSON.stringify(processId);
  }
  return `{"method":"process/output","params":{"processId":${lastProcessIdJson},"seq":${chunk.seq},"stream":"${chunk.stream}","chunk":"${chunk.base64}"}}`;
}

/** Any other process event as the notification that carries it. */
export function encodeEvent(event: Exclude<ProcessEvent, { type: "output" }>): {
  method: string;
  params: object;
} {
  switch (event.type) {
    case "exited": {
      const { processId, seq, exitCode, signal } = event;
      return {
        method: "process/exited",
        params: signal ? { processId, seq, exitCode, signal } : { processId, seq, exitCode },
      };
    }
    case "closed":
      return { method: "process/closed", params: { processId: event.processId, seq: event.seq } };
  }
}

export class ProcessHandler {
  constructor(private readonly process: ExecProcess) {}

  start(params: ProcessStartParams) {
    return this.process.start(params);
  }

  async read(params: ProcessReadParams, signal: AbortSignal) {
    return encodeReadResult(await this.process.read({ ...params, signal }));
  }

  async write(params: ProcessWriteParams) {
    return { status: await this.process.write(params.processId, Buffer.from(params.chunk, "base64")) };
  }

  async closeStdin(params: ProcessCloseStdinParams) {
    return { status: await this.process.closeStdin(params.processId) };
  }

  async signal(params: ProcessSignalParams) {
    await this.process.signal(params.processId, params.signal);
    return {};
  }

  async resize({ processId, rows, cols }: ProcessResizeParams) {
    await this.process.resize(processId, { rows, cols });
    return {};
  }

  terminate(params: ProcessTerminateParams) {
    return this.process.terminate(params.processId);
  }
}
