import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { isValidRoomId, MAX_ROOM_ID_LENGTH } from '../src/index.js';

/** Accepts a valid room id or answers 400 with a JSON error. */
@Injectable()
export class RoomIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (!isValidRoomId(value)) {
      throw new BadRequestException(
        `invalid room id: it must be 1 to ${MAX_ROOM_ID_LENGTH} characters with no control characters`,
      );
    }
    return value;
  }
}
