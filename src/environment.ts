// An Environment is where an agent runs things: this host (local) or an exec-server (remote).
// Both offer the same `process` and `fs`, with the same errors.
import { LocalFileSystem } from "./fs/local.ts";
import { RemoteFileSystem } from "./fs/remote.ts";
import type { FileSystem } from "./fs/types.ts";
import { LocalProcess, type LocalProcessOptions } from "./process/local.ts";
import { RemoteProcess } from "./process/remote.ts";
import type { ExecProcess } from "./process/types.ts";
import { ExecServerClient, type ExecServerClientOptions } from "./rpc/client.ts";

export class Environment implements AsyncDisposable {
  private constructor(
    readonly process: ExecProcess,
    readonly fs: FileSystem,
    readonly client: ExecServerClient | null,
    private readonly dispose: () => Promise<void>,
  ) {}

  get isRemote(): boolean {
    return this.client !== null;
  }

  static local(options: Partial<LocalProcessOptions> = {}): Environment {
    const process = new LocalProcess(options);
    return new Environment(process, new LocalFileSystem(), null, async () => void process.shutdown());
  }

  static async remote(url: string, options: ExecServerClientOptions = {}): Promise<Environment> {
    const client = await ExecServerClient.connect(url, options);
    return new Environment(new RemoteProcess(client), new RemoteFileSystem(client), client, () =>
      client.close(),
    );
  }

  /** Local: kill every process started here. Remote: close the connection (the session detaches). */
  close(): Promise<void> {
    return this.dispose();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
