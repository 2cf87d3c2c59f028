import { AFN } from './link';
import { class2Label } from './units';

// Names of the common Fn of each AFN (Q/GDW 1376.1-2013 section 5.x tables), for people reading frames.
// A name says what the data unit is; whether its content is decoded is a separate question (units.ts).

const RESET: Record<number, string> = { 1: 'hardware initialisation', 2: 'data area initialisation', 3: 'parameter and all data initialisation (factory)', 4: 'parameter (except communication) and data initialisation' };
const LINK: Record<number, string> = { 1: 'login', 2: 'logout', 3: 'heartbeat' };
const CONFIRM: Record<number, string> = { 1: 'all confirmed', 2: 'all denied', 3: 'confirm/deny per data unit', 4: 'hardware security authentication error' };
const PARAMETERS: Record<number, string> = {
  1: 'terminal uplink communication parameters', 2: 'relay forwarding', 3: 'master station IP address and port', 4: 'master station phone and SMS centre', 5: 'message authentication parameters',
  6: 'group addresses', 7: 'terminal IP address and port', 8: 'uplink working mode', 9: 'event record configuration', 10: 'meter / AC sampling device configuration', 11: 'pulse configuration',
  12: 'state input parameters', 13: 'voltage/current analog configuration', 14: 'total-add group configuration', 15: 'energy difference limits', 16: 'virtual private network user and password',
  17: 'terminal protection value', 18: 'power control periods', 19: 'period power control factor', 20: 'monthly energy control factor', 21: 'tariff periods and count', 22: 'tariffs', 23: 'alarm sound',
  25: 'measurement point basic parameters', 26: 'measurement point limits', 27: 'copper and iron loss parameters', 28: 'power factor segment limits', 29: 'local meter address', 30: 'meter reading stop/resume',
  31: 'attached slave nodes', 33: 'meter reading running parameters', 34: 'port communication parameters', 35: 'key users', 36: 'monthly traffic limit', 37: 'cascade parameters', 38: 'class 1 data configuration',
  39: 'class 2 data configuration', 41: 'period control values', 42: 'factory rest control', 43: 'power sliding window', 44: 'business rest control', 45: 'power control turns', 46: 'monthly energy control value',
  47: 'purchased energy control', 48: 'energy control turns', 49: 'control alarm time', 57: 'alarm sound', 58: 'automatic keep-power', 59: 'meter anomaly thresholds', 60: 'harmonic limits', 61: 'DC analog access',
  65: 'timed report of class 1 data', 66: 'timed report of class 2 data', 67: 'timed report start/stop', 73: 'capacitor parameters', 74: 'capacitor running parameters', 75: 'protection parameters', 76: 'capacitor control method',
  81: 'DC analog ratio', 82: 'DC analog limits', 83: 'DC analog freeze',
};
const CONTROL: Record<number, string> = {
  1: 'remote trip', 2: 'allow closing', 9: 'period power control on', 10: 'factory rest control on', 11: 'business rest control on', 12: 'power down-float control on', 15: 'monthly energy control on',
  16: 'purchased energy control on', 17: 'period power control off', 18: 'factory rest control off', 19: 'business rest control off', 20: 'power down-float control off', 23: 'monthly energy control off',
  24: 'purchased energy control off', 25: 'keep power on', 26: 'urge fee alarm on', 27: 'allow terminal talk with master', 28: 'keep power off', 29: 'allow active report', 31: 'clock set',
  32: 'Chinese message', 33: 'keep power off (alternative)', 34: 'urge fee alarm off', 35: 'forbid terminal talk with master', 36: 'terminal remove', 37: 'forbid active report', 38: 'activate terminal connection',
  39: 'disconnect terminal', 49: 'port stops meter reading', 50: 'port resumes meter reading', 51: 'port reads again', 52: 'initialise routing', 53: 'delete all meters of a port',
};
const CONFIG: Record<number, string> = { 1: 'terminal version information', 2: 'input, output and communication ports', 3: 'other configuration', 4: 'supported parameters', 5: 'supported controls', 6: 'supported class 1 data', 7: 'supported class 2 data', 8: 'supported event records' };
const CLASS1: Record<number, string> = {
  2: 'terminal calendar clock', 3: 'terminal parameter state', 4: 'uplink communication state', 5: 'control settings state', 6: 'control state', 7: 'event counters', 8: 'event flags', 9: 'state inputs',
  10: 'communication traffic', 11: 'meter reading state', 25: 'current powers, power factors, voltages, currents', 26: 'phase break statistics', 27: 'meter clock and programming',
  28: 'meter running status words', 31: 'current phase energies', 33: 'current forward active/reactive energy', 34: 'current reverse active/reactive energy', 35: 'current month forward maximum demand',
  36: 'current month reverse maximum demand', 37: 'last month forward active/reactive energy', 38: 'last month reverse active/reactive energy', 49: 'voltage and current phase angles',
  129: 'current forward active energy', 130: 'current forward reactive energy', 131: 'current reverse active energy', 132: 'current reverse reactive energy', 133: 'current quadrant I reactive energy',
  134: 'current quadrant II reactive energy', 135: 'current quadrant III reactive energy', 136: 'current quadrant IV reactive energy', 137: 'last month forward active energy', 138: 'last month forward reactive energy',
  139: 'last month reverse active energy', 140: 'last month reverse reactive energy', 141: 'last month quadrant I reactive energy', 142: 'last month quadrant II reactive energy',
  143: 'last month quadrant III reactive energy', 144: 'last month quadrant IV reactive energy', 145: 'current month forward active maximum demand', 146: 'current month forward reactive maximum demand',
  147: 'current month reverse active maximum demand', 148: 'current month reverse reactive maximum demand', 149: 'last month forward active maximum demand', 150: 'last month forward reactive maximum demand',
  151: 'last month reverse active maximum demand', 152: 'last month reverse reactive maximum demand', 153: 'phase forward active energy', 154: 'phase forward reactive energy', 155: 'phase reverse active energy',
  156: 'phase reverse reactive energy', 161: 'meter remote control state', 162: 'meter clock', 165: 'switch operation counts', 166: 'parameter change counts', 167: 'purchase information', 168: 'settlement information',
};
const ENERGY8 = ['forward active', 'forward reactive', 'reverse active', 'reverse reactive', 'quadrant I reactive', 'quadrant II reactive', 'quadrant III reactive', 'quadrant IV reactive'];
const PHASE_CURVE: Record<number, string> = {
  81: 'total active power', 82: 'phase A active power', 83: 'phase B active power', 84: 'phase C active power', 85: 'total reactive power', 86: 'phase A reactive power', 87: 'phase B reactive power',
  88: 'phase C reactive power', 89: 'phase A voltage', 90: 'phase B voltage', 91: 'phase C voltage', 92: 'phase A current', 93: 'phase B current', 94: 'phase C current', 95: 'zero-sequence current',
  97: 'forward active energy per interval', 98: 'forward reactive energy per interval', 99: 'reverse active energy per interval', 100: 'reverse reactive energy per interval',
  101: 'forward active energy reading', 102: 'forward reactive energy reading', 103: 'reverse active energy reading', 104: 'reverse reactive energy reading', 105: 'total power factor',
  106: 'phase A power factor', 107: 'phase B power factor', 108: 'phase C power factor', 109: 'voltage phase angle', 110: 'current phase angle', 145: 'quadrant I reactive energy reading',
  146: 'quadrant IV reactive energy reading', 147: 'quadrant II reactive energy reading', 148: 'quadrant III reactive energy reading',
};

