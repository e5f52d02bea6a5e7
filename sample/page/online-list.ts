import { element } from './dom.js';

/** Renders who is online: a button per user (picks the recipient) and the recipient choices. */
export function renderOnline(
  users: string[],
  me: string,
  into: { list: HTMLUListElement; count: HTMLElement; recipients: HTMLDataListElement },
  pick: (user: string) => void,
): void {
  into.count.textContent = String(users.length);
  into.list.replaceChildren(
    ...users.map((user) => {
      const button = element('button', undefined, user);
      button.type = 'button';
      if (user === me) button.append(' ', element('span', 'you', '(you)'));
      button.addEventListener('click', () => pick(user));
      const item = element('li');
      item.append(button);
      return item;
    }),
  );
  into.recipients.replaceChildren(
    ...users.filter((user) => user !== me).map((user) => new Option(user)),
  );
}
