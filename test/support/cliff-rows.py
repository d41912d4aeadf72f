"""Prints rows the way the openstack CLI prints a listing: one cliff Lister
command, `rows FILE`, whose rows are FILE's (a JSON list of objects, as
`portsec ... -f json` writes them), with cliff's own formatter options
(-f, -c, --sort-column, --max-width, --fit-width, --quote, --noindent).
Run with Debian's python3 (cliff comes with python3-openstackclient)."""
import json
import sys

from cliff.app import App
from cliff.commandmanager import CommandManager
from cliff.lister import Lister


class Rows(Lister):
    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument('file')
        return parser

    def take_action(self, parsed_args):
        with open(parsed_args.file) as f:
            items = json.load(f)
        # a tuple, as openstackclient's listers return their columns
        columns = tuple(items[0].keys()) if items else ()
        return columns, [[item[c] for c in columns] for item in items]


class RowsApp(App):
    def __init__(self):
        manager = CommandManager('portsec.test')
        manager.add_command('rows', Rows)
        super().__init__(description='rows as cliff prints them', version='0', command_manager=manager, deferred_help=True)


if __name__ == '__main__':
    sys.exit(RowsApp().run(sys.argv[1:]))
