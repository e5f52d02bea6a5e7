import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { describe, it } from 'node:test';
import { directUpgrades, type UpgradeTarget } from './direct-upgrades.js';

/** A server that records the requests it upgraded, under its name. */
function server(path: string, name: string, upgraded: string[]): UpgradeTarget {
  return {
    path,
    handleUpgrade: (request) => void upgraded.push(`${name} ${request.url}`),
    emit: () => true,
  };
}

function request(url: string, host: string | undefined = 'localhost:3000'): IncomingMessage {
  return { url, headers: { host } } as unknown as IncomingMessage;
}

describe('directUpgrades', () => {
  const route = (servers: UpgradeTarget[], upgraded: string[]) =>
    directUpgrades(
      () => servers,
      (req) => void upgraded.push(`nest ${req.url}`),
    );
  const socket = {} as Duplex;
  const head = Buffer.alloc(0);

  it('hands a request for exactly a registered path to the first server there', () => {
    const upgraded: string[] = [];
    const listener = route(
      [
        server('/other', 'other', upgraded),
        server('/chat', 'chat', upgraded),
        server('/chat', 'second', upgraded),
      ],
      upgraded,
    );
    listener(request('/chat?user=a&since=1'), socket, head);
    listener(request('/chat'), socket, head);
    listener(request('/other?x'), socket, head);
    assert.deepEqual(upgraded, ['chat /chat?user=a&since=1', 'chat /chat', 'other /other?x']);
  });

  it("leaves to Nest's listener whatever URL parsing could read differently", () => {
    const upgraded: string[] = [];
    const listener = route(
      [server('/chat', 'chat', upgraded), server('/a b', 'spaced', upgraded)],
      upgraded,
    );
    for (const url of [
      '/chat/',
      '/chat#x?y',
      '/ch\tat?x',
      '/./chat',
      'ws://host/chat',
      '/unknown',
      '/a b',
    ]) {
      listener(request(url), socket, head);
    }
    listener(request('/chat', 'bad host'), socket, head);
    assert.deepEqual(upgraded, [
      'nest /chat/',
      'nest /chat#x?y',
      'nest /ch\tat?x',
      'nest /./chat',
      'nest ws://host/chat',
      'nest /unknown',
      'nest /a b',
      'nest /chat',
    ]);
  });

  it('answers 400 when the upgrade throws, as Nest does', () => {
    let answer = '';
    const failing: UpgradeTarget = {
      path: '/chat',
      handleUpgrade: () => {
        throw new Error('broken');
      },
      emit: () => true,
    };
    const listener = directUpgrades(
      () => [failing],
      () => assert.fail('not for Nest'),
    );
    listener(
      request('/chat'),
      { end: (text: string) => void (answer = text) } as unknown as Duplex,
      head,
    );
    assert.equal(answer, 'HTTP/1.1 400\r\nbroken');
  });
});
