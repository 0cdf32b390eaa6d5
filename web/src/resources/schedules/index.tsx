import { ComingSoon } from '../../components/ComingSoon';

// Placeholder: replace this component with the page.
export default function Page() {
  return <ComingSoon title="Business hours" />;
}
