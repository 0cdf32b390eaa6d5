// An agent's own call records (GET /cdrs?user=<own id>), newest first, in pages.
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import { useSession } from '../../auth/session';
import { ErrorMessage, Loading, PageHeader, Pager } from '../../components/ui';
import { useCursorPages } from '../../components/useDebounced';
import { formatDuration, formatTime } from '../common/format';
import { Disposition } from '../operations/call-columns';

export default function MyCalls() {
  const { session } = useSession();
  const id = session?.user?.id;
  const pages = useCursorPages(id);
  const calls = useQuery({
    queryKey: ['cdrs', 'mine', id, pages.cursor],
    queryFn: async () => {
      const page = await data(
        api.GET('/api/v1/cdrs', {
          params: {
            query: { user: id!, limit: 50, ...(pages.cursor ? { cursor: pages.cursor } : {}) },
          },
        }),
      );
      return page;
    },
    enabled: id !== undefined,
    placeholderData: keepPreviousData,
  });
  return (
    <section>
      <PageHeader title="My calls" />
      {calls.isPending && id !== undefined ? <Loading what="calls" /> : null}
      {calls.error ? <ErrorMessage error={calls.error} /> : null}
      {calls.data ? (
        <table className="data" aria-label="My calls">
          <thead>
            <tr>
              <th scope="col">Started</th>
              <th scope="col">Direction</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Result</th>
              <th scope="col">Talk time</th>
            </tr>
          </thead>
          <tbody>
            {calls.data.items.map((c) => (
              <tr key={c.id}>
                <td>{formatTime(c.started_at)}</td>
                <td>{c.direction}</td>
                <td>{c.caller}</td>
                <td>{c.dialled}</td>
                <td>
                  <Disposition disposition={c.disposition} voicemailId={c.voicemail_id} />
                </td>
                <td>{c.talk_ms ? formatDuration(c.talk_ms) : '—'}</td>
              </tr>
            ))}
            {calls.data.items.length === 0 ? (
              <tr>
                <td colSpan={6} className="muted">
                  No calls yet.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      ) : null}
      <Pager label="My calls pages" pages={pages} nextCursor={calls.data?.next_cursor} />
    </section>
  );
}
