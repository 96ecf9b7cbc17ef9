import { useEffect, type ReactNode } from 'react';

/** Every page's frame: one h1 (focused on navigation, see app.tsx) and the document title. */
export function Page({
  title,
  lede,
  narrow = false,
  children,
}: {
  title: string;
  lede?: ReactNode;
  narrow?: boolean;
  children: ReactNode;
}) {
  useEffect(() => {
    document.title = `${title} · Claw Cloud`;
  }, [title]);

  return (
    <div className={narrow ? 'page page-narrow' : 'page'}>
      <header className="page-header">
        <h1 id="page-title" tabIndex={-1}>
          {title}
        </h1>
        {lede && <p className="lede">{lede}</p>}
      </header>
      {children}
    </div>
  );
}

/** A page's titled section, labelled by its heading for assistive tech. */
export function Section({
  id,
  title,
  tone,
  children,
}: {
  id: string;
  title: string;
  tone?: 'danger';
  children: ReactNode;
}) {
  return (
    <section className={tone ? `card card-${tone}` : 'card'} aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {children}
    </section>
  );
}
