import type { AutoPauseScope, RingStrategy, WaitingMode } from '../../api/types';

export const ringStrategyLabels: Record<RingStrategy, string> = {
  simultaneous: 'Simultaneous (ring everyone)',
  round_robin: 'Round robin',
  least_recent: 'Least recently used',
  sequential: 'Sequential (in member order)',
  fewest_calls: 'Fewest calls today',
  random: 'Random',
};

export const autoPauseScopeLabels: Record<AutoPauseScope, string> = {
  group: 'This group',
  all: 'All groups',
};

export const waitingModeLabels: Record<WaitingMode, string> = {
  ringback: 'Ringback',
  early_media: 'Music, early media',
  answer: 'Music, answered',
};
