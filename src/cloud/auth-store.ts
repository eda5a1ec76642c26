// The sign-in a cloud run uses, and its recovery from a 401/403: reload auth.json (another Codex
// process may have refreshed it; refresh tokens are single use), and only if nothing changed on
// disk, refresh the access token ourselves and write the new tokens back.
import { CloudError } from "../errors.ts";
import { logger } from "../log.ts";
import { type ChatGptAuth, loadAuth } from "./auth.ts";
import { refreshTokens, writeRefreshedTokens } from "./token-refresh.ts";

const log = logger("cloud");

export interface AuthStoreOptions {
  path: string;
  refreshTokenUrl: string;
  timeoutMs: number;
}

export class AuthStore {
  readonly #options: AuthStoreOptions;
  #current: ChatGptAuth;

  private constructor(options: AuthStoreOptions, current: ChatGptAuth) {
    this.#options = options;
    this.#current = current;
  }

  static async load(options: AuthStoreOptions): Promise<AuthStore> {
    return new AuthStore(options, await loadAuth(options.path));
  }

  get current(): ChatGptAuth {
    return this.#current;
  }

  /** After a 401/403: make the next attempt use different credentials, or throw why it cannot. */
  async recover(signal?: AbortSignal): Promise<void> {
    const previous = this.#current;
    const reloaded = await loadAuth(this.#options.path);
    this.#current = reloaded;
    if (reloaded.accessToken !== previous.accessToken) {
      log.info("cloud auth reloaded from disk", { path: this.#options.path });
      return;
    }
    if (!reloaded.refreshToken) {
      throw new CloudError(
        `the ChatGPT access token in ${this.#options.path} was refused and there is no refresh token: run \`codex login\``,
      );
    }
    const refreshed = await refreshTokens(reloaded.refreshToken, {
      url: this.#options.refreshTokenUrl,
      timeoutMs: this.#options.timeoutMs,
      signal,
    });
    await writeRefreshedTokens(this.#options.path, refreshed);
    this.#current = await loadAuth(this.#options.path);
    log.info("cloud access token refreshed", { path: this.#options.path });
  }
}
