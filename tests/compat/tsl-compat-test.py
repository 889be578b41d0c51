#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Ferry's query language against kubectl-mtv's (TSL): every query of
tests/compat/tsl-queries.txt runs over the same VM documents (the vCenter
simulator's inventory as Ferry loads it, and the OVFs of
../shared/testdata/ovf) through `ferry inventory vms PROVIDER -q` and through
the TSL harness (tests/compat/tsl-harness, built from Go modules by
scripts/compat-peers). The rows must be identical (in order where the query
has ORDER BY), or the difference must be one of the deliberate ones listed in
docs/query-language.md (DELIBERATE below, each with its reason). Prints the
agreement figure: N of M queries identical."""

import json
import math
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import compat_common as common  # noqa: E402

QUERIES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tsl-queries.txt")

# Deliberate differences (docs/query-language.md, "Compared with kubectl-mtv"):
# a query of these forms may give other rows than kubectl-mtv.
DELIBERATE = {
    # kubectl-mtv compares the elements of an array one by one and the
    # result is an array, never true: such a query selects nothing there.
    # Ferry holds the comparison when some element matches.
    "iterating-comparison": "a comparison on an iterating path, outside any()/all()/sum()/len()",
    # kubectl-mtv fails the whole query when an operand has the wrong type
    # (a missing field in arithmetic, `not` of a number, < between a
    # string and a number); Ferry makes that operand null and goes on.
    "type-error": "kubectl-mtv rejects the query (a type error on some document)",
    # `!=`, `<>` and `not in` with a missing field: kubectl-mtv keeps the
    # document, Ferry leaves it out (null compares as false, as in SQL).
    "null-not-equal": "a not-equal comparison with a missing (null) field",
    # `name`: Ferry quotes a field name that is not an identifier
    # (OpenStack's `OS-EXT-STS:vm_state`); TSL reads a string.
    "backtick": "a backtick-quoted name (a field in Ferry, a string in TSL)",
    # '\d': Ferry keeps a backslash that escapes nothing, for regular
    # expressions; TSL drops it ('\d' is 'd').
    "backslash": "a backslash in a string literal",
    # = and != with a date literal: Ferry compares points in time only (a
    # value that is no date is null); TSL falls back to comparing strings.
    "date-equality": "= or != with a date literal and a value that is no date",
    # an operator on a whole array field (`disks is not null`): TSL applies
    # it element by element and the result, an array, is never true.
    "array-operand": "an operator on a field that holds an array",
    # a selected iterating path over no elements: Ferry gives [], kubectl-mtv
    # null (Go's empty slice)
    "empty-iteration": "a selected iterating path over no elements",
}


def load_queries():
    with open(QUERIES) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith("#")]


def normal(value):
    """Values compared across the two: numbers as numbers (Ferry keeps
    integers, TSL floats), arrays and objects member by member."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return round(value, 6) if isinstance(value, float) else value
    if isinstance(value, list):
        return [normal(v) for v in value]
    if isinstance(value, dict):
        return {k: normal(v) for k, v in value.items()}
    return value


def has_order(query):
    return re.search(r"(?i)\b(order|sort) by ", query) is not None


def has_select(query):
    return re.match(r"(?i)\s*select ", query) is not None


def select_names(query):
    """The column names Ferry gives a SELECT row: the alias, else the text."""
    m = re.match(r"(?i)\s*select (.*?)(?: where | order by | sort by | limit |$)", query)
    names = []
    for item in m.group(1).split(","):
        item = item.strip()
        a = re.match(r"(?i)(.*?)\s+as\s+(.+)$", item)
        names.append(a.group(2).strip() if a else item)
    return names


def ferry_rows(inventory, provider, query):
    rows, error = inventory.vms(provider, query)
    if rows is None:
        return None, error
    if not has_select(query):
        return [r.get("id") for r in rows], None
    names = select_names(query)
    return [{n: r.get(n) for n in names} for r in rows], None


def same(query, ours, theirs):
    ours, theirs = normal(ours), normal(theirs)
    if has_order(query):
        return ours == theirs
    key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
    return sorted(ours, key=key) == sorted(theirs, key=key)


def describe(query, ours, our_error, result):
    """The first difference: an error, or the first row that differs."""
    if ours is None or "error" in result:
        return "    ferry: %s\n    kubectl-mtv: %s" % (
            our_error if ours is None else "%d rows" % len(ours),
            result.get("error") or "%d rows" % len(result["rows"]))
    a, b = normal(ours), normal(result["rows"])
    if not has_order(query):
        key = lambda r: json.dumps(r, sort_keys=True)  # noqa: E731
        a, b = sorted(a, key=key), sorted(b, key=key)
    i = next((i for i in range(min(len(a), len(b))) if a[i] != b[i]), min(len(a), len(b)))
    show = lambda rows: json.dumps(rows[i]) if i < len(rows) else "(none)"  # noqa: E731
    return "    %d rows from ferry, %d from kubectl-mtv; row %d: ferry %s, kubectl-mtv %s" % (
        len(a), len(b), i, show(a)[:200], show(b)[:200])


