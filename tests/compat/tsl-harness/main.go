// tsl-harness: the peer of Ferry's query language in the compatibility test
// (tests/compat/tsl-compat-test.py). It applies kubectl-mtv queries to a JSON
// array of inventory documents with the tree-search-language module that
// kubectl-mtv uses (github.com/yaacov/tree-search-language/v6, pinned in
// go.mod), around it the steps kubectl-mtv takes in its pkg/util/query
// (the kubectl-mtv module itself is not served by the Go module proxy here,
// so those steps are written again below, from how it behaves):
//
//   - the query is cut at the first "select ", "where ", "order by " (or
//     "sort by ") and "limit " (case-insensitive);
//   - SELECT items are "[sum|len|any|all](path) [as alias]"; a path gets a
//     leading dot; the alias defaults to the path;
//   - WHERE is parsed by tsl.ParseTSL and evaluated per document by
//     semantics.Walk; an identifier is looked up as a select alias first
//     (with its reducer), else as a path; a missing field is nil;
//   - a path is split at dots outside brackets; "a[*]" iterates, "a[2]"
//     indexes, "a['k']" looks up a key; a dot after an array iterates it;
//     results of iterations are flattened and their nils dropped; a key is
//     matched exactly, then ignoring case, then with "_" read as a space;
//   - ORDER BY sorts stably by each key (looked up as in WHERE): strings that
//     read as numbers become numbers, nil sorts first, same-type strings and
//     numbers compare naturally, anything else by its printed form;
//   - LIMIT n keeps the first n.
//
// Usage: tsl-harness DOCS.json QUERIES.json
// Prints a JSON array, one entry per query: {"rows": [...]} or {"error": "..."};
// a row is the document's "id", or for a SELECT the object alias -> value.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/yaacov/tree-search-language/v6/pkg/tsl"
	"github.com/yaacov/tree-search-language/v6/pkg/walkers/semantics"
)

type column struct {
	path    string
	alias   string
	reducer string
}

type order struct {
	key        string
	descending bool
}

type parsed struct {
	columns []column
	where   string
	orders  []order
	limit   int
}

var (
	columnPattern = regexp.MustCompile(`(?i)^(?:(sum|len|any|all)\s*\(?\s*([^)\s]+)\s*\)?|(.+?))\s*(?:as\s+(.+))?$`)
	limitPattern  = regexp.MustCompile(`(?i)limit\s+(\d+)`)
	starPattern   = regexp.MustCompile(`^(.*)\[\*\]$`)
	indexPattern  = regexp.MustCompile(`^(.*)\[(\d+)\]$`)
	keyPattern    = regexp.MustCompile(`^(.*)\[([^\]]+)\]$`)
)

func dotted(path string) string {
	if strings.HasPrefix(path, ".") || strings.HasPrefix(path, "{") {
		return path
	}
	return "." + path
}

// clauseEnd: where a clause that starts at start ends (the first later
// clause, in the order kubectl-mtv looks for them)
func clauseEnd(length, start int, later ...int) int {
	for _, at := range later {
		if at > start {
			return at
		}
	}
	return length
}

func parseQuery(query string) (*parsed, error) {
	p := &parsed{limit: -1}
	lower := strings.ToLower(query)
	sel := strings.Index(lower, "select ")
	where := strings.Index(lower, "where ")
	lim := strings.Index(lower, "limit ")
	ord := strings.Index(lower, "order by ")
	if ord < 0 {
		ord = strings.Index(lower, "sort by ")
	}
	if sel >= 0 {
		text := query[sel+7 : clauseEnd(len(query), sel, where, ord, lim)]
		for _, item := range strings.Split(strings.TrimSpace(text), ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			m := columnPattern.FindStringSubmatch(item)
			if m == nil {
				continue
			}
			c := column{reducer: strings.ToLower(m[1]), path: m[2], alias: m[4]}
			if c.path == "" {
				c.path = m[3]
			}
			if c.alias == "" {
				c.alias = c.path
			}
			c.path = dotted(c.path)
			p.columns = append(p.columns, c)
		}
	}
	if where >= 0 {
		p.where = strings.TrimSpace(query[where+6 : clauseEnd(len(query), where, ord, lim)])
	}
	if ord >= 0 {
		text := query[ord+8 : clauseEnd(len(query), ord, lim)]
		for _, item := range strings.Split(strings.TrimSpace(text), ",") {
			words := strings.Fields(item)
			if len(words) == 0 {
				continue
			}
			o := order{}
			switch strings.ToLower(words[len(words)-1]) {
			case "desc":
				o.descending = true
				words = words[:len(words)-1]
			case "asc":
				words = words[:len(words)-1]
			}
			name := dotted(strings.Join(words, " "))
			o.key = strings.TrimPrefix(name, ".")
			for _, c := range p.columns {
				if c.path == name || c.alias == o.key {
					o.key = c.alias
					break
				}
			}
			p.orders = append(p.orders, o)
		}
	}
	if m := limitPattern.FindStringSubmatch(query); m != nil {
		n, err := strconv.Atoi(m[1])
		if err != nil {
			return nil, fmt.Errorf("invalid limit value: %v", err)
		}
		p.limit = n
	}
	return p, nil
}

