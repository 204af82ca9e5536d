package main

import "strings"

// Metadata is `.Chart`: Chart.yaml's fields by their Go names, as Helm's chart.Metadata has them (a field it does not
// have is an error in a template, not an empty value).
type Metadata struct {
	Name         string            `json:"name,omitempty"`
	Home         string            `json:"home,omitempty"`
	Sources      []string          `json:"sources,omitempty"`
	Version      string            `json:"version,omitempty"`
	Description  string            `json:"description,omitempty"`
	Keywords     []string          `json:"keywords,omitempty"`
	Maintainers  []*maintainer     `json:"maintainers,omitempty"`
	Icon         string            `json:"icon,omitempty"`
	APIVersion   string            `json:"apiVersion,omitempty"`
	Condition    string            `json:"condition,omitempty"`
	Tags         string            `json:"tags,omitempty"`
	AppVersion   string            `json:"appVersion,omitempty"`
	Deprecated   bool              `json:"deprecated,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	KubeVersion  string            `json:"kubeVersion,omitempty"`
	Dependencies []*dependency     `json:"dependencies,omitempty"`
	Type         string            `json:"type,omitempty"`
}

type maintainer struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	URL   string `json:"url,omitempty"`
}

type dependency struct {
	Name         string   `json:"name"`
	Version      string   `json:"version,omitempty"`
	Repository   string   `json:"repository"`
	Condition    string   `json:"condition,omitempty"`
	Tags         []string `json:"tags,omitempty"`
	Enabled      bool     `json:"enabled,omitempty"`
	ImportValues []any    `json:"import-values,omitempty"`
	Alias        string   `json:"alias,omitempty"`
}

// capabilities is `.Capabilities`: what the cluster serves, its version and Helm's.
type capabilities struct {
	APIVersions versionSet
	KubeVersion kubeVersion
	HelmVersion helmVersion
}

// versionSet is the group/versions and group/version/kinds the cluster serves.
type versionSet []string

// Has says whether a "group/version" or "group/version/Kind" is served.
func (v versionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

type kubeVersion struct {
	Version string // v1.32.0
	Major   string
	Minor   string
}

func (k kubeVersion) String() string { return k.Version }

// GitVersion is the version (deprecated in Helm: `.Capabilities.KubeVersion.Version`).
func (k kubeVersion) GitVersion() string { return k.Version }

type helmVersion struct {
	Version      string `json:"version,omitempty"`
	GitCommit    string `json:"git_commit,omitempty"`
	GitTreeState string `json:"git_tree_state,omitempty"`
	GoVersion    string `json:"go_version,omitempty"`
}

func newCapabilities(c capabilitiesJSON) *capabilities {
	parts := strings.SplitN(strings.TrimPrefix(c.KubeVersion, "v"), ".", 3)
	major, minor := "", ""
	if len(parts) >= 2 {
		major, minor = parts[0], parts[1]
	}
	return &capabilities{
		APIVersions: versionSet(c.APIVersions),
		KubeVersion: kubeVersion{Version: c.KubeVersion, Major: major, Minor: minor},
		HelmVersion: helmVersion{Version: c.HelmVersion},
	}
}
