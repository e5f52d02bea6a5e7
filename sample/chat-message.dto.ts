import { IsOptional, IsString, Length, Matches, ValidateIf } from 'class-validator';
import { MAX_ROOM_ID_LENGTH, MAX_USER_ID_LENGTH } from '../src/index.js';

/** Ids as the gateway takes them: no control characters. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NO_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f-\u009f]+$/;

/** Longest chat text. */
export const MAX_CHAT_TEXT = 4000;

/** A chat message: to a user (`to`) or to a room (`room`). */
export class ChatMessageDto {
  @ValidateIf((message: ChatMessageDto) => message.room === undefined)
  @IsString()
  @Length(1, MAX_USER_ID_LENGTH)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'to must be a user id without control characters' })
  to?: string;

  @IsOptional()
  @IsString()
  @Length(1, MAX_ROOM_ID_LENGTH)
  @Matches(NO_CONTROL_CHARACTERS, { message: 'room must be a room id without control characters' })
  room?: string;

  @IsString()
  @Length(1, MAX_CHAT_TEXT)
  text!: string;
}
