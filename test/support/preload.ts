// Quiet logs in tests unless CODEX_EXEC_SERVER_LOG_LEVEL asks for more.
import { type LogLevel, setLogLevel } from "../../src/log.ts";

setLogLevel((process.env.CODEX_EXEC_SERVER_LOG_LEVEL as LogLevel | undefined) ?? "error");
