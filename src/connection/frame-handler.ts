import type { ChatConnection } from './chat-connection.js';
import type { ClientFrame } from './inbound-frame.js';

/**
 * @internal Takes the client frames the application has handlers for (and the clients' delivery
 * acks). The delivery layer provides it (under {@link FRAME_HANDLER}); the inbound path hands
 * every application frame to it first.
 */
export interface FrameHandler {
  /**
   * Handles the frame if something here takes it; false hands it on to `incoming$`. A request
   * (a frame with an `id`) that no handler takes is answered `unknown_event` here, and taken.
   */
  handle(connection: ChatConnection, frame: ClientFrame): boolean;
}

/** @internal Injection token of the {@link FrameHandler}. */
export const FRAME_HANDLER = Symbol('nest-chat-gateway:frame-handler');
