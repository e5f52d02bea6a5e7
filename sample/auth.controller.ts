import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { DemoTokensService } from './demo-tokens.service.js';
import { UserIdPipe } from './user-id.pipe.js';

/**
 * The demo login. It asks for no password and gives anyone a token for any user name: it only
 * exists so that the browser page and the examples can get a real JWT. A real application signs
 * tokens after checking credentials, usually in a separate auth service.
 */
@Controller('auth')
export class AuthController {
  constructor(private readonly tokens: DemoTokensService) {}

  @Post('login')
  @HttpCode(200)
  async login(@Body('user', UserIdPipe) user: string): Promise<{ token: string }> {
    return { token: await this.tokens.sign(user) };
  }
}
