// Form plumbing shared by every page: one submit state, errors shown beside the field the server named
// (or at the top of the form), and live regions so screen readers hear them.
import { useId, useState, type FormEvent, type InputHTMLAttributes, type ReactNode } from 'react';
import { ApiError, asApiError } from '../api.ts';

export function useSubmit(action: (data: FormData, form: HTMLFormElement) => Promise<void>) {
  const [submitting, setSubmitting] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (submitting) return;
    const form = event.currentTarget;
    setSubmitting(true);
    setError(null);
    try {
      await action(new FormData(form), form);
    } catch (caught) {
      const apiError = asApiError(caught);
      setError(apiError);
      focusField(form, apiError.field);
    } finally {
      setSubmitting(false);
    }
  }

  return { submitting, error, onSubmit };
}

/** A mistake caught before the request, shaped like the server's so it renders the same way. */
export function fieldProblem(field: string, message: string): ApiError {
  return new ApiError({ status: 400, code: 'validation.failed', field, message });
}

export function formText(data: FormData, name: string): string {
  const value = data.get(name);
  return typeof value === 'string' ? value : '';
}

function focusField(form: HTMLFormElement, field: string | undefined) {
  const element = field ? form.elements.namedItem(field) : null;
  if (element instanceof HTMLInputElement) element.focus();
}

function messageFor(error: ApiError): string {
  if (error.retryAfterSeconds === undefined) return error.message;
  const minutes = Math.ceil(error.retryAfterSeconds / 60);
  return `${error.message} You can try again in ${minutes === 1 ? 'a minute' : `${minutes} minutes`}.`;
}

/** The form-level error region: shows errors that no visible field claims. Always mounted, so it is announced. */
export function FormError({ error, fields }: { error: ApiError | null; fields: string[] }) {
  const shown = error && !(error.field && fields.includes(error.field)) ? error : null;
  return (
    <div className="form-error" role="alert">
      {shown && (
        <p>
          {messageFor(shown)}
          {/* Our failures carry a reference for support; a person's own mistake does not need one. */}
          {shown.status >= 500 && shown.requestId && (
            <span className="request-id"> Reference: {shown.requestId}</span>
          )}
        </p>
      )}
    </div>
  );
}

type TextFieldProps = {
  name: string;
  label: string;
  hint?: ReactNode;
  error: ApiError | null;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'name' | 'id' | 'aria-invalid' | 'aria-describedby'>;

/** Beside its field, a validation message need not repeat the field's name ("roleArn: …"). */
export function fieldMessage(error: ApiError | null, name: string): string | null {
  if (error?.field !== name) return null;
  const message = messageFor(error);
  if (!message.startsWith(`${name}: `)) return message;
  const rest = message.slice(name.length + 2);
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}

export function TextField({ name, label, hint, error, ...input }: TextFieldProps) {
  const id = useId();
  const message = fieldMessage(error, name);
  const describedBy = [hint && `${id}-hint`, message && `${id}-error`].filter(Boolean).join(' ');
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p className="field-hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <input
        id={id}
        name={name}
        aria-invalid={message ? true : undefined}
        aria-describedby={describedBy || undefined}
        {...input}
      />
      <p className="field-error" id={`${id}-error`} aria-live="polite">
        {message}
      </p>
    </div>
  );
}

export function SubmitButton({
  submitting,
  children,
  busyLabel,
  variant = 'primary',
}: {
  submitting: boolean;
  children: ReactNode;
  busyLabel: string;
  variant?: 'primary' | 'secondary' | 'danger';
}) {
  return (
    <button type="submit" className={`button ${variant}`} disabled={submitting} aria-busy={submitting}>
      {submitting ? busyLabel : children}
    </button>
  );
}
