#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Lists the test bed's nodes through Ferry's Kubernetes client over
GObject Introspection. Exit 77 (skipped) without a test bed, except under
CI=true, where that is a failure."""

import os
import subprocess
import sys
import time

import gi

gi.require_version("Ferry", "1.0")
from gi.repository import Ferry, GLib  # noqa: E402


def bed_kubeconfig():
    if os.environ.get("FERRY_KUBE_APISERVER") and os.environ.get("KUBECONFIG"):
        return os.environ["KUBECONFIG"]
    script = os.environ.get("FERRY_KUBE_TESTBED_SCRIPT", "")
    if script and os.access(script, os.X_OK):
        out = subprocess.run([script, "env"], capture_output=True, text=True).stdout
        for line in out.splitlines():
            if line.startswith("KUBECONFIG="):
                return line.split("=", 1)[1]
    return None


def no_bed(why):
    if os.environ.get("CI") == "true":
        sys.exit("CI=true and no Kubernetes test bed: " + why)
    print("SKIP: no Kubernetes test bed (%s); start one with scripts/kube-testbed start" % why)
    sys.exit(77)


def list_nodes(client):
    """Prints each node and its Ready condition; returns the nodes not Ready."""
    nodes = client.list("v1", "Node", None, None, None)
    items = nodes.get_object().get_array_member("items").get_elements()
    if not items:
        sys.exit("the test bed has no node")
    not_ready = []
    for item in items:
        node = item.get_object()
        name = node.get_object_member("metadata").get_string_member("name")
        ready = "Unknown"
        for condition in node.get_object_member("status").get_array_member("conditions").get_elements():
            c = condition.get_object()
            if c.get_string_member("type") == "Ready":
                ready = c.get_string_member("status")
        print("%s\tReady=%s" % (name, ready), flush=True)
        if ready != "True":
            not_ready.append(name)
    return not_ready


def main():
    kubeconfig = bed_kubeconfig()
    if kubeconfig is None or not os.path.exists(kubeconfig):
        no_bed("no kubeconfig")
    config = Ferry.KubeConfig.new_from_file(kubeconfig, None)
    client = Ferry.KubeClient.new(config)
    try:
        client.get_api_versions(None)
    except GLib.Error as e:
        no_bed("the API server does not answer: " + e.message)
    # a node whose status lapsed (the bed test restarts the API server just
    # before) is Ready again within the kubelet's next status updates
    deadline = time.monotonic() + 120
    while True:
        not_ready = list_nodes(client)
        if not not_ready:
            break
        if time.monotonic() > deadline:
            sys.exit("node %s is not Ready after 120 s" % ", ".join(not_ready))
        time.sleep(5)
    # an error crosses GI as a GLib.Error in the Ferry domain
    try:
        client.get("v1", "Node", None, "no-such-node", None)
        sys.exit("getting a missing node did not fail")
    except GLib.Error as e:
        if e.domain != "ferry-error-quark" or "no-such-node" not in e.message:
            sys.exit("unexpected error: %s %s" % (e.domain, e.message))


if __name__ == "__main__":
    main()
