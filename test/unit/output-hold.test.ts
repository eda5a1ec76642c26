// Guards the output hold's patience after a gap (src/process/output-hold.ts, its header): a program
// whose output's notifications were dropped waits for the client to read it, or for one more
// patience without a read once released, and then goes on; never for ever, never at once.
import { expect, test } from "bun:test";
import { OutputBuffer, OutputChunk } from "../../src/process/output-buffer.ts";
import { type DeliveryFlow, type HoldOptions, OutputHold } from "../../src/process/output-hold.ts";

const BUDGET = 256 * 1024;
const READ = 64 * 1024;

/** A connection that never flushes a thing: every notification to it is dropped. */
const STALLED: DeliveryFlow = {
  congestion: () => undefined,
  sentMark: () => 0,
  isFlushed: () => false,
  whenFlushed: () => {},
};

/** A hold with short patiences, its session never read, attached to a stalled connection. */
function holdOf(buffer: OutputBuffer, options: Partial<HoldOptions>): OutputHold {
  return new OutputHold(buffer, {
    firstReadPatienceMs: 50,
    readPatienceMs: 50,
    hasSessionRead: () => false,
    flow: () => STALLED,
    readsNotifications: () => false,
    releasedByPatience: () => {},
    ...options,
  });
}

/** Feed reads until the gate closes; the gate's promise. */
function fillToHold(buffer: OutputBuffer, hold: OutputHold, next: { seq: number }): Promise<void> {
  for (;;) {
    const gate = hold.gate();
    if (gate) return gate;
    const seq = next.seq++;
    buffer.push(new OutputChunk(seq, "stdout", new Uint8Array(READ)), hold);
    hold.undelivered(seq);
    hold.emitted(seq);
  }
}

test("a stalled reader that reads is held one patience, released with its gap, and goes on after one more", async () => {
  const buffer = new OutputBuffer(BUDGET);
  const releases: boolean[] = [];
  const hold: OutputHold = holdOf(buffer, {
    hasSessionRead: () => true,
    // Looked at once the patience's end has been handled (the same turn): held still or not.
    releasedByPatience: () => queueMicrotask(() => releases.push(hold.isHeld)),
  });
  hold.read(0, 0);
  const next = { seq: 1 };
  await fillToHold(buffer, hold, next);
  // The first patience released it, its gap kept: still held. The second let it go.
  expect(releases).toEqual([true, false]);
  // Nothing the client had not read was evicted while it was held.
  expect(buffer.after(0, undefined)[0]?.seq).toBe(1);
});

test("a released reader resumed after output it missed goes on after one patience", async () => {
  const buffer = new OutputBuffer(BUDGET);
  let flow: DeliveryFlow | null = null;
  let releases = 0;
  const hold = holdOf(buffer, {
    flow: () => flow,
    // The session takes output from notifications: its processes start released.
    readsNotifications: () => true,
    releasedByPatience: () => releases++,
  });
  const next = { seq: 1 };
  // Detached: the output's notifications are dropped, and the program is held at the limit.
  const held = fillToHold(buffer, hold, next);
  expect(hold.isHeld).toBe(true);
  // Resumed by a client that never reads.
  hold.beforeAttachmentChange();
  flow = STALLED;
  hold.attachmentChanged();
  await held;
  expect(releases).toBe(1);
});
