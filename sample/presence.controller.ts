import { Controller, Get } from '@nestjs/common';
import { MessagingService } from '../src/index.js';

/** Who is online, for the browser page's first view; `PresenceService` pushes the changes. */
@Controller('presence')
export class PresenceController {
  constructor(private readonly messaging: MessagingService) {}

  @Get()
  async list(): Promise<{ users: string[] }> {
    const users = await this.messaging.onlineUsers();
    return { users: users.sort() };
  }
}
