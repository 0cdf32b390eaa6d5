import { PageHeader } from './ui';

/// Stands in for a page that is not built yet.
export function ComingSoon(props: { title: string }) {
  return (
    <section>
      <PageHeader title={props.title} />
      <p className="muted">Coming soon: this page is being built.</p>
    </section>
  );
}
