package main

// Values as Helm computes them for an install or upgrade: the user's values (files, then --set-json, --set,
// --set-string, --set-file) merged; subcharts enabled or not by their conditions and tags; import-values; then the
// chart tree's defaults coalesced under them (a null removes a key, globals flow down); then each chart's
// values.schema.json checked.

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/Masterminds/semver"
	"github.com/mitchellh/copystructure"
	"github.com/xeipuuv/gojsonschema"
)

const globalKey = "global"

// userValues is what the user gave, in Helm's precedence order.
type userValues struct {
	Files     []namedText `json:"files"`
	SetJSON   []string    `json:"setJson"`
	Set       []string    `json:"set"`
	SetString []string    `json:"setString"`
	SetFile   []string    `json:"setFile"`
	readFile  func(path string) (string, error)
}

type namedText struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// mergeUserValues is the values the user supplied, merged (the release's "config").
func mergeUserValues(u userValues) (map[string]any, error) {
	base := map[string]any{}
	for _, f := range u.Files {
		current := map[string]any{}
		if err := unmarshalYAML([]byte(f.Text), &current); err != nil {
			return nil, fmt.Errorf("failed to parse %s: %w", f.Name, err)
		}
		if current == nil {
			current = map[string]any{}
		}
		base = mergeMaps(base, current)
	}
	for _, v := range u.SetJSON {
		if err := parseSetJSON(v, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set-json data %s", v)
		}
	}
	for _, v := range u.Set {
		if err := parseSet(v, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set data: %w", err)
		}
	}
	for _, v := range u.SetString {
		if err := parseSetString(v, base); err != nil {
			return nil, fmt.Errorf("failed parsing --set-string data: %w", err)
		}
	}
	for _, v := range u.SetFile {
		reader := func(rs []rune) (any, error) {
			if u.readFile == nil {
				return nil, fmt.Errorf("open %s: no such file or directory", string(rs))
			}
			return u.readFile(string(rs))
		}
		if err := parseSetFile(v, base, reader); err != nil {
			return nil, fmt.Errorf("failed parsing --set-file data: %w", err)
		}
	}
	return base, nil
}

func mergeMaps(a, b map[string]any) map[string]any {
	out := make(map[string]any, len(a))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		if v, ok := v.(map[string]any); ok {
			if bv, ok := out[k]; ok {
				if bv, ok := bv.(map[string]any); ok {
					out[k] = mergeMaps(bv, v)
					continue
				}
			}
		}
		out[k] = v
	}
	return out
}

// chart is one chart of the tree with its values read.
type chart struct {
	meta     *Metadata
	values   map[string]any
	schema   []byte
	node     *chartNode
	children []*chart
	parent   *chart
}

func (c *chart) name() string { return c.meta.Name }

// fullPath is how Helm names the chart's place: "web", "web/charts/db".
func (c *chart) fullPath() string {
	if c.parent == nil {
		return c.name()
	}
	return c.parent.fullPath() + "/charts/" + c.name()
}

func istable(v any) bool {
	_, ok := v.(map[string]any)
	return ok
}

func deepCopy(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	c, err := copystructure.Copy(m)
	if err != nil || c == nil {
		return map[string]any{}
	}
	return c.(map[string]any)
}

// coalesceValues: the chart tree's defaults under v (v wins), each subchart's under v[subchart].
func coalesceValues(c *chart, v map[string]any, merge bool) (map[string]any, error) {
	return coalesce(c, deepCopy(v), "", merge)
}

func coalesce(c *chart, dest map[string]any, prefix string, merge bool) (map[string]any, error) {
	coalesceChartValues(c, dest, prefix, merge)
	return coalesceDeps(c, dest, prefix, merge)
}

