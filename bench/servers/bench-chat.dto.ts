import { IsString, Length } from 'class-validator';

/**
 * The body of the inbound scenario's validated frames, as a chat app would declare it: both
 * Nest's gateway and ours validate it with the same `ValidationPipe`.
 */
export class BenchChatDto {
  @IsString()
  @Length(1, 128)
  to!: string;

  @IsString()
  @Length(1, 4000)
  text!: string;
}

/** The `data` every inbound frame carries (a valid {@link BenchChatDto}). */
export const BENCH_CHAT_DATA = { to: 'u1', text: 'hello there, how is it going today?' } as const;
