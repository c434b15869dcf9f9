package flow

import (
	"encoding/json"
	"reflect"
)

// Diff is what changed from one flow to another, node by node (by id):
// what a designer reads before publishing or rolling back.
type Diff struct {
	StartChanged    bool     `json:"start_changed"`
	FallbackChanged bool     `json:"fallback_changed"`
	Added           []string `json:"added"`
	Removed         []string `json:"removed"`
	Changed         []Change `json:"changed"`
}

// Change is one node present in both flows, with the fields that differ
// (json names) and both versions of it.
type Change struct {
	Node   string   `json:"node"`
	Fields []string `json:"fields"`
	From   Node     `json:"from"`
	To     Node     `json:"to"`
}

// Compare returns the differences from a to b, in b's node order (then
// a's, for removed nodes).
func Compare(a, b *Flow) Diff {
	d := Diff{
		StartChanged:    a.Start != b.Start,
		FallbackChanged: a.FallbackLimit != b.FallbackLimit || !reflect.DeepEqual(a.Fallback, b.Fallback),
		Added:           []string{}, Removed: []string{}, Changed: []Change{},
	}
	old := map[string]Node{}
	for _, n := range a.Nodes {
		if _, dup := old[n.ID]; !dup {
			old[n.ID] = n
		}
	}
	seen := map[string]bool{}
	for _, n := range b.Nodes {
		if seen[n.ID] {
			continue
		}
		seen[n.ID] = true
		o, ok := old[n.ID]
		if !ok {
			d.Added = append(d.Added, n.ID)
			continue
		}
		if fields := changedFields(o, n); len(fields) > 0 {
			d.Changed = append(d.Changed, Change{Node: n.ID, Fields: fields, From: o, To: n})
		}
	}
	for _, n := range a.Nodes {
		if !seen[n.ID] {
			seen[n.ID] = true
			d.Removed = append(d.Removed, n.ID)
		}
	}
	return d
}

// changedFields names the json fields whose values differ, in the order
// of Node's fields.
func changedFields(a, b Node) []string {
	var out []string
	va, vb := reflect.ValueOf(a), reflect.ValueOf(b)
	t := va.Type()
	for i := range t.NumField() {
		if reflect.DeepEqual(va.Field(i).Interface(), vb.Field(i).Interface()) {
			continue
		}
		name := t.Field(i).Tag.Get("json")
		for j := range len(name) {
			if name[j] == ',' {
				name = name[:j]
				break
			}
		}
		out = append(out, name)
	}
	return out
}

// Document is f as JSON (for storing a parsed flow).
func (f *Flow) Document() json.RawMessage {
	b, _ := json.Marshal(f) // plain fields always encode
	return b
}

// HasNode reports whether the flow has a node with id.
func (f *Flow) HasNode(id string) bool {
	for _, n := range f.Nodes {
		if n.ID == id {
			return true
		}
	}
	return false
}
