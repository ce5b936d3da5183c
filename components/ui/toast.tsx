'use client';
import * as ToastPrimitive from '@radix-ui/react-toast';
import * as React from 'react';

type Toast = { id: number; message: string };
const ToastContext = React.createContext<(message: string) => void>(() => {});

/**
 * Confirmations ("Tenant saved.", "Connection created…") as Radix toasts: announced to screen
 * readers, shown at the bottom right for six seconds, kept while focused (F8 reaches them). They
 * let clicks through to the page beneath (only their close button takes the pointer), so a
 * confirmation never hides the next button. Mounted once in the root layout, so a toast raised
 * just before a navigation survives it.
 */
export function Toaster({ children }: { children: React.ReactNode }) {
  const [toasts, setToasts] = React.useState<Toast[]>([]);
  const next = React.useRef(0);
  const show = React.useCallback((message: string) => {
    const id = ++next.current;
    // The newest replaces an identical one still showing, so a double save does not stack.
    setToasts((all) => [...all.filter((t) => t.message !== message), { id, message }].slice(-3));
  }, []);
  const close = (id: number) => setToasts((all) => all.filter((t) => t.id !== id));
  return (
    <ToastContext.Provider value={show}>
      <ToastPrimitive.Provider duration={6000}>
        {children}
        {toasts.map((t) => (
          <ToastPrimitive.Root
            key={t.id}
            onOpenChange={(open) => !open && close(t.id)}
            className="pointer-events-none flex items-start gap-3 rounded-md border border-emerald-200 bg-white p-3 text-sm shadow-lg"
          >
            <span aria-hidden className="mt-0.5 text-emerald-700">
              ✓
            </span>
            <ToastPrimitive.Description className="flex-1 text-zinc-900">{t.message}</ToastPrimitive.Description>
            <ToastPrimitive.Close aria-label="Dismiss" className="pointer-events-auto rounded-sm px-1 text-muted-foreground hover:text-zinc-900">
              ✕
            </ToastPrimitive.Close>
          </ToastPrimitive.Root>
        ))}
        <ToastPrimitive.Viewport className="pointer-events-none fixed bottom-0 right-0 z-[60] flex w-full max-w-sm flex-col gap-2 p-4 outline-none" />
      </ToastPrimitive.Provider>
    </ToastContext.Provider>
  );
}

/** `const toast = useToast(); toast('Saved.')` */
export function useToast() {
  return React.useContext(ToastContext);
}
