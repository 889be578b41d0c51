#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# ferryd's leader-election options, without a cluster: timing that client-go
# would refuse (lease duration not longer than the renew deadline, renew
# deadline not longer than 1.2 retry periods) stops ferryd at once with the
# rule; an API server that does not answer keeps ferryd a candidate that
# says why (it never leads without the Lease), and SIGTERM ends it cleanly.
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ferryd_proc import Ferryd  # noqa: E402

FERRYD = os.environ["FERRYD_BIN"]

with tempfile.TemporaryDirectory() as tmp:
    kubeconfig = os.path.join(tmp, "kubeconfig")
    with open(kubeconfig, "w") as f:
        f.write("""apiVersion: v1
kind: Config
clusters:
- name: nowhere
  cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}
users:
- name: u
  user: {token: not-a-real-token}
contexts:
- name: c
  context: {cluster: nowhere, user: u, namespace: ha-options}
current-context: c
""")
    common = [FERRYD, "--kubeconfig", kubeconfig, "--identity", "ferryd-a",
              "--listen", "127.0.0.1:0", "--state", os.path.join(tmp, "state")]

    for args, text in [
        (["--lease-duration", "5"],
         "the lease duration (5000 ms) must be longer than the renew deadline (10000 ms)"),
        (["--renew-deadline", "2.2", "--retry-period", "2"],
         "the renew deadline (2200 ms) must be longer than 1.2 × the retry period (2000 ms)"),
    ]:
        r = subprocess.run(common + args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=30)
        assert r.returncode == 2, f"{args}: exit {r.returncode}: {r.stdout}"
        assert text in r.stdout, f"{args}: {r.stdout}"
    print("ok: timing client-go refuses stops ferryd with the rule")

    p = Ferryd(FERRYD, "ferryd-a", "--kubeconfig", kubeconfig, "--retry-period", "0.5",
               "--renew-deadline", "1", "--lease-duration", "2")
    try:
        assert p.wait_for("is a candidate", 10) is not None, p.log()
        assert p.wait_for("127.0.0.1:1", 10) is not None, p.log()
        time.sleep(2)
        assert p.proc.poll() is None, p.log()
        assert not p.leads(), p.log()
        assert "Lease ha-options/ferryd" in p.log(), p.log()
        p.proc.send_signal(signal.SIGTERM)
        status = p.wait_exit(10)
        assert status == 0, f"exit {status} after SIGTERM\n{p.log()}"
    finally:
        p.kill()
    print("ok: without an API server ferryd stays a candidate, says why, and stops on SIGTERM")
