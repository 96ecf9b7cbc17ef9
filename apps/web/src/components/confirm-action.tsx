import { useEffect, useRef, useState, type ReactNode } from 'react';
import { asApiError, type ApiError } from '../api.ts';
import { FormError } from './form.tsx';

/**
 * A destructive action behind a second, explicit step: the trigger opens a short confirmation that says what
 * will happen; cancelling puts focus back on the trigger.
 */
export function ConfirmAction({
  trigger,
  title,
  children,
  confirmLabel,
  busyLabel,
  disabled = false,
  onConfirm,
}: {
  trigger: string;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busyLabel: string;
  /** The action does not apply right now: the trigger stays visible, but cannot be used. */
  disabled?: boolean;
  onConfirm: () => Promise<void>;
}) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const triggerRef = useRef<HTMLButtonElement>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const wasOpen = useRef(false);

  useEffect(() => {
    if (open) confirmRef.current?.focus();
    else if (wasOpen.current) triggerRef.current?.focus();
    wasOpen.current = open;
  }, [open]);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      // What was confirmed may leave this on the page (an action whose work continues): close it.
      setOpen(false);
    } catch (caught) {
      setError(asApiError(caught));
    } finally {
      setBusy(false);
    }
  }

  if (!open) {
    return (
      <button
        ref={triggerRef}
        type="button"
        className="button small danger-outline"
        onClick={() => setOpen(true)}
        disabled={disabled}
      >
        {trigger}
      </button>
    );
  }
  const titleId = `confirm-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <div className="confirm confirm-inline" role="group" aria-labelledby={titleId}>
      <h3 id={titleId}>{title}</h3>
      {children}
      <FormError error={error} fields={[]} />
      <div className="actions">
        <button
          ref={confirmRef}
          type="button"
          className="button danger"
          onClick={confirm}
          disabled={busy}
          aria-busy={busy}
        >
          {busy ? busyLabel : confirmLabel}
        </button>
        <button type="button" className="button secondary" onClick={() => setOpen(false)} disabled={busy}>
          Cancel
        </button>
      </div>
    </div>
  );
}
