/* Who owns the forward pass running now: training, a measurement, or a capture. */
/**
 * Who owns the forward pass running now. A measurement marks itself as the owner,
 * synchronously, around each forward call it starts; a tap that fires inside that call
 * records into the measurement. Any other forward call (training, the program's own
 * `predict`, another request while a measurement awaits its next batch) has no owner and
 * goes to the training stream. Forward calls are synchronous, so ownership is exact: it
 * does not depend on which measurements are in flight, only on who made the call.
 */
export class Passes<Owner> {
  private owner: Owner | null = null

  /** The owner of the forward call running now, or null for the training stream. */
  get current(): Owner | null {
    return this.owner
  }

  /** Runs `forward` (synchronous) as a pass of `owner`. */
  run<T>(owner: Owner, forward: () => T): T {
    const previous = this.owner
    this.owner = owner
    try {
      return forward()
    } finally {
      this.owner = previous
    }
  }
}