func coalesceDeps(c *chart, dest map[string]any, prefix string, merge bool) (map[string]any, error) {
	for _, sub := range c.children {
		if cv, ok := dest[sub.name()]; !ok {
			dest[sub.name()] = map[string]any{}
		} else if !istable(cv) {
			return dest, fmt.Errorf("type mismatch on %s: %t", sub.name(), cv)
		}
		dvmap := dest[sub.name()].(map[string]any)
		subPrefix := concatPrefix(prefix, c.name())
		coalesceGlobals(dvmap, dest, subPrefix)
		out, err := coalesce(sub, dvmap, subPrefix, merge)
		if err != nil {
			return dest, err
		}
		dest[sub.name()] = out
	}
	return dest, nil
}

// coalesceGlobals copies the globals of src into dest's, dest's winning.
func coalesceGlobals(dest, src map[string]any, prefix string) {
	var dg, sg map[string]any
	if g, ok := dest[globalKey]; !ok {
		dg = map[string]any{}
	} else if dg, ok = g.(map[string]any); !ok {
		return
	}
	if g, ok := src[globalKey]; !ok {
		sg = map[string]any{}
	} else if sg, ok = g.(map[string]any); !ok {
		return
	}
	for key, val := range sg {
		if istable(val) {
			vv := deepCopy(val.(map[string]any))
			if destv, ok := dg[key]; !ok {
				dg[key] = vv
			} else if destvmap, ok := destv.(map[string]any); ok {
				coalesceTables(vv, destvmap, concatPrefix(prefix, key), true)
				dg[key] = vv
			}
		} else if dv, ok := dg[key]; ok && istable(dv) {
			continue
		} else {
			dg[key] = val
		}
	}
	dest[globalKey] = dg
}

// coalesceChartValues puts the chart's defaults under v; a null in v removes the key (unless merging).
func coalesceChartValues(c *chart, v map[string]any, prefix string, merge bool) {
	subPrefix := concatPrefix(prefix, c.name())
	for key, val := range deepCopy(c.values) {
		if value, ok := v[key]; ok {
			if value == nil && !merge {
				delete(v, key)
			} else if dest, ok := value.(map[string]any); ok {
				if src, ok := val.(map[string]any); ok {
					coalesceTables(dest, src, concatPrefix(subPrefix, key), merge)
				}
			}
		} else {
			v[key] = val
		}
	}
}

// coalesceTables merges src under dst (dst wins).
func coalesceTables(dst, src map[string]any, prefix string, merge bool) map[string]any {
	if src == nil {
		return dst
	}
	if dst == nil {
		return src
	}
	for key, val := range src {
		fullkey := concatPrefix(prefix, key)
		if dv, ok := dst[key]; ok && !merge && dv == nil {
			delete(dst, key)
		} else if !ok {
			dst[key] = val
		} else if istable(val) && istable(dv) {
			coalesceTables(dv.(map[string]any), val.(map[string]any), fullkey, merge)
		}
	}
	return dst
}

func concatPrefix(a, b string) string {
	if a == "" {
		return b
	}
	return a + "." + b
}

// pathValue is the value at a dotted path, if it is there and is not a table.
func pathValue(v map[string]any, path string) (any, bool) {
	parts := strings.Split(path, ".")
	cur := v
	for i, p := range parts {
		val, ok := cur[p]
		if !ok {
			return nil, false
		}
		if i == len(parts)-1 {
			if istable(val) {
				return nil, false
			}
			return val, true
		}
		if cur, ok = val.(map[string]any); !ok {
			return nil, false
		}
	}
	return nil, false
}

// table is the table at a dotted path.
func table(v map[string]any, path string) (map[string]any, bool) {
	cur := v
	for _, p := range strings.Split(path, ".") {
		next, ok := cur[p].(map[string]any)
		if !ok {
			return nil, false
		}
		cur = next
	}
	return cur, true
}

// compatible says whether a chart version satisfies a dependency's version range (none given: any).
func compatible(constraint, version string) bool {
	if constraint == "" {
		return true
	}
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return false
	}
	v, err := semver.NewVersion(version)
	if err != nil {
		return false
	}
	return c.Check(v)
}

