/**
 * @internal Loads an optional peer dependency the options asked for (ioredis for `redis`,
 * prom-client for `metrics`), so that applications that do not use it need not install it.
 * @throws Error naming the package, the option and the install command when it is missing.
 */
export async function loadOptionalPackage<T>(
  name: string,
  neededFor: string,
  load: () => Promise<T>,
): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const code = (err as { code?: string })?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(
        `ChatModule: ${neededFor} needs the package "${name}", which is not installed. Install it with: npm install ${name}`,
        { cause: err },
      );
    }
    throw err;
  }
}
