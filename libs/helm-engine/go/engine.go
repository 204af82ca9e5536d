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

// What the caller (libs/helm-engine/src/renderer.ts) has loaded and merged: each chart of the tree with its own
// scope, and every template file of the tree.
type renderRequest struct {
	// By chart path: "web", "web/charts/db".
	Charts       map[string]chartScope `json:"charts"`
	Templates    []templateFile        `json:"templates"`
	Release      map[string]any        `json:"release"`
	Capabilities capabilitiesJSON      `json:"capabilities"`
	// Strict: a missing value is an error, and "<no value>" is left in the output (helm template --strict).
	Strict bool `json:"strict"`
}

type chartScope struct {
	Metadata metadata          `json:"metadata"`
	Values   map[string]any    `json:"values"`
	Files    map[string]string `json:"files"` // base64
}

type templateFile struct {
	// As Helm names it: "web/templates/deployment.yaml", "web/charts/db/templates/_helpers.tpl".
	Name  string `json:"name"`
	Data  string `json:"data"`
	Chart string `json:"chart"`
}

type capabilitiesJSON struct {
	APIVersions []string `json:"apiVersions"`
	KubeVersion string   `json:"kubeVersion"` // v1.32.0
	HelmVersion string   `json:"helmVersion"`
}

type lookupFunc func(apiVersion, kind, namespace, name string) (string, error)

// Nested includes deeper than this fail, as Helm's engine refuses them.
const recursionMax = 1000

// The message of `required` and `fail`, marked so the render error shows it alone with its place.
var warnRegex = regexp.MustCompile(`HELM\[(.*)\]HELM`)

func warnWrap(warn string) string { return "HELM[" + warn + "]HELM" }

// render parses every template into one set (deepest paths first, so a parent chart's `define` wins over a
// subchart's of the same name), then executes each one whose base name does not start with "_".
func render(req renderRequest, lookup lookupFunc) (map[string]string, error) {
	caps := newCapabilities(req.Capabilities)
	tops := map[string]map[string]any{}
	for name, c := range req.Charts {
		chartFiles := files{}
		for p, b64 := range c.Files {
			data, err := base64.StdEncoding.DecodeString(b64)
			if err != nil {
				return nil, fmt.Errorf("chart %s: file %s is not base64: %w", name, p, err)
			}
			chartFiles[p] = data
		}
		values := c.Values
		if values == nil {
			values = map[string]any{}
		}
		meta := c.Metadata
		tops[name] = map[string]any{
			"Values":       values,
			"Chart":        &meta,
			"Release":      req.Release,
			"Capabilities": caps,
			"Files":        chartFiles,
		}
	}

	byName := map[string]templateFile{}
	names := make([]string, 0, len(req.Templates))
	for _, t := range req.Templates {
		if _, ok := tops[t.Chart]; !ok {
			return nil, fmt.Errorf("template %s: chart %q is not in the request", t.Name, t.Chart)
		}
		byName[t.Name] = t
		names = append(names, t.Name)
	}
	sort.Sort(sort.Reverse(byPathLen(names)))

	t := template.New("gotpl")
	if req.Strict {
		t.Option("missingkey=error")
	} else {
		// Not that it helps: text/template still writes "<no value>" for a missing key of a map[string]any.
		t.Option("missingkey=zero")
	}
	included := map[string]int{}
	t.Funcs(funcMap(t, included, req.Strict, lookup))
	for _, name := range names {
		if _, err := t.New(name).Parse(byName[name].Data); err != nil {
			return nil, cleanupParseError(name, err)
		}
	}

	rendered := map[string]string{}
	for _, name := range names {
		if strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		tf := byName[name]
		vals := map[string]any{}
		for k, v := range tops[tf.Chart] {
			vals[k] = v
		}
		vals["Template"] = map[string]any{"Name": name, "BasePath": path.Join(tf.Chart, "templates")}
		var buf strings.Builder
		if err := t.ExecuteTemplate(&buf, name, vals); err != nil {
			return nil, cleanupExecError(name, err)
		}
		if req.Strict {
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
