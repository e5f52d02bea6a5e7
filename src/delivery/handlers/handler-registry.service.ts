import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { DiscoveryService, ExternalContextCreator, MetadataScanner, Reflector } from '@nestjs/core';
import { CHAT_HANDLER_METADATA } from './chat-handler.decorator.js';
import { ChatParamsFactory, type HandlerArgs } from './chat-params.factory.js';

/** @internal A chat handler, with its guards, interceptors, pipes and filters around it. */
export type BoundHandler = (...args: HandlerArgs) => Promise<unknown>;

/**
 * @internal Finds every `@ChatHandler` method of every provider and controller once the
 * application's modules are instantiated, through Nest's discovery, and wraps each with Nest's
 * own external context creator: the guards, pipes, interceptors and filters that apply to it are
 * Nest's real mechanisms, global ones included, and a guard or filter sees a `ws` execution
 * context whose client is the connection and whose data is the frame's.
 */
@Injectable()
export class HandlerRegistryService implements OnModuleInit {
  private readonly handlers = new Map<string, BoundHandler>();
  private readonly params = new ChatParamsFactory();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly contexts: ExternalContextCreator,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    for (const wrapper of [...this.discovery.getProviders(), ...this.discovery.getControllers()]) {
      const { instance } = wrapper;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      for (const method of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
        const callback = (instance as Record<string, unknown>)[method];
        if (typeof callback !== 'function') continue;
        const event = this.reflector.get<string | undefined>(CHAT_HANDLER_METADATA, callback);
        if (event === undefined) continue;
        if (this.handlers.has(event)) {
          throw new Error(
            `ChatModule: two handlers for the event "${event}" (the second is ${instance.constructor.name}.${method})`,
          );
        }
        this.handlers.set(
          event,
          this.contexts.create(
            instance,
            callback as (...args: unknown[]) => unknown,
            method,
            ROUTE_ARGS_METADATA,
            this.params,
            undefined,
            undefined,
            { guards: true, interceptors: true, filters: true },
            'ws',
          ) as BoundHandler,
        );
      }
    }
  }

  /** The handler of `event`, if there is one. */
  get(event: string): BoundHandler | undefined {
    return this.handlers.get(event);
  }
}
