/**
 * @internal Serializes a push's payload once, so that one send to many connections shares the
 * same bytes.
 * @throws TypeError when the payload has no JSON form (undefined, a function, a cycle, a BigInt).
 */
export function payloadJson(payload: unknown): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(payload);
  } catch (err) {
    throw new TypeError(`payload is not JSON-serializable: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (json === undefined) {
    throw new TypeError(`payload is not JSON-serializable (got ${typeof payload})`);
  }
  return json;
}
