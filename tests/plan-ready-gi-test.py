#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Plan readiness is the library's: a GI caller of
Ferry.Runner.check_plan_ready() gets the same blockers `ferry plan start`
prints, GuestConversionUnavailable among them when the source's guests need
a conversion and no loaded plugin converts (only ova and kubevirt are on
FERRY_PLUGIN_PATH, not virt-v2v), and the same condition is saved in the
store. With spec.skipGuestConversion the condition goes away."""

import os
import subprocess
import sys
import tempfile

import gi

gi.require_version("Ferry", "1.0")
from gi.repository import Ferry, GLib  # noqa: E402

MANIFESTS = """apiVersion: v1
kind: Secret
metadata: {name: ova-creds, namespace: gi}
stringData: {url: %(ovas)s}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: ovas, namespace: gi}
spec: {type: ova, url: %(ovas)s, secret: {name: ova-creds, namespace: gi}}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Provider
metadata: {name: bundle, namespace: gi}
spec: {type: kubevirt, url: "file://%(bundle)s", secret: {name: ova-creds, namespace: gi}}
---
apiVersion: forklift.konveyor.io/v1beta1
kind: NetworkMap
metadata: {name: net, namespace: gi}
spec:
  provider: {source: {name: ovas}, destination: {name: bundle}}
  map: [{source: {id: VM Network}, destination: {type: pod}}]
---
apiVersion: forklift.konveyor.io/v1beta1
kind: StorageMap
metadata: {name: storage, namespace: gi}
spec:
  provider: {source: {name: ovas}, destination: {name: bundle}}
  map: [{source: {id: disk-1}, destination: {storageClass: standard}}]
---
apiVersion: forklift.konveyor.io/v1beta1
kind: Plan
metadata: {name: convert, namespace: gi}
spec:
  targetNamespace: migrated
  provider: {source: {name: ovas}, destination: {name: bundle}}
  map: {network: {name: net}, storage: {name: storage}}
  vms: [{name: missing-vm}]
  skipGuestConversion: %(skip)s
"""


def cli_blockers(ferry, state):
    result = subprocess.run([ferry, "--state", state, "-n", "gi", "plan", "start", "convert"],
                            capture_output=True, text=True)
    if result.returncode == 0:
        sys.exit("`ferry plan start` started a plan that has blockers")
    # "Plan/convert is not ready:" then "  Type: message" per blocker
    lines = result.stderr.split("is not ready:\n", 1)[-1].splitlines()
    return {line.strip().split(":", 1)[0] for line in lines
            if line.startswith("  ") and not line.startswith("    ")
            and ":" in line and " " not in line.strip().split(":", 1)[0]}


def gi_blockers(state):
    registry = Ferry.PluginRegistry.new()
    registry.load()
    runner = Ferry.Runner.new(state, registry)
    blockers = runner.check_plan_ready("gi", "convert", None)
    plan = runner.get_store().get("Plan", "gi", "convert")
    saved = plan.get_condition("GuestConversionUnavailable")
    return {b.get_string_member("type") for b in blockers}, blockers, saved


def main():
    ferry = sys.argv[1]
    GLib.log_set_handler("Ferry", GLib.LogLevelFlags.LEVEL_WARNING, lambda *a: None, None)
    with tempfile.TemporaryDirectory(prefix="ferry-plan-ready-") as work:
        ovas = os.path.join(work, "ovas")
        os.mkdir(ovas)
        state = os.path.join(work, "state")
        for skip in ("false", "true"):
            path = os.path.join(work, "plan-%s.yaml" % skip)
            with open(path, "w") as f:
                f.write(MANIFESTS % {"ovas": ovas, "bundle": os.path.join(work, "bundle"),
                                     "skip": skip})
            subprocess.run([ferry, "--state", state, "apply", "-f", path], check=True,
                           capture_output=True)
            from_cli = cli_blockers(ferry, state)
            from_gi, blockers, saved = gi_blockers(state)
            if from_gi != from_cli:
                sys.exit("GI blockers %s differ from the CLI's %s" % (from_gi, from_cli))
            if skip == "false":
                if "GuestConversionUnavailable" not in from_gi:
                    sys.exit("no GuestConversionUnavailable for a GI caller: %s" % from_gi)
                gcu = next(b for b in blockers
                           if b.get_string_member("type") == "GuestConversionUnavailable")
                if "virt-v2v" not in gcu.get_string_member("suggestion"):
                    sys.exit("the blocker does not say what to install")
                if saved is None:
                    sys.exit("GuestConversionUnavailable was not saved on the Plan")
                print("conversion needed: GI and CLI both block on %s" % sorted(from_gi))
            else:
                if "GuestConversionUnavailable" in from_gi or saved is not None:
                    sys.exit("skipGuestConversion still gives GuestConversionUnavailable")
                print("raw copy: GI and CLI both block on %s" % sorted(from_gi))


if __name__ == "__main__":
    main()
