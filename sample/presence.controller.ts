import { Controller, Get } from '@nestjs/common';
import { MessagingService } from '../src/index.js';

/** Who is online anywhere; presence changes are pushed per room (`roomPresence`), not globally. */
@Controller('presence')
export class PresenceController {
  constructor(private readonly messaging: MessagingService) {}

  @Get()
  async list(): Promise<{ users: string[] }> {
    const users = await this.messaging.onlineUsers();
    return { users: users.sort() };
  }
}
