package main

import (
	"encoding/base64"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"text/template"
)

// What the caller (libs/helm-engine/src/renderer.ts) loaded: the chart tree as read from disk, and what the user
// gave for values. Values are worked out here, in Go, so they keep Helm's types (a values file's numbers are
// float64, --set's integers int64).
type renderRequest struct {
	Chart        chartNode        `json:"chart"`
	Values       userValues       `json:"values"`
	Release      map[string]any   `json:"release"`
	Capabilities capabilitiesJSON `json:"capabilities"`
	// Strict: a missing value is an error, and "<no value>" is left in the output (helm template --strict).
	Strict bool `json:"strict"`
}

type chartNode struct {
	Metadata Metadata `json:"metadata"`
	// values.yaml's text.
	Values string `json:"values"`
	// values.schema.json's text.
	Schema string `json:"schema"`
	// By path in the chart ("templates/x.yaml", "crds/a.yaml", "config/app.conf"); data base64.
	Templates    []chartFile `json:"templates"`
	Files        []chartFile `json:"files"`
	Dependencies []chartNode `json:"dependencies"`
}

type chartFile struct {
	Name string `json:"name"`
	Data string `json:"data"`
}

type capabilitiesJSON struct {
	APIVersions []string `json:"apiVersions"`
	KubeVersion string   `json:"kubeVersion"` // v1.32.0
	HelmVersion string   `json:"helmVersion"`
}

type renderResult struct {
	// Every rendered template by name ("web/templates/deployment.yaml"), NOTES.txt files included.
	Manifests map[string]string `json:"manifests"`
	// The CRDs of the enabled charts (crds/ files, by name "web/charts/db/crds/a.yaml").
	CRDs []namedText `json:"crds"`
	// The user's values, merged (a release's config).
	Config map[string]any `json:"config"`
	// The values the root chart's templates saw.
	Values   map[string]any `json:"values"`
	Warnings []string       `json:"warnings"`
}

type lookupFunc func(apiVersion, kind, namespace, name string) (string, error)

// Nested includes deeper than this fail, as Helm's engine refuses them.
const recursionMax = 1000

// The message of `required` and `fail`, marked so the render error shows it alone with its place.
var warnRegex = regexp.MustCompile(`HELM\[(.*)\]HELM`)

func warnWrap(warn string) string { return "HELM[" + warn + "]HELM" }

// renderable is one template with the scope it runs in.
type renderable struct {
	data     string
	vals     map[string]any
	basePath string
}

func render(req renderRequest, lookup lookupFunc) (*renderResult, error) {
	root, err := buildTree(&req.Chart, nil)
	if err != nil {
		return nil, err
	}
	if root.meta.Type != "" && root.meta.Type != "application" {
		return nil, fmt.Errorf("%s charts are not installable", root.meta.Type)
	}
	result := &renderResult{Warnings: []string{}, CRDs: []namedText{}}
	warn := func(w string) { result.Warnings = append(result.Warnings, w) }
	config, err := mergeUserValues(req.Values)
	if err != nil {
		return nil, err
	}
	if err := processDependencies(root, config, warn); err != nil {
		return nil, err
	}
	vals, err := coalesceValues(root, config, false)
	if err != nil {
		return nil, err
	}
	if err := validateSchemas(root, vals); err != nil {
		return nil, fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s", err.Error())
	}
	result.Config, result.Values = config, vals

	top := map[string]any{
		"Release":      req.Release,
		"Capabilities": newCapabilities(req.Capabilities),
		"Values":       vals,
	}
	templates := map[string]renderable{}
	if _, err := allTemplates(root, templates, top, &result.CRDs); err != nil {
		return nil, err
	}
	result.Manifests, err = execute(templates, req.Strict, lookup)
	if err != nil {
		return nil, err
	}
	return result, nil
}

// buildTree reads each chart's values and schema.
func buildTree(n *chartNode, parent *chart) (*chart, error) {
	meta := n.Metadata
	c := &chart{meta: &meta, values: map[string]any{}, schema: []byte(n.Schema), node: n, parent: parent}
	if err := unmarshalYAML([]byte(n.Values), &c.values); err != nil {
		return nil, fmt.Errorf("cannot load values.yaml of %s: %w", meta.Name, err)
	}
	if c.values == nil {
		c.values = map[string]any{}
	}
	for i := range n.Dependencies {
		child, err := buildTree(&n.Dependencies[i], c)
		if err != nil {
			return nil, err
		}
		c.children = append(c.children, child)
	}
	return c, nil
}

// chartInfo is `.Chart`: the metadata and whether it is the chart being installed.
type chartInfo struct {
	Metadata
	IsRoot bool
}

