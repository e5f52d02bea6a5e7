/**
 * @internal Key in the `@WebSocketGateway` metadata that tells `ChatWsAdapter` which gateway is
 * the chat gateway; the adapter builds that server from the module options instead.
 */
export const CHAT_GATEWAY_FLAG = 'nestChatGateway';

const chatServers = new WeakSet<object>();

/** @internal Records that `server` is the chat gateway's, built by `ChatWsAdapter`. */
export function markChatServer(server: object): void {
  chatServers.add(server);
}

/** @internal Whether `server` was built by `ChatWsAdapter` for the chat gateway. */
export function isChatServer(server: unknown): boolean {
  return typeof server === 'object' && server !== null && chatServers.has(server);
}
