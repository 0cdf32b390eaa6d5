import { useState } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  WeekGrid,
  emptyWeek,
  intervalKind,
  weekFromWeekly,
  weekToWeekly,
  type Week,
} from './WeekGrid';

function Harness(props: { initial: Week; onChange: (w: Week) => void }) {
  const [week, setWeek] = useState(props.initial);
  return (
    <WeekGrid
      value={week}
      onChange={(w) => {
        setWeek(w);
        props.onChange(w);
      }}
    />
  );
}

describe('week grid conversion', () => {
  it('spreads the API intervals over the days and groups them back', () => {
    const weekly = [
      { days: ['mon', 'tue', 'wed', 'thu', 'fri'] as const, from: '09:00', to: '12:00' },
      { days: ['mon', 'wed'] as const, from: '13:00', to: '17:00' },
      { days: ['sat'] as const, from: '22:00', to: '24:00' },
    ].map((w) => ({ ...w, days: [...w.days] }));
    const week = weekFromWeekly(weekly);
    expect(week.mon).toEqual([
      { from: '09:00', to: '12:00' },
      { from: '13:00', to: '17:00' },
    ]);
    expect(week.tue).toEqual([{ from: '09:00', to: '12:00' }]);
    expect(week.sun).toEqual([]);
    // 24:00 (midnight at the end of the day) reads as the API returns it: 00:00.
    expect(week.sat).toEqual([{ from: '22:00', to: '00:00' }]);
    expect(weekToWeekly(week)).toEqual([
      { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '09:00', to: '12:00' },
      { days: ['mon', 'wed'], from: '13:00', to: '17:00' },
      { days: ['sat'], from: '22:00', to: '00:00' },
    ]);
  });

  it('keeps an overnight interval on the day it starts', () => {
    const week = emptyWeek();
    week.fri = [{ from: '22:00', to: '02:00' }];
    expect(weekToWeekly(week)).toEqual([{ days: ['fri'], from: '22:00', to: '02:00' }]);
    expect(intervalKind({ from: '22:00', to: '02:00' })).toBe('overnight');
    expect(intervalKind({ from: '08:00', to: '08:00' })).toBe('whole');
    expect(intervalKind({ from: '09:00', to: '17:00' })).toBe('day');
    expect(weekToWeekly(emptyWeek())).toEqual([]);
  });
});

describe('WeekGrid', () => {
  it('adds, edits into an overnight interval and removes hours', async () => {
    const onChange = vi.fn<(w: Week) => void>();
    const user = userEvent.setup();
    render(<Harness initial={emptyWeek()} onChange={onChange} />);

    await user.click(screen.getByRole('button', { name: 'Add hours on Friday' }));
    let week = onChange.mock.lastCall![0];
    expect(week.fri).toEqual([{ from: '09:00', to: '17:00' }]);

    fireEvent.change(screen.getByLabelText('From (Friday, interval 1)'), {
      target: { value: '22:00' },
    });
    fireEvent.change(screen.getByLabelText('To (Friday, interval 1)'), {
      target: { value: '06:00' },
    });
    expect(screen.getByText('until 06:00 the next day')).toBeInTheDocument();
    week = onChange.mock.lastCall![0];
    expect(weekToWeekly(week)).toEqual([{ days: ['fri'], from: '22:00', to: '06:00' }]);

    await user.click(screen.getByRole('button', { name: 'Add hours on Friday' }));
    expect(onChange.mock.lastCall![0].fri).toHaveLength(2);
    await user.click(screen.getByRole('button', { name: 'Remove Friday 22:00–06:00' }));
    week = onChange.mock.lastCall![0];
    expect(week.fri).toHaveLength(1);
    expect(week.fri[0]!.from).not.toBe('22:00');
    await user.click(screen.getByRole('button', { name: /^Remove Friday/ }));
    expect(weekToWeekly(onChange.mock.lastCall![0])).toEqual([]);
  });
});