// processDependencies drops the subcharts whose condition or tags turn them off (aliases applied), then imports
// values from the children that export them.
func processDependencies(c *chart, v map[string]any, warn func(string)) error {
	if err := processEnabled(c, v, "", warn); err != nil {
		return err
	}
	return processImportValues(c, warn)
}

func processEnabled(c *chart, v map[string]any, path string, warn func(string)) error {
	if c.meta.Dependencies == nil {
		return nil
	}
	var kept []*chart
	// Charts under charts/ that Chart.yaml does not list are always there.
loop:
	for _, existing := range c.children {
		for _, req := range c.meta.Dependencies {
			if existing.name() == req.Name && compatible(req.Version, existing.meta.Version) {
				continue loop
			}
		}
		kept = append(kept, existing)
	}
	for _, req := range c.meta.Dependencies {
		if req == nil {
			continue
		}
		if dep := aliasDependency(c.children, req); dep != nil {
			kept = append(kept, dep)
		}
		if req.Alias != "" {
			req.Name = req.Alias
		}
	}
	c.children = kept
	for _, req := range c.meta.Dependencies {
		req.Enabled = true
	}
	cvals, err := coalesceValues(c, v, false)
	if err != nil {
		return err
	}
	processTags(c.meta.Dependencies, cvals, warn)
	processConditions(c.meta.Dependencies, cvals, path, warn)
	off := map[string]bool{}
	for _, req := range c.meta.Dependencies {
		if !req.Enabled {
			off[req.Name] = true
		}
	}
	var enabled []*chart
	for _, ch := range c.children {
		if !off[ch.name()] {
			enabled = append(enabled, ch)
		}
	}
	var deps []*dependency
	for _, req := range c.meta.Dependencies {
		if !off[req.Name] {
			deps = append(deps, req)
		}
	}
	for _, ch := range enabled {
		if err := processEnabled(ch, cvals, path+ch.name()+".", warn); err != nil {
			return err
		}
	}
	c.meta.Dependencies = deps
	c.children = enabled
	return nil
}

// aliasDependency is the subchart a dependency names: a copy of its tree, named by its alias if it has one (one
// chart may be listed under several aliases).
func aliasDependency(children []*chart, dep *dependency) *chart {
	for _, ch := range children {
		if ch.name() != dep.Name || !compatible(dep.Version, ch.meta.Version) {
			continue
		}
		out := cloneTree(ch, ch.parent)
		if dep.Alias != "" {
			out.meta.Name = dep.Alias
		}
		return out
	}
	return nil
}

// cloneTree copies a chart's tree (metadata included, so aliases and pruning stay its own).
func cloneTree(c *chart, parent *chart) *chart {
	out := *c
	md := *c.meta
	if c.meta.Dependencies != nil {
		md.Dependencies = make([]*dependency, len(c.meta.Dependencies))
		for i, d := range c.meta.Dependencies {
			dd := *d
			md.Dependencies[i] = &dd
		}
	}
	out.meta = &md
	out.parent = parent
	out.children = make([]*chart, len(c.children))
	for i, ch := range c.children {
		out.children[i] = cloneTree(ch, &out)
	}
	return &out
}

func processConditions(reqs []*dependency, cvals map[string]any, path string, warn func(string)) {
	for _, r := range reqs {
		for _, c := range strings.Split(strings.TrimSpace(r.Condition), ",") {
			if c == "" {
				continue
			}
			if vv, ok := pathValue(cvals, path+c); ok {
				if bv, ok := vv.(bool); ok {
					r.Enabled = bv
					break
				}
				warn(fmt.Sprintf("Condition path '%s' for chart %s returned non-bool value", c, r.Name))
			}
		}
	}
}

func processTags(reqs []*dependency, cvals map[string]any, warn func(string)) {
	tags, ok := table(cvals, "tags")
	if !ok {
		return
	}
	for _, r := range reqs {
		var hasTrue, hasFalse bool
		for _, k := range r.Tags {
			if b, ok := tags[k]; ok {
				if bv, ok := b.(bool); ok {
					if bv {
						hasTrue = true
					} else {
						hasFalse = true
					}
				} else {
					warn(fmt.Sprintf("Tag '%s' for chart %s returned non-bool value", k, r.Name))
				}
			}
		}
		if !hasTrue && hasFalse {
			r.Enabled = false
		} else if hasTrue || !hasTrue && !hasFalse {
			r.Enabled = true
		}
	}
}

