'use client';
import { useSyncExternalStore } from 'react';

const never = () => () => {};

/** False in the server's HTML and while React hydrates it; true once the page's scripts run. */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    never,
    () => true,
    () => false,
  );
}
