package main

import (
	"fmt"

	"github.com/Masterminds/semver"
)

// pickVersion is Helm's repo.IndexFile.Get over one chart's versions (newest first, as an index keeps them): an
// exact match of the asked version first, else the first version the constraint admits ("*" when none is asked).
// It answers the index of the version, or -1 when none matches.
func pickVersion(constraint string, versions []string) (int, error) {
	if constraint != "" {
		for i, v := range versions {
			if v == constraint {
				return i, nil
			}
		}
	}
	ask := constraint
	if ask == "" {
		ask = "*"
	}
	c, err := semver.NewConstraint(ask)
	if err != nil {
		return -1, fmt.Errorf("improper constraint: %s", constraint)
	}
	for i, v := range versions {
		parsed, err := semver.NewVersion(v)
		if err != nil {
			continue
		}
		if c.Check(parsed) {
			return i, nil
		}
	}
	return -1, nil
}

// compareVersions orders two chart versions as Helm sorts an index (semver, newest first); a version that is not
// semver sorts last.
func compareVersions(a, b string) int {
	va, errA := semver.NewVersion(a)
	vb, errB := semver.NewVersion(b)
	switch {
	case errA != nil && errB != nil:
		return 0
	case errA != nil:
		return 1
	case errB != nil:
		return -1
	}
	return vb.Compare(va)
}
