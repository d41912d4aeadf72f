// The agent-step fixtures' form on disk: a node's states share most of their lines, so a
// fixture keeps each distinct line once ("lines") and each state as the indexes of its
// lines ("steps": {ipset_restore, IPv4, IPv6}): a sixth of the size of the states written out.

const FIELDS = ['ipset_restore', 'IPv4', 'IPv6'];
const textOf = (state, field) => (field === 'ipset_restore' ? state.ipset_restore : state.iptables_save[field]);

/** A fixture's text: its other fields as they are, then `lines` and `steps` packed from `states`. */
export function fixtureText(head, states) {
  const index = new Map();
  const lines = [];
  const at = (line) => {
    if (!index.has(line)) index.set(line, lines.push(line) - 1);
    return index.get(line);
  };
  // every text ends with a newline: the lines are what comes before each
  const steps = states.map((s) => Object.fromEntries(FIELDS.map((f) => [f, textOf(s, f).split('\n').slice(0, -1).map(at)])));
  const top = JSON.stringify(head, null, 1).slice(0, -2);
  return `${top},\n "lines": [\n${lines.map((l) => `  ${JSON.stringify(l)}`).join(',\n')}\n ],\n`
    + ` "steps": [\n${steps.map((s) => `  ${JSON.stringify(s)}`).join(',\n')}\n ]\n}\n`;
}

/** The states of a parsed fixture. */
export function statesOf({ lines, steps }) {
  const text = (ixs) => ixs.map((i) => `${lines[i]}\n`).join('');
  return steps.map((s) => ({ ipset_restore: text(s.ipset_restore), iptables_save: { IPv4: text(s.IPv4), IPv6: text(s.IPv6) } }));
}
