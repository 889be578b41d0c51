# SPDX-License-Identifier: LGPL-2.1-or-later
"""A ferryd process for the tests: started with a kubeconfig outside the
cluster, its log lines read by a thread and kept with the monotonic time
they arrived, so a test can wait for a line and measure when it came."""

import subprocess
import tempfile
import threading
import time

# the bound of a handover after the leader dies without releasing the Lease,
# with the default timing: the candidate sees the last renewal up to a retry
# period after it was written, waits the lease duration from then, and tries
# again at most a retry period later: 15 + 2 + 2 s, plus a second for the
# requests and the log line
LEASE_DURATION = 15.0
RETRY_PERIOD = 2.0
KILL_BOUND = LEASE_DURATION + 2 * RETRY_PERIOD + 1.0
# after a released Lease: the candidate's next retry, plus the requests
RELEASE_BOUND = 3.0


class Ferryd:
    def __init__(self, binary, identity, *args):
        self.identity = identity
        self.lines = []  # (monotonic time, line)
        self.cond = threading.Condition()
        args = list(args)
        # the HTTP server on any free port, so that several run side by side
        if "--listen" not in args:
            args += ["--listen", "127.0.0.1:0"]
        if "--state" not in args:
            self.state = tempfile.TemporaryDirectory(prefix="ferryd-state-")
            args += ["--state", self.state.name]
        # what a leader reconciles: only the test's own namespace
        if "--namespace" not in args and "--lease-namespace" in args:
            args += ["--namespace", args[args.index("--lease-namespace") + 1]]
        self.proc = subprocess.Popen([binary, "--identity", identity, *args],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def find(self, text, since=0.0):
        """the time of the first line containing @text that came after @since"""
        with self.cond:
            for when, line in self.lines:
                if when >= since and text in line:
                    return when
        return None

    def wait_for(self, text, timeout, since=0.0):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for when, line in self.lines:
                    if when >= since and text in line:
                        return when
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.thread.is_alive()):
                    return None
                self.cond.wait(min(left, 0.2))

    def leads(self, since=0.0):
        return self.find(" started leading", since) is not None

    def log(self):
        with self.cond:
            return "\n".join(f"  [{self.identity}] {line}" for _, line in self.lines)

    def wait_exit(self, timeout):
        try:
            status = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None
        self.thread.join(5)
        return status

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.thread.join(5)
