import { eventNameProblem } from '../protocol/events.js';

/**
 * @internal The event name a push's options ask for; undefined for the default, `message`.
 * @throws TypeError for a name that is invalid or reserved by the protocol.
 */
export function pushEvent(options: { event?: string } | undefined): string | undefined {
  const event = options?.event;
  if (event === undefined || event === 'message') return undefined;
  const problem = eventNameProblem(event);
  if (problem) throw new TypeError(`event ${JSON.stringify(event)}: ${problem}`);
  return event;
}