func splitPath(path string) []string {
	path = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(path, "{{"), "}}"))
	path = strings.TrimPrefix(path, ".")
	var parts []string
	var part strings.Builder
	bracket := false
	for _, r := range path {
		switch {
		case r == '[':
			bracket = true
		case r == ']':
			bracket = false
		case r == '.' && !bracket:
			parts = append(parts, part.String())
			part.Reset()
			continue
		}
		part.WriteRune(r)
	}
	if part.Len() > 0 {
		parts = append(parts, part.String())
	}
	return parts
}

func member(object map[string]interface{}, key string) (interface{}, bool) {
	if v, ok := object[key]; ok {
		return v, true
	}
	for k, v := range object {
		if strings.EqualFold(k, key) {
			return v, true
		}
	}
	spaced := strings.ReplaceAll(key, "_", " ")
	for k, v := range object {
		if strings.EqualFold(k, spaced) {
			return v, true
		}
	}
	return nil, false
}

// each: the rest of the path on every element, flattened, nils dropped
func each(array []interface{}, rest []string) []interface{} {
	var out []interface{}
	for _, element := range array {
		v, err := lookup(element, rest)
		if err != nil || v == nil {
			continue
		}
		if inner, ok := v.([]interface{}); ok {
			out = append(out, inner...)
		} else {
			out = append(out, v)
		}
	}
	return out
}

func lookup(value interface{}, parts []string) (interface{}, error) {
	if len(parts) == 0 {
		return value, nil
	}
	if value == nil {
		return nil, fmt.Errorf("no %s in null", strings.Join(parts, "."))
	}
	object, ok := value.(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("%s of a value that is not an object", parts[0])
	}
	name, rest := parts[0], parts[1:]
	star, index, key := false, -1, ""
	if m := starPattern.FindStringSubmatch(name); m != nil {
		name, star = m[1], true
	} else if m := indexPattern.FindStringSubmatch(name); m != nil {
		name = m[1]
		index, _ = strconv.Atoi(m[2])
	} else if m := keyPattern.FindStringSubmatch(name); m != nil {
		name, key = m[1], strings.Trim(m[2], `"'`)
	}
	v, found := member(object, name)
	if !found {
		return nil, nil
	}
	if star {
		array, ok := v.([]interface{})
		if !ok {
			return nil, fmt.Errorf("[*] of %s, not an array", name)
		}
		return each(array, rest), nil
	}
	if index >= 0 {
		array, ok := v.([]interface{})
		if !ok {
			return nil, fmt.Errorf("[%d] of %s, not an array", index, name)
		}
		if index >= len(array) {
			return nil, fmt.Errorf("index %d past the end of %s", index, name)
		}
		v = array[index]
	}
	if key != "" {
		inner, ok := v.(map[string]interface{})
		if !ok {
			return nil, fmt.Errorf("[%s] of %s, not an object", key, name)
		}
		if v, found = inner[key]; !found {
			return nil, nil
		}
	}
	if len(rest) == 0 {
		return v, nil
	}
	if array, ok := v.([]interface{}); ok {
		return each(array, rest), nil
	}
	return lookup(v, rest)
}

