// An Environment is where an agent runs things: this host (local) or an exec-server (remote, over
// a websocket or a server program's stdio). All offer the same `process`, `fs` and `host`, with
// the same errors.
import { LocalFileSystem } from "./fs/local.ts";
import { RemoteFileSystem } from "./fs/remote.ts";
import type { FileSystem } from "./fs/types.ts";
import { LocalHostInfo } from "./info/local.ts";
import { RemoteHostInfo } from "./info/remote.ts";
import type { HostInfo } from "./info/types.ts";
import { LocalProcess, type LocalProcessOptions } from "./process/local.ts";
import { RemoteProcess } from "./process/remote.ts";
import type { ExecProcess } from "./process/types.ts";
import { ExecServerClient, type ExecServerClientOptions } from "./rpc/client.ts";

export class Environment implements AsyncDisposable {
  private constructor(
    readonly process: ExecProcess,
    readonly fs: FileSystem,
    readonly host: HostInfo,
    readonly client: ExecServerClient | null,
    private readonly dispose: () => Promise<void>,
  ) {}

  get isRemote(): boolean {
    return this.client !== null;
  }

  static local(options: Partial<LocalProcessOptions> = {}): Environment {
    const process = new LocalProcess(options);
    return new Environment(
      process,
      new LocalFileSystem(),
      new LocalHostInfo(),
      null,
      async () => void process.shutdown(),
    );
  }

  /** An exec-server at a websocket URL. */
  static async remote(url: string, options: ExecServerClientOptions = {}): Promise<Environment> {
    return Environment.#over(await ExecServerClient.connect(url, options));
  }

  /** An exec-server started as a program speaking on its stdio (`codex-exec-server --listen stdio`). */
  static async program(argv: string[], options: ExecServerClientOptions = {}): Promise<Environment> {
    return Environment.#over(await ExecServerClient.spawn(argv, options));
  }

  static #over(client: ExecServerClient): Environment {
    return new Environment(
      new RemoteProcess(client),
      new RemoteFileSystem(client),
      new RemoteHostInfo(client),
      client,
      () => client.close(),
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
