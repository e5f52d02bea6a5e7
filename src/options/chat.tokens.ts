/** @internal Injection token of the validated options with every default filled in. */
export const CHAT_OPTIONS = Symbol('nest-chat-gateway:resolved-options');

/** @internal Injection token of the {@link ChatTransport} in use. */
export const CHAT_TRANSPORT = Symbol('nest-chat-gateway:transport');
