export * from "./environment-config.ts";
export * from "./fs.ts";
export * from "./fs-extra.ts";
export * from "./http.ts";
export * from "./initialize.ts";
export * from "./jsonrpc.ts";
export * from "./methods.ts";
export * from "./process.ts";
