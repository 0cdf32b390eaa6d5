import { useQuery } from '@tanstack/react-query';
import { api, data } from '../../api/client';

/// Trunks and schedules are few (tens): one page of up to 1000 fills a <select>.
export function useTrunkOptions() {
  return useQuery({
    queryKey: ['trunks', 'options'],
    queryFn: () => data(api.GET('/api/v1/trunks', { params: { query: { limit: 1000 } } })),
    select: (page) => page.items.map((t) => ({ value: String(t.id), label: t.name })),
    staleTime: 30_000,
  });
}

export function useScheduleOptions() {
  return useQuery({
    queryKey: ['schedules', 'options'],
    queryFn: () => data(api.GET('/api/v1/schedules', { params: { query: { limit: 1000 } } })),
    select: (page) => page.items.map((s) => ({ value: String(s.id), label: s.name })),
    staleTime: 30_000,
  });
}

export const parseId = (v: string): number | null => (v === '' ? null : Number(v));