// allTemplates gives every template of the enabled tree its chart's scope: a subchart sees its part of its
// parent's values. A library chart gives only its partials.
func allTemplates(c *chart, out map[string]renderable, parent map[string]any, crds *[]namedText) (map[string]any, error) {
	files := files{}
	for _, f := range c.node.Files {
		data, err := base64.StdEncoding.DecodeString(f.Data)
		if err != nil {
			return nil, fmt.Errorf("chart %s: file %s is not base64: %w", c.name(), f.Name, err)
		}
		files[f.Name] = data
		if strings.HasPrefix(f.Name, "crds/") {
			*crds = append(*crds, namedText{Name: path.Join(c.fullPath(), f.Name), Text: string(data)})
		}
	}
	next := map[string]any{
		"Chart":        &chartInfo{Metadata: *c.meta, IsRoot: c.parent == nil},
		"Files":        files,
		"Release":      parent["Release"],
		"Capabilities": parent["Capabilities"],
		"Values":       map[string]any{},
		"Subcharts":    map[string]any{},
	}
	if c.parent == nil {
		next["Values"] = parent["Values"]
	} else if pv, ok := parent["Values"].(map[string]any); ok {
		if vs, ok := pv[c.name()].(map[string]any); ok {
			next["Values"] = vs
		}
	}
	// Helm ≥ 3.13: each subchart's scope (its .Values, .Chart, …) under .Subcharts.<name>.
	for _, child := range c.children {
		scope, err := allTemplates(child, out, next, crds)
		if err != nil {
			return nil, err
		}
		next["Subcharts"].(map[string]any)[child.name()] = scope
	}
	full := c.fullPath()
	for _, t := range c.node.Templates {
		if c.meta.Type == "library" && !strings.HasPrefix(path.Base(t.Name), "_") {
			continue
		}
		data, err := base64.StdEncoding.DecodeString(t.Data)
		if err != nil {
			return nil, fmt.Errorf("chart %s: template %s is not base64: %w", c.name(), t.Name, err)
		}
		out[path.Join(full, t.Name)] = renderable{data: string(data), vals: next, basePath: path.Join(full, "templates")}
	}
	return next, nil
}

// execute parses every template into one set (deepest paths first, so a parent chart's `define` wins over a
// subchart's of the same name), then executes each one whose base name does not start with "_".
func execute(tpls map[string]renderable, strict bool, lookup lookupFunc) (map[string]string, error) {
	names := make([]string, 0, len(tpls))
	for name := range tpls {
		names = append(names, name)
	}
	sort.Sort(sort.Reverse(byPathLen(names)))

	t := template.New("gotpl")
	if strict {
		t.Option("missingkey=error")
	} else {
		// Not that it helps: text/template still writes "<no value>" for a missing key of a map[string]any.
		t.Option("missingkey=zero")
	}
	included := map[string]int{}
	t.Funcs(funcMap(t, included, strict, lookup))
	for _, name := range names {
		if _, err := t.New(name).Parse(tpls[name].data); err != nil {
			return nil, cleanupParseError(name, err)
		}
	}

	rendered := map[string]string{}
	for _, name := range names {
		if strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		r := tpls[name]
		vals := make(map[string]any, len(r.vals)+1)
		for k, v := range r.vals {
			vals[k] = v
		}
		vals["Template"] = map[string]any{"Name": name, "BasePath": r.basePath}
		var buf strings.Builder
		if err := t.ExecuteTemplate(&buf, name, vals); err != nil {
			return nil, cleanupExecError(name, err)
		}
		if strict {
			rendered[name] = buf.String()
		} else {
			rendered[name] = strings.ReplaceAll(buf.String(), "<no value>", "")
		}
	}
	return rendered, nil
}

// byPathLen orders by the number of path segments, then by name.
type byPathLen []string

func (p byPathLen) Len() int      { return len(p) }
func (p byPathLen) Swap(i, j int) { p[i], p[j] = p[j], p[i] }
func (p byPathLen) Less(i, j int) bool {
	ca, cb := strings.Count(p[i], "/"), strings.Count(p[j], "/")
	if ca == cb {
		return p[i] < p[j]
	}
	return ca < cb
}

// cleanupParseError: "parse error at (web/templates/x.yaml:3): unexpected {{end}}".
func cleanupParseError(filename string, err error) error {
	tokens := strings.Split(err.Error(), ": ")
	if len(tokens) == 1 {
		return fmt.Errorf("parse error in (%s): %s", filename, err)
	}
	return fmt.Errorf("parse error at (%s): %s", tokens[1], tokens[len(tokens)-1])
}

// cleanupExecError: a `required` or `fail` message is shown alone with its place
// ("execution error at (web/templates/x.yaml:3:11): image is required"); any other error as text/template wrote it.
func cleanupExecError(filename string, err error) error {
	if _, isExec := err.(template.ExecError); !isExec {
		return err
	}
	tokens := strings.SplitN(err.Error(), ": ", 3)
	if len(tokens) != 3 {
		return fmt.Errorf("execution error in (%s): %s", filename, err)
	}
	if parts := warnRegex.FindStringSubmatch(tokens[2]); len(parts) >= 2 {
		return fmt.Errorf("execution error at (%s): %s", tokens[1], parts[1])
	}
	return err
}
