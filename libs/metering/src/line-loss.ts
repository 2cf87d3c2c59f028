// Transformer-area line loss: the energy the area's master meter supplied in a day minus what its
// users consumed, as a rate of what was supplied. Consumption is the difference of a register's two
// daily freezes (the day's start and the next day's), modulo the register's range where it wrapped.
//
// An area's figure is only as good as its reads: a user meter without both freezes makes the loss
// look higher than it is, so such areas are flagged INCOMPLETE with the meters named rather than
// reported with a wrong rate.

export interface AreaMeters {
  area: string;
  /** The area's master (transformer) meter. */
  master: string;
  users: string[];
}

/** Daily freezes of forward active energy: meter -> [the day's opening read, the next day's]. */
export type DayFreezes = ReadonlyMap<string, { open?: number; close?: number }>;

export type LossFlag = 'NEGATIVE' | 'HIGH' | 'INCOMPLETE' | 'NO_SUPPLY';

export interface AreaLoss {
  area: string;
  master: string;
  suppliedKwh: number;
  consumedKwh: number;
  lossKwh: number;
  /** lossKwh / suppliedKwh; NaN when nothing was supplied or the master meter was not read. */
  lossRate: number;
  flags: LossFlag[];
  /** Meters without both freezes (the master meter first if it is one of them). */
  unreadable: string[];
  explanation: string;
}

export interface LossOptions {
  /** Above this rate an area is flagged HIGH (10 % is a common planning limit for low-voltage areas). */
  highRate: number;
  /** Below minus this rate an area is flagged NEGATIVE (users "consumed" more than was supplied). */
  negativeTolerance: number;
  registerMax: number;
}

export const DEFAULT_LOSS: LossOptions = { highRate: 0.1, negativeTolerance: 0.005, registerMax: 999_999.9999 };

/** Consumption between two reads of a register, across a wrap when the second is lower. */
export function consumption(open: number, close: number, registerMax = DEFAULT_LOSS.registerMax): number {
  if (close >= open) return close - open;
  if (open > registerMax * 0.9 && close < registerMax * 0.1) return close + registerMax + 0.0001 - open;
  return Number.NaN; // went backwards: not a consumption
}

export function areaLoss(a: AreaMeters, freezes: DayFreezes, o: LossOptions = DEFAULT_LOSS): AreaLoss {
  const used = (m: string): number => {
    const f = freezes.get(m);
    return f?.open === undefined || f.close === undefined ? Number.NaN : consumption(f.open, f.close, o.registerMax);
  };
  const unreadable: string[] = [];
  const supplied = used(a.master);
  if (Number.isNaN(supplied)) unreadable.push(a.master);
  let consumed = 0;
  for (const u of a.users) {
    const c = used(u);
    if (Number.isNaN(c)) unreadable.push(u);
    else consumed += c;
  }
  const flags: LossFlag[] = [];
  const loss = supplied - consumed;
  const rate = supplied > 0 ? loss / supplied : Number.NaN;
  const notes: string[] = [];
  if (unreadable.length) {
    flags.push('INCOMPLETE');
    notes.push(`${unreadable.length} meter(s) without both daily freezes: ${unreadable.slice(0, 5).join(', ')}${unreadable.length > 5 ? ', ...' : ''}`);
  }
  if (Number.isNaN(supplied)) notes.push('the master meter was not read: no supply figure');
  else if (!(supplied > 0)) {
    flags.push('NO_SUPPLY');
    notes.push('the master meter recorded no supply');
  } else if (!unreadable.length) {
    if (rate < -o.negativeTolerance) {
      flags.push('NEGATIVE');
      notes.push('users consumed more than the master meter supplied: a wrong meter ratio, a meter under another area, or a master meter fault');
    } else if (rate > o.highRate) {
      flags.push('HIGH');
      notes.push(`loss above ${o.highRate * 100} %: unmetered load, theft, or a user meter missing from the area`);
    }
  }
  return { area: a.area, master: a.master, suppliedKwh: supplied, consumedKwh: consumed, lossKwh: loss, lossRate: unreadable.length ? Number.NaN : rate, flags, unreadable, explanation: notes.join('; ') || 'normal' };
}
