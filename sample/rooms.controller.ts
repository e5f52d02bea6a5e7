import {
  BadRequestException,
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Put,
} from '@nestjs/common';
import { RoomsService, type RoomMember, type RoomSendResult } from '../src/index.js';
import { RoomIdPipe } from './room-id.pipe.js';
import { UserIdPipe } from './user-id.pipe.js';

/** Rooms over REST: membership, members with their presence, and pushes to a room. */
@Controller('rooms/:room')
export class RoomsController {
  constructor(private readonly rooms: RoomsService) {}

  /** Makes the user a member (idempotent): 204. */
  @Put('members/:user')
  @HttpCode(204)
  async join(
    @Param('room', RoomIdPipe) room: string,
    @Param('user', UserIdPipe) user: string,
  ): Promise<void> {
    await this.rooms.join(room, user);
  }

  /** Ends the membership (idempotent): 204. */
  @Delete('members/:user')
  @HttpCode(204)
  async leave(
    @Param('room', RoomIdPipe) room: string,
    @Param('user', UserIdPipe) user: string,
  ): Promise<void> {
    await this.rooms.leave(room, user);
  }

  @Get('members')
  async members(
    @Param('room', RoomIdPipe) room: string,
  ): Promise<{ room: string; members: RoomMember[] }> {
    return { room, members: await this.rooms.members(room) };
  }

  /** Pushes the JSON body to every member's connections: 202 with the whole send result. */
  @Post('messages')
  @HttpCode(202)
  async push(
    @Param('room', RoomIdPipe) room: string,
    @Body() payload: unknown,
  ): Promise<RoomSendResult> {
    if (payload === undefined) {
      throw new BadRequestException('the body must be JSON (Content-Type: application/json)');
    }
    return this.rooms.sendToRoom(room, payload);
  }
}