// processImportValues, children first: each dependency's import-values copied into its parent's values, under them
// (the parent's own values win).
func processImportValues(c *chart, warn func(string)) error {
	for _, ch := range c.children {
		if err := processImportValues(ch, warn); err != nil {
			return err
		}
	}
	if c.meta.Dependencies == nil {
		return nil
	}
	cvals, err := coalesceValues(c, nil, true)
	if err != nil {
		return err
	}
	b := map[string]any{}
	for _, r := range c.meta.Dependencies {
		var out []any
		for _, riv := range r.ImportValues {
			switch iv := riv.(type) {
			case map[string]any:
				child, _ := iv["child"].(string)
				parent, _ := iv["parent"].(string)
				out = append(out, map[string]any{"child": child, "parent": parent})
				vv, ok := table(cvals, r.Name+"."+child)
				if !ok {
					warn(fmt.Sprintf("ImportValues missing table from chart %s: %s", r.Name, child))
					continue
				}
				b = mergeTables(b, pathToMap(parent, deepCopy(vv)))
			case string:
				child := "exports." + iv
				out = append(out, map[string]any{"child": child, "parent": "."})
				vm, ok := table(cvals, r.Name+"."+child)
				if !ok {
					warn(fmt.Sprintf("ImportValues missing table: %s", child))
					continue
				}
				b = mergeTables(b, deepCopy(vm))
			}
		}
		r.ImportValues = out
	}
	c.values = mergeTables(deepCopy(cvals), b)
	return nil
}

// mergeTables merges src under dst, keeping nulls (dst wins).
func mergeTables(dst, src map[string]any) map[string]any {
	return coalesceTables(dst, src, "", true)
}

// pathToMap nests data under a dotted path ("." is the top).
func pathToMap(path string, data map[string]any) map[string]any {
	if path == "." {
		return data
	}
	parts := strings.Split(path, ".")
	out := map[string]any{}
	cur := out
	for i, p := range parts {
		if i == len(parts)-1 {
			cur[p] = data
			break
		}
		next := map[string]any{}
		cur[p] = next
		cur = next
	}
	return out
}

// validateSchemas checks each chart's values against its values.schema.json, as Helm words the failures.
func validateSchemas(c *chart, values map[string]any) error {
	var sb strings.Builder
	if len(c.schema) > 0 {
		if err := validateSchema(values, c.schema); err != nil {
			sb.WriteString(c.name() + ":\n")
			sb.WriteString(err.Error())
		}
	}
	for _, sub := range c.children {
		sv, _ := values[sub.name()].(map[string]any)
		if err := validateSchemas(sub, sv); err != nil {
			sb.WriteString(err.Error())
		}
	}
	if sb.Len() > 0 {
		return errors.New(sb.String())
	}
	return nil
}

func validateSchema(values map[string]any, schema []byte) (reterr error) {
	defer func() {
		if r := recover(); r != nil {
			reterr = fmt.Errorf("unable to validate schema: %s", r)
		}
	}()
	y, err := marshalYAML(values)
	if err != nil {
		return err
	}
	j, err := yamlToJSON(y)
	if err != nil {
		return err
	}
	if bytes.Equal(j, []byte("null")) {
		j = []byte("{}")
	}
	result, err := gojsonschema.Validate(gojsonschema.NewBytesLoader(schema), gojsonschema.NewBytesLoader(j))
	if err != nil {
		return err
	}
	if !result.Valid() {
		var sb strings.Builder
		for _, desc := range result.Errors() {
			sb.WriteString(fmt.Sprintf("- %s\n", desc))
		}
		return errors.New(sb.String())
	}
	return nil
}