def classify(query, docs, harness, tmp):
    """Why a query differs: one of DELIBERATE's keys, or None."""
    where = re.split(r"(?i)\b(?:order|sort) by |\blimit ", query)[0]
    if "`" in where:
        return "backtick"
    if "\\" in where:
        return "backslash"
    if re.search(r"(=|!=|<>)\s*'\d{4}-\d\d-\d\d", where):
        return "date-equality"
    # a type error on one document fails the whole query in kubectl-mtv
    if theirs_error(query, docs, harness, tmp):
        return "type-error"
    if re.search(r"(!=|<>|\bnot in\b|~!|\bnot like\b)", where, re.I):
        return "null-not-equal"
    if has_select(query) and "[*]" in select_names(query).__str__():
        return "empty-iteration"
    outside = re.sub(r"(?i)\b(any|all|sum|len)\s*\([^)]*\)", "", where)
    if "[*]" in outside or re.search(r"\b(disks|nics|concerns|networks)\.\w", outside):
        return "iterating-comparison"
    if re.search(r"(?<![.\w(])(disks|nics|concerns|networks)\s+(is|=|!=|in)\b", outside):
        return "array-operand"
    return None


def theirs_error(query, docs, harness, tmp):
    return "error" in run_harness(harness, docs, [query], tmp)[0]


def run_harness(harness, docs, queries, tmp):
    docs_path = os.path.join(tmp, "docs.json")
    queries_path = os.path.join(tmp, "queries.json")
    with open(docs_path, "w") as f:
        json.dump(docs, f)
    with open(queries_path, "w") as f:
        json.dump(queries, f)
    out = subprocess.run([harness, docs_path, queries_path], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("the TSL harness failed:\n" + out.stderr)
    return json.loads(out.stdout)


def main():
    common.require_shared("testdata", "ovf")
    harness = common.peer("tsl-harness")
    queries = load_queries()
    if len(queries) < 200:
        sys.exit("only %d queries in %s" % (len(queries), QUERIES))
    ovf = os.path.join(common.SHARED, "testdata", "ovf")
    inventory = common.Inventory([os.path.join(ovf, "virt-v2v"), os.path.join(ovf, "govmomi")])
    tmp = tempfile.mkdtemp(prefix="ferry-tsl-")
    total = identical = 0
    deliberate = {}
    unexplained = []
    try:
        if not inventory.refreshed:
            sys.exit("no provider could be loaded")
        for provider in inventory.refreshed:
            docs, error = inventory.vms(provider)
            if docs is None:
                sys.exit("ferry inventory vms %s: %s" % (provider, error))
            # kubectl-mtv adds the provider's name to each document
            for doc in docs:
                doc.setdefault("provider", provider)
            theirs = run_harness(harness, docs, queries, tmp)
            same_here = 0
            for query, result in zip(queries, theirs):
                total += 1
                ours, our_error = ferry_rows(inventory, provider, query)
                if "error" in result and ours is None:
                    identical += 1
                    same_here += 1
                    continue
                if "error" not in result and ours is not None and same(query, ours,
                                                                      result["rows"]):
                    identical += 1
                    same_here += 1
                    continue
                why = classify(query, docs, harness, tmp)
                detail = "%s: %s\n%s" % (provider, query,
                                          describe(query, ours, our_error, result))
                if why is None:
                    unexplained.append(detail)
                else:
                    deliberate.setdefault(why, []).append(detail)
            print("%s: %d VM documents, %d of %d queries identical" % (
                provider, len(docs), same_here, len(queries)))
    finally:
        inventory.close()
        subprocess.run(["rm", "-rf", tmp])
    for why, details in sorted(deliberate.items()):
        print("\ndeliberate difference, %s (%d):" % (DELIBERATE[why], len(details)))
        for d in details:
            print("  " + d)
    if unexplained:
        print("\nUNEXPLAINED differences (%d):" % len(unexplained))
        for d in unexplained:
            print("  " + d)
    print("\nTSL agreement: %d of %d queries identical (%.1f%%); %d deliberate differences, "
          "%d unexplained" % (identical, total, 100.0 * identical / max(total, 1),
                              sum(len(d) for d in deliberate.values()), len(unexplained)))
    if unexplained:
        sys.exit(1)


if __name__ == "__main__":
    main()