function class2Name(fn: number): string | undefined {
  const label = class2Label(fn);
  if (label === 'curve') return PHASE_CURVE[fn] ? `${PHASE_CURVE[fn]} curve` : undefined;
  if (fn >= 161 && fn <= 184) return `${['daily', 'reading-day', 'monthly'][Math.floor((fn - 161) / 8)]} frozen ${ENERGY8[(fn - 161) % 8]} energy (total, tariffs)`;
  if (fn >= 185 && fn <= 196) return `${['daily', 'reading-day', 'monthly'][Math.floor((fn - 185) / 4)]} frozen ${ENERGY8[(fn - 185) % 4]} maximum demand`;
  const other: Record<number, string> = {
    1: 'daily frozen forward energies', 2: 'daily frozen reverse energies', 3: 'daily forward maximum demand', 4: 'daily reverse maximum demand', 5: 'daily forward active energy amount',
    6: 'daily forward reactive energy amount', 7: 'daily reverse active energy amount', 8: 'daily reverse reactive energy amount', 9: 'reading-day frozen forward energies', 10: 'reading-day frozen reverse energies',
    17: 'monthly frozen forward energies', 18: 'monthly frozen reverse energies', 21: 'monthly forward active energy amount', 22: 'monthly forward reactive energy amount', 23: 'monthly reverse active energy amount',
    24: 'monthly reverse reactive energy amount', 25: 'daily maximum power and zero-power time', 26: 'daily maximum demand', 27: 'daily voltage statistics', 28: 'daily unbalance', 29: 'daily current over-limit',
    30: 'daily apparent power over-limit', 31: 'daily load rate', 33: 'monthly maximum power', 35: 'monthly voltage statistics', 43: 'daily power factor zones', 49: 'daily terminal power-on time and resets',
    51: 'monthly terminal power-on time and resets', 53: 'daily communication traffic', 54: 'monthly communication traffic',
  };
  return other[fn];
}

export function fnName(afn: number, fn: number, up: boolean): string | undefined {
  switch (afn) {
    case AFN.confirm:
      return CONFIRM[fn];
    case AFN.reset:
      return RESET[fn];
    case AFN.linkCheck:
      return LINK[fn];
    case AFN.setParameters:
    case AFN.queryParameters:
      return PARAMETERS[fn];
    case AFN.control:
      return CONTROL[fn];
    case AFN.config:
      return CONFIG[fn];
    case AFN.class1:
      return CLASS1[fn];
    case AFN.class2:
      return class2Name(fn);
    case AFN.class3:
      return fn === 1 ? 'important events' : fn === 2 ? 'normal events' : undefined;
    case AFN.forward:
      return fn === 1 ? (up ? 'transparent forwarding answer' : 'transparent forwarding') : undefined;
    default:
      return undefined;
  }
}
