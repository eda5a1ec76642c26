export * from "./fs.ts";
export * from "./initialize.ts";
export * from "./jsonrpc.ts";
export * from "./methods.ts";
export * from "./process.ts";