func reduce(value interface{}, reducer string) interface{} {
	array, ok := value.([]interface{})
	if !ok {
		return value
	}
	switch reducer {
	case "sum":
		total := 0.0
		for _, v := range array {
			if f, ok := v.(float64); ok {
				total += f
			}
		}
		return total
	case "len":
		return len(array)
	case "any":
		for _, v := range array {
			if b, ok := v.(bool); ok && b {
				return true
			}
		}
		return false
	case "all":
		if len(array) == 0 {
			return false
		}
		for _, v := range array {
			if b, ok := v.(bool); !ok || !b {
				return false
			}
		}
		return true
	}
	return value
}

// value: a name looked up as a select alias (with its reducer), else a path
func value(doc map[string]interface{}, name string, columns []column) (interface{}, error) {
	path, reducer := name, ""
	for _, c := range columns {
		if c.alias == name {
			path, reducer = c.path, c.reducer
			break
		}
	}
	v, err := lookup(doc, splitPath(path))
	if err != nil {
		return nil, err
	}
	if reducer != "" {
		return reduce(v, reducer), nil
	}
	return v, nil
}

func numeric(v interface{}) interface{} {
	if s, ok := v.(string); ok {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return int(i)
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f
		}
	}
	return v
}

func compare(a, b interface{}) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y)
		}
	case int:
		if y, ok := b.(int); ok {
			return x - y
		}
	case float64:
		if y, ok := b.(float64); ok {
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		}
	}
	return strings.Compare(fmt.Sprintf("%v", a), fmt.Sprintf("%v", b))
}

func apply(docs []map[string]interface{}, query string) ([]interface{}, error) {
	p, err := parseQuery(query)
	if err != nil {
		return nil, err
	}
	rows := docs
	if p.where != "" {
		tree, err := tsl.ParseTSL(p.where)
		if err != nil {
			return nil, fmt.Errorf("failed to parse where clause: %v", err)
		}
		rows = nil
		for _, doc := range docs {
			doc := doc
			eval := func(name string) (interface{}, bool) {
				v, err := value(doc, name, p.columns)
				if err != nil {
					return nil, true
				}
				return v, true
			}
			result, err := semantics.Walk(tree, eval)
			if err != nil {
				return nil, fmt.Errorf("failed to evaluate where clause: %v", err)
			}
			if match, ok := result.(bool); ok && match {
				rows = append(rows, doc)
			}
		}
	}
	if len(p.orders) > 0 {
		sorted := append([]map[string]interface{}(nil), rows...)
		sort.SliceStable(sorted, func(i, j int) bool {
			for _, o := range p.orders {
				a, err := value(sorted[i], o.key, p.columns)
				if err != nil {
					continue
				}
				b, err := value(sorted[j], o.key, p.columns)
				if err != nil {
					continue
				}
				c := compare(numeric(a), numeric(b))
				if c == 0 {
					continue
				}
				if o.descending {
					return c > 0
				}
				return c < 0
			}
			return false
		})
		rows = sorted
	}
	if p.limit >= 0 && p.limit < len(rows) {
		rows = rows[:p.limit]
	}
	out := make([]interface{}, 0, len(rows))
	for _, doc := range rows {
		if len(p.columns) == 0 {
			out = append(out, doc["id"])
			continue
		}
		row := map[string]interface{}{}
		for _, c := range p.columns {
			v, _ := value(doc, c.alias, p.columns)
			row[c.alias] = v
		}
		out = append(out, row)
	}
	return out, nil
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: tsl-harness DOCS.json QUERIES.json")
		os.Exit(2)
	}
	var docs []map[string]interface{}
	var queries []string
	for i, target := range []interface{}{&docs, &queries} {
		data, err := os.ReadFile(os.Args[i+1])
		if err == nil {
			err = json.Unmarshal(data, target)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "tsl-harness: %s: %v\n", os.Args[i+1], err)
			os.Exit(1)
		}
	}
	results := make([]map[string]interface{}, 0, len(queries))
	for _, q := range queries {
		rows, err := apply(docs, q)
		if err != nil {
			results = append(results, map[string]interface{}{"error": err.Error()})
		} else {
			results = append(results, map[string]interface{}{"rows": rows})
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(results); err != nil {
		fmt.Fprintf(os.Stderr, "tsl-harness: %v\n", err)
		os.Exit(1)
	}
}
