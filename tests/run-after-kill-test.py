#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`ferry run` after a process was killed between the engine's last step
and the status written into the resources: the plan of real OVAs
(scripts/make-sample-ova) into a KubeVirt bundle runs to Succeeded, then the
store is put back as a kill at that moment leaves it, and `ferry run` must
write the status the engine already has:

- killed before the Migration's status was written: the Migration has no
  `completed` and the Plan still says Executing;
- killed after the Migration's status and before the Plan's: the Migration
  is complete, the Plan still says Executing.

In both, after `ferry run` the Plan says Succeeded (not Executing) and the
Migration has `completed`. (The fault matrix found this with a SIGKILL at a
random moment; this test makes the moment certain.)
"""

import glob
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile

FERRY = os.environ["FERRY_BIN"]
SOURCE_ROOT = os.environ["FERRY_SOURCE_ROOT"]


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


class State:
    def __init__(self, work):
        self.dir = os.path.join(work, "state")
        self.env = dict(os.environ, FERRY_NO_TTY="1")

    def ferry(self, *args, check=True):
        r = subprocess.run([FERRY, "--state", self.dir, "-n", "demo", *args], capture_output=True, text=True,
                           env=self.env, timeout=300)
        if check and r.returncode != 0:
            fail("ferry %s failed (%d):\n%s%s" % (" ".join(args), r.returncode, r.stdout,
                                                   r.stderr))
        return r

    def get(self, kind, name=None):
        args = ["get", kind] + ([name] if name else []) + ["-o", "json"]
        out = json.loads(self.ferry(*args).stdout)
        return out.get("items", [out]) if name is None else out

    def edit(self, kind, name, change):
        """rewrites a resource's stored document as a killed process left it"""
        db = sqlite3.connect(os.path.join(self.dir, "ferry.db"))
        with db:
            row = db.execute("SELECT uid, document FROM resources WHERE kind = ? AND name = ?",
                             (kind, name)).fetchone()
            if row is None:
                fail("no %s %s in the store" % (kind, name))
            document = json.loads(row[1])
            change(document)
            db.execute("UPDATE resources SET document = ? WHERE uid = ?",
                       (json.dumps(document), row[0]))
        db.close()


def executing_again(plan):
    plan["status"]["conditions"] = [c for c in plan["status"].get("conditions", [])
                                    if c["type"] not in ("Succeeded", "Failed", "Canceled")]
    plan["status"]["conditions"].append({"type": "Executing", "status": "True",
                                         "category": "Advisory", "reason": "Started",
                                         "message": "The plan is EXECUTING."})


def not_completed(migration):
    migration.get("status", {}).pop("completed", None)


def conditions(resource):
    return {c["type"] for c in resource.get("status", {}).get("conditions", [])
            if c.get("status") == "True"}


def main():
    work = tempfile.mkdtemp(prefix="ferry-run-after-kill-")
    try:
        ova_dir = os.path.join(work, "ova")
        bundle = os.path.join(work, "bundle")
        manifests = os.path.join(work, "manifests")
        os.mkdir(manifests)
        subprocess.run([os.path.join(SOURCE_ROOT, "scripts", "make-sample-ova"), ova_dir,
                        "web", "db"], check=True, capture_output=True)
        for path in glob.glob(os.path.join(SOURCE_ROOT, "examples", "ova", "*.yaml")):
            text = open(path).read()
            text = text.replace("/var/tmp/ferry-example/ova", ova_dir)
            text = text.replace("/var/tmp/ferry-example/bundle", bundle)
            with open(os.path.join(manifests, os.path.basename(path)), "w") as f:
                f.write(text)
        state = State(work)
        state.ferry("apply", "-f", manifests)
        plans = state.get("plan")
        if len(plans) != 1:
            fail("the example should hold one plan: %s" % [p["metadata"]["name"] for p in plans])
        plan_name = plans[0]["metadata"]["name"]
        for case, damage in (("before the Migration's status", (executing_again, not_completed)),
                             ("between the Migration's and the Plan's status",
                              (executing_again, None))):
            out = state.ferry("plan", "start", plan_name).stdout
            if "Succeeded" not in out:
                fail("the plan did not succeed:\n" + out)
            migrations = sorted(state.get("migration"),
                                key=lambda m: m["metadata"].get("creationTimestamp", ""))
            latest = [m for m in migrations if "completed" in m.get("status", {})]
            migration_name = latest[-1]["metadata"]["name"]
            state.edit("Plan", plan_name, damage[0])
            if damage[1] is not None:
                state.edit("Migration", migration_name, damage[1])
            if "Executing" not in conditions(state.get("plan", plan_name)):
                fail("the store edit did not take")
            state.ferry("run")
            plan = state.get("plan", plan_name)
            migration = state.get("migration", migration_name)
            if "Succeeded" not in conditions(plan) or "Executing" in conditions(plan):
                fail("killed %s: after ferry run Plan/%s says %s, not Succeeded" % (
                    case, plan_name, sorted(conditions(plan))))
            if "completed" not in migration.get("status", {}):
                fail("killed %s: after ferry run Migration/%s is not completed: %s" % (
                    case, migration_name, migration.get("status")))
            print("killed %s: ferry run wrote Succeeded into Plan/%s and completed into "
                  "Migration/%s" % (case, plan_name, migration_name))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("PASS")


if __name__ == "__main__":
    main()
