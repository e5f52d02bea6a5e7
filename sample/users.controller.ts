import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  Param,
  ParseIntPipe,
  Post,
  Query,
} from '@nestjs/common';
import { MessagingService, type SendResult } from '../src/index.js';
import { UserIdPipe } from './user-id.pipe.js';

/** The "any controller injects MessagingService" use case. */
@Controller('users/:user')
export class UsersController {
  constructor(private readonly messaging: MessagingService) {}

  /**
   * Pushes the JSON body to every live connection of the user, and answers with the whole send
   * result: with history, `offset` says the push is held for the user even while offline.
   * `?event=<name>` names the push's event; `?ackTimeoutMs=N` waits up to N ms for the devices to
   * confirm it and answers with `acked`.
   */
  @Post('messages')
  @HttpCode(202)
  async push(
    @Param('user', UserIdPipe) user: string,
    @Body() payload: unknown,
    @Query('event') event?: string,
    @Query('ackTimeoutMs', new ParseIntPipe({ optional: true })) ackTimeoutMs?: number,
  ): Promise<{ user: string } & SendResult> {
    if (payload === undefined) {
      throw new BadRequestException('the body must be JSON (Content-Type: application/json)');
    }
    try {
      return { user, ...(await this.messaging.send(user, payload, { event, ackTimeoutMs })) };
    } catch (err) {
      // The options' TypeError names what is wrong: a reserved event, a timeout out of range.
      if (err instanceof TypeError) throw new BadRequestException(err.message);
      throw err;
    }
  }

  @Get('presence')
  async presence(
    @Param('user', UserIdPipe) user: string,
  ): Promise<{ user: string; online: boolean; connections: number }> {
    const connections = await this.messaging.connectionCount(user);
    return { user, online: connections > 0, connections };
  }
}
