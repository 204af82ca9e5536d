package main

import (
	"encoding/base64"
	"path"
	"strings"

	"github.com/gobwas/glob"
)

// files is a chart's `.Files`: every file of the chart that is not a template, a values file or Chart.yaml, by its
// path in the chart.
type files map[string][]byte

func (f files) GetBytes(name string) []byte {
	if v, ok := f[name]; ok {
		return v
	}
	return []byte{}
}

func (f files) Get(name string) string { return string(f.GetBytes(name)) }

// Glob keeps the files whose path matches (`*` within a segment, `**` across them).
func (f files) Glob(pattern string) files {
	g, err := glob.Compile(pattern, '/')
	if err != nil {
		g, _ = glob.Compile("**")
	}
	out := files{}
	for name, contents := range f {
		if g.Match(name) {
			out[name] = contents
		}
	}
	return out
}

// AsConfig is the files as a ConfigMap's data (YAML, by base name).
func (f files) AsConfig() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string, len(f))
	for k, v := range f {
		m[path.Base(k)] = string(v)
	}
	return toYAML(m)
}

// AsSecrets is the files as a Secret's data (YAML, by base name, base64).
func (f files) AsSecrets() string {
	if f == nil {
		return ""
	}
	m := make(map[string]string, len(f))
	for k, v := range f {
		m[path.Base(k)] = base64.StdEncoding.EncodeToString(v)
	}
	return toYAML(m)
}

// Lines is a file's lines, without a last empty one.
func (f files) Lines(name string) []string {
	if f == nil || f[name] == nil {
		return []string{}
	}
	s := string(f[name])
	if s != "" && s[len(s)-1] == '\n' {
		s = s[:len(s)-1]
	}
	return strings.Split(s, "\n")
}
