import { z } from "zod";

export const InitializeParams = z.object({
  clientName: z.string(),
  resumeSessionId: z.string().nullish(),
});
export type InitializeParams = z.infer<typeof InitializeParams>;

export const InitializeResult = z.object({ sessionId: z.string() });
export type InitializeResult = z.infer<typeof InitializeResult>;
