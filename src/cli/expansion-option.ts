/**
 * `--omit-wide-pairs LEN[,LEN6]`: portsec's safe expansion of remote groups, the
 * same option wherever a policy is compiled or analysed (compile, agent, serve,
 * can-reach, exposure, audit), so that enforcement and analysis agree.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { type CompileOptions, wideLimits } from '../policy/topology.js';

const DESCRIPTION = 'safe remote-group expansion: leave allowed-address pairs of prefix length LEN or shorter (IPv4; LEN6 for IPv6, default 0) '
  + 'out of the remote groups their ports are in; they still pass anti-spoofing (0: only /0 pairs; 24: /24 and wider). Default: every pair, as Neutron';

/** `LEN[,LEN6]` (LEN6 defaults to `len6`); the guard's threshold takes the same shape. */
export function parsePrefixLengths(v: string, len6 = 0): Record<'IPv4' | 'IPv6', number> {
  const m = /^(\d+)(?:,(\d+))?$/.exec(v);
  const limits = m ? wideLimits(Number(m[1]), m[2] === undefined ? len6 : Number(m[2])) : undefined;
  if (!limits) throw new InvalidArgumentError('expected LEN[,LEN6]: 0-32 for IPv4, 0-128 for IPv6');
  return limits;
}

export const addExpansionOption = (cmd: Command): Command => cmd.option('--omit-wide-pairs <len[,len6]>', DESCRIPTION, (v) => parsePrefixLengths(v));

/** What commander parses the flag into. */
export interface ExpansionFlag {
  omitWidePairs?: CompileOptions['omitWidePairs'];
}

/** The compile options the flag sets (none when it is absent). */
export const expansionOverrides = (o: ExpansionFlag): Partial<CompileOptions> => (o.omitWidePairs ? { omitWidePairs: o.omitWidePairs } : {});
