/**
 * Dialogs and panels, the shape every console screen shares: a list in a panel (`#…-panel`), a
 * button that fetches a dialog into `#modal`, and a form in the dialog whose answer is the panel
 * again, the dialog closed and a message in the flash region. A dialog's own URL opened directly
 * (a new tab, a reload) answers the whole page with the dialog open.
 */
import type { Children } from '@kitajs/html';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccountContext } from './context.js';
import { isHtmx, sendHtml } from './html.js';

/**
 * A modal dialog the server sends: console.js opens it with showModal() (focus stays inside, Escape
 * closes it), and removes it when closed so nothing it showed stays in the page.
 */
export function Dialog(props: {
  id: string;
  title: string;
  children?: Children;
  wide?: boolean;
}): JSX.Element {
  return (
    <dialog
      id={props.id}
      class={props.wide ? 'dialog wide' : 'dialog'}
      aria-labelledby={`${props.id}-title`}
      data-autoshow
    >
      <h2 id={`${props.id}-title`} safe>
        {props.title}
      </h2>
      {props.children}
    </dialog>
  );
}

/** Where a form shows what the server refused (console.js puts error answers here). */
export function FormError(): JSX.Element {
  return <div class="form-error" role="alert" data-form-error></div>;
}

export function CancelButton(props: { label?: string }): JSX.Element {
  return (
    <button type="button" class="button" data-close-dialog safe>
      {props.label ?? 'Cancel'}
    </button>
  );
}

/** An answer for an htmx request that empties the modal slot, with whatever else it carries. */
export function CloseModal(): JSX.Element {
  return <div id="modal" hx-swap-oob="innerHTML"></div>;
}

export function Flash(props: { message: string; kind?: 'ok' | 'error' }): JSX.Element {
  return (
    <div id="flash" class="flash-region" aria-live="polite" hx-swap-oob="true">
      <p class={`flash ${props.kind ?? 'ok'}`} safe>
        {props.message}
      </p>
    </div>
  );
}

/** A dialog: a fragment for htmx, or the page the dialog belongs to with the dialog open. */
export async function sendDialog(
  request: FastifyRequest,
  reply: FastifyReply,
  dialog: JSX.Element,
  page: (modal: JSX.Element) => Promise<JSX.Element>,
): Promise<FastifyReply> {
  if (isHtmx(request)) return sendHtml(reply, dialog);
  return sendHtml(reply, await page(dialog));
}

/** After a change: the panel again, the modal closed (or showing `modal`), and a message. */
export function sendChanged(
  reply: FastifyReply,
  panel: JSX.Element,
  message: string,
  modal?: JSX.Element,
): FastifyReply {
  return sendHtml(
    reply,
    <>
      {panel}
      {modal === undefined ? (
        <CloseModal />
      ) : (
        <div id="modal" hx-swap-oob="innerHTML">
          {modal}
        </div>
      )}
      <Flash message={message} />
    </>,
  );
}

/** A screen built of a page around one panel, both drawn from the same data. */
export interface PanelScreen<Data> {
  load(accountId: string): Promise<Data>;
  page(ctx: AccountContext, data: Data, modal?: JSX.Element): JSX.Element;
  panel(ctx: AccountContext, data: Data, highlight?: string): JSX.Element;
}

/** sendDialog and sendChanged for one screen, loading its data as each needs it. */
export function panelReplies<Data>(screen: PanelScreen<Data>) {
  return {
    dialog(request: FastifyRequest, reply: FastifyReply, ctx: AccountContext, dialog: JSX.Element) {
      return sendDialog(request, reply, dialog, async (modal) =>
        screen.page(ctx, await screen.load(ctx.account.id), modal),
      );
    },
    async changed(
      reply: FastifyReply,
      ctx: AccountContext,
      message: string,
      options: { highlight?: string; modal?: JSX.Element } = {},
    ): Promise<FastifyReply> {
      const data = await screen.load(ctx.account.id);
      return sendChanged(reply, screen.panel(ctx, data, options.highlight), message, options.modal);
    },
  };
}
