/**
 * `--omit-wide-pairs LEN[,LEN6]`: portsec's safe expansion of remote groups, the
 * same option wherever a policy is compiled or analysed (compile, agent, serve,
 * can-reach, exposure, audit), so that enforcement and analysis agree.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { type CompileOptions } from '../policy/topology.js';

const DESCRIPTION = 'safe remote-group expansion: leave allowed-address pairs of prefix length LEN or shorter (IPv4; LEN6 for IPv6, default 0) '
  + 'out of the remote groups their ports are in; they still pass anti-spoofing (0: only /0 pairs; 24: /24 and wider). Default: every pair, as Neutron';

function parse(v: string): Record<'IPv4' | 'IPv6', number> {
  const [v4, v6 = '0', ...rest] = v.split(',');
  const n = (text: string, max: number) => {
    const x = Number(text);
    if (rest.length || text === '' || !Number.isInteger(x) || x < 0 || x > max) throw new InvalidArgumentError('expected LEN[,LEN6]: 0-32 for IPv4, 0-128 for IPv6');
    return x;
  };
  return { IPv4: n(v4, 32), IPv6: n(v6, 128) };
}

export const addExpansionOption = (cmd: Command): Command => cmd.option('--omit-wide-pairs <len[,len6]>', DESCRIPTION, parse);

/** What commander parses the flag into. */
export interface ExpansionFlag {
  omitWidePairs?: CompileOptions['omitWidePairs'];
}

/** The compile options the flag sets (none when it is absent). */
export const expansionOverrides = (o: ExpansionFlag): Partial<CompileOptions> => (o.omitWidePairs ? { omitWidePairs: o.omitWidePairs } : {});
