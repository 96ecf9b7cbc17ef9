import { useEffect, useState } from 'react';

/** Copies `text` and says so in a live region; when the clipboard is refused, says to select it by hand. */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [result, setResult] = useState<'copied' | 'failed' | null>(null);

  useEffect(() => {
    if (!result) return;
    const timer = setTimeout(() => setResult(null), 4000);
    return () => clearTimeout(timer);
  }, [result]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setResult('copied');
    } catch {
      setResult('failed');
    }
  }

  return (
    <span className="copy">
      <button type="button" className="button small secondary" onClick={copy}>
        {label}
      </button>
      <span className="copy-result" role="status">
        {result === 'copied' && 'Copied.'}
        {result === 'failed' && 'Could not copy: select the text and copy it yourself.'}
      </span>
    </span>
  );
}

/** A block of text to paste elsewhere (a policy, a scope list), with its copy button. */
export function CopyBlock({ text, label, title }: { text: string; label: string; title: string }) {
  return (
    <figure className="copy-block">
      <figcaption>
        <span>{title}</span>
        <CopyButton text={text} label={label} />
      </figcaption>
      <pre tabIndex={0} aria-label={title}>
        <code>{text}</code>
      </pre>
    </figure>
  );
}
