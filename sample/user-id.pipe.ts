import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { isValidUserId, MAX_USER_ID_LENGTH } from '../src/index.js';

/** Accepts a valid user id or answers 400 with a JSON error. */
@Injectable()
export class UserIdPipe implements PipeTransform<unknown, string> {
  transform(value: unknown): string {
    if (!isValidUserId(value)) {
      throw new BadRequestException(
        `invalid user id: it must be 1 to ${MAX_USER_ID_LENGTH} characters with no control characters`,
      );
    }
    return value;
  }
}
