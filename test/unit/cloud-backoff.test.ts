// Guards the reconnect delays of SPEC §7: base after a served connection, doubling after
// consecutive failures up to the cap, ±20 % jitter never above the cap.
import { expect, test } from "bun:test";
import { backoffDelayMs, nominalDelayMs, sleep } from "../../src/cloud/backoff.ts";

const SPEC = { baseMs: 1000, maxMs: 30_000 };

test("1, 1, 2, 4, 8, 16, 30, 30 s nominal", () => {
  expect([0, 1, 2, 3, 4, 5, 6, 7, 100].map((failures) => nominalDelayMs(failures, SPEC))).toEqual([
    1000, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000,
  ]);
});

test("jitter spreads ±20 % and never passes the cap", () => {
  const at = (random: number) => (failures: number) =>
    backoffDelayMs(failures, { ...SPEC, random: () => random });
  expect([1, 2, 6].map(at(0))).toEqual([800, 1600, 24_000]);
  expect([1, 2, 6].map(at(0.5))).toEqual([1000, 2000, 30_000]);
  expect([1, 2, 6].map(at(0.999999))).toEqual([1200, 2400, 30_000]);
});

test("sleep ends early when the signal aborts", async () => {
  const controller = new AbortController();
  const slept = sleep(60_000, controller.signal);
  controller.abort();
  await slept;
  await sleep(60_000, controller.signal);
});
