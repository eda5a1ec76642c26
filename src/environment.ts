// An Environment is where an agent runs things: this host (local) or an exec-server (remote, over
// a websocket or a server program's stdio). All offer the same `process`, `fs`, `http`, `config`
// and `host`, with the same errors.
import { LocalEnvironmentConfig } from "./config/local.ts";
import { RemoteEnvironmentConfig } from "./config/remote.ts";
import type { EnvironmentConfig } from "./config/types.ts";
import { LocalFileSystem } from "./fs/local.ts";
import { RemoteFileSystem } from "./fs/remote.ts";
import type { FileSystem } from "./fs/types.ts";
import { LocalHttpClient } from "./http/local.ts";
import { RemoteHttpClient } from "./http/remote.ts";
import type { HttpClient } from "./http/types.ts";
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
    readonly http: HttpClient,
    readonly config: EnvironmentConfig,
    readonly host: HostInfo,
    readonly client: ExecServerClient | null,
    private readonly dispose: () => Promise<void>,
  ) {}

  get isRemote(): boolean {
    return this.client !== null;
  }

  static local(options: Partial<LocalProcessOptions> = {}): Environment {
    const process = new LocalProcess(options);
    const fs = new LocalFileSystem();
    const dispose = async () => {
      await process.close();
      await fs.close();
    };
    const http = new LocalHttpClient();
    return new Environment(
      process,
      fs,
      http,
      new LocalEnvironmentConfig(),
      new LocalHostInfo(),
      null,
      dispose,
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
    const process = new RemoteProcess(client);
    return new Environment(
      process,
      new RemoteFileSystem(client),
      new RemoteHttpClient(client),
      new RemoteEnvironmentConfig(client),
      new RemoteHostInfo(client),
      client,
      async () => {
        await process.terminateAll();
        await client.close();
      },
    );
  }

  /**
   * Kill every process started here (locally, close its open files too), then (remote) close the
   * connection: nothing is left running. To keep a remote session's programs running across a
   * drop, close the client itself instead (`env.client.close()`) and resume it within the
   * server's session TTL.
   */
  close(): Promise<void> {
    return this.dispose();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
