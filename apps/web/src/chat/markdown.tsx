// The assistant's answers as Markdown: no raw HTML (skipped, never parsed), links only with safe schemes
// (react-markdown's defaultUrlTransform drops javascript: and the like) opening in a new tab without a
// referrer or opener, and no remote images: the CSP allows none, so an image shows as a link instead.
import Markdown, { type Components } from 'react-markdown';

const components: Components = {
  a: ({ href, children }) => (
    <a href={href} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  ),
  img: ({ src, alt }) =>
    typeof src === 'string' && src ? (
      <a href={src} target="_blank" rel="noopener noreferrer nofollow">
        {alt || src}
      </a>
    ) : (
      <>{alt}</>
    ),
};

export function AssistantMarkdown({ text }: { text: string }) {
  return (
    <div className="markdown">
      <Markdown skipHtml components={components}>
        {text}
      </Markdown>
    </div>
  );
}
