/** The pages before a session: sign-in and the one-time setup of a fresh install. */
import { CONSOLE } from '../kit/html.js';
import { PlainPage } from '../kit/layout.js';

export function LoginPage(props: { next: string; email?: string; error?: string }): JSX.Element {
  return (
    <PlainPage title="Sign in">
      <h1>Sign in to Tessera</h1>
      {props.error ? (
        <p class="flash error" role="alert" safe>
          {props.error}
        </p>
      ) : (
        ''
      )}
      <form method="post" action={`${CONSOLE}/login`} class="stack">
        <input type="hidden" name="next" value={props.next} />
        <label for="login-email">Email</label>
        <input
          id="login-email"
          name="email"
          type="email"
          autocomplete="username"
          required
          value={props.email}
          autofocus
        />
        <label for="login-password">Password</label>
        <input id="login-password" name="password" type="password" autocomplete="current-password" required />
        <button type="submit" class="button primary">
          Sign in
        </button>
      </form>
    </PlainPage>
  );
}

export function SetupPage(props: {
  token: string;
  email?: string;
  error?: string;
  done?: boolean;
}): JSX.Element {
  return (
    <PlainPage title="Set up Tessera">
      <h1>Set up Tessera</h1>
      {props.done ? (
        <p>
          Setup is complete. <a href={`${CONSOLE}/login`}>Sign in</a> instead.
        </p>
      ) : (
        <>
          <p>Choose the email and password of the first Account Admin. This link works once.</p>
          {props.error ? (
            <p class="flash error" role="alert" safe>
              {props.error}
            </p>
          ) : (
            ''
          )}
          <form method="post" action={`${CONSOLE}/setup`} class="stack">
            <input type="hidden" name="token" value={props.token} />
            <label for="setup-email">Email</label>
            <input
              id="setup-email"
              name="email"
              type="email"
              autocomplete="username"
              required
              value={props.email}
              autofocus
            />
            <label for="setup-password">Password (at least 10 characters)</label>
            <input
              id="setup-password"
              name="password"
              type="password"
              autocomplete="new-password"
              minlength="10"
              required
            />
            <label for="setup-confirm">Password again</label>
            <input
              id="setup-confirm"
              name="confirm"
              type="password"
              autocomplete="new-password"
              minlength="10"
              required
            />
            <button type="submit" class="button primary">
              Create the Account Admin
            </button>
          </form>
        </>
      )}
    </PlainPage>
  );
}
