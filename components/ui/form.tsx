'use client';
import type { FormHTMLAttributes } from 'react';
import { useHydrated } from './use-hydrated';

/**
 * A form that React submits (`onSubmit`). Before the page's scripts run, the browser would submit
 * it itself: a form without a method is a GET, which puts every field (a password, a client
 * secret) in the address bar, the history and the server's access log. So it posts, and the form
 * says it is not usable yet (`aria-disabled`) until it is: a browser test's `fill` and `click`
 * wait for that instead of typing into a page whose handlers are not there.
 */
export function Form({ method = 'post', ...props }: FormHTMLAttributes<HTMLFormElement>) {
  const hydrated = useHydrated();
  return <form method={method} aria-disabled={hydrated ? undefined : true} {...props} />;
}
