import { Controller, Get, Param } from '@nestjs/common';
import { RoomsService } from '../src/index.js';
import { UserIdPipe } from './user-id.pipe.js';

/** The rooms of a user, for the page's first view; `room` frames keep it up to date. */
@Controller('users/:user/rooms')
export class UserRoomsController {
  constructor(private readonly rooms: RoomsService) {}

  @Get()
  async list(@Param('user', UserIdPipe) user: string): Promise<{ user: string; rooms: string[] }> {
    return { user, rooms: await this.rooms.roomsOf(user) };
  }
}
