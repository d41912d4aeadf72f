"""A throw-away OVN Northbound database: ovsdb-server with Debian's
ovn-nb.ovsschema, in a temp dir, listening on a unix socket only, stopped by
the PID it was started with."""

import os
import shutil
import subprocess
import tempfile
import time

NB_SCHEMA = '/usr/share/ovn/ovn-nb.ovsschema'


class NbServer(object):
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='portsec-ovn-nb-')
        self.socket = os.path.join(self.dir, 'nb.sock')
        self.remote = 'unix:' + self.socket
        self.proc = None

    def start(self):
        db = os.path.join(self.dir, 'nb.db')
        subprocess.run(['ovsdb-tool', 'create', db, NB_SCHEMA], check=True,
                       stdout=subprocess.DEVNULL)
        self.proc = subprocess.Popen(
            ['ovsdb-server', '--remote=punix:' + self.socket,
             '--unixctl=' + os.path.join(self.dir, 'ctl'),
             '--log-file=' + os.path.join(self.dir, 'nb.log'),
             '--no-chdir', db],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not os.path.exists(self.socket):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError('ovsdb-server did not start')
            time.sleep(0.02)
        return self

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
