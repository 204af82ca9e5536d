package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"

	"gopkg.in/yaml.v2"
)

// YAML as Helm reads and writes it (sigs.k8s.io/yaml over yaml.v2): writing goes through JSON, so keys are sorted
// and field names are JSON's; reading goes YAML → JSON → Go, so every number read is a float64.

func marshalYAML(v any) ([]byte, error) {
	j, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("error marshaling into JSON: %v", err)
	}
	// yaml.v2 (not encoding/json) reads the JSON back, so that integers stay integers in the YAML.
	var obj any
	if err := yaml.Unmarshal(j, &obj); err != nil {
		return nil, fmt.Errorf("error converting JSON to YAML: %v", err)
	}
	y, err := yaml.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("error converting JSON to YAML: %v", err)
	}
	return y, nil
}

func unmarshalYAML(y []byte, o any) error {
	j, err := yamlToJSON(y)
	if err != nil {
		return fmt.Errorf("error converting YAML to JSON: %v", err)
	}
	if err := json.NewDecoder(bytes.NewReader(j)).Decode(o); err != nil {
		return fmt.Errorf("error unmarshaling JSON: while decoding JSON: %v", err)
	}
	return nil
}

func yamlToJSON(y []byte) ([]byte, error) {
	var obj any
	if err := yaml.Unmarshal(y, &obj); err != nil {
		return nil, err
	}
	jsonable, err := toJSONable(obj)
	if err != nil {
		return nil, err
	}
	return json.Marshal(jsonable)
}

// toJSONable turns yaml.v2's map[interface{}]interface{} into string-keyed maps, naming non-string keys as YAML
// writes them.
func toJSONable(v any) (any, error) {
	switch typed := v.(type) {
	case map[any]any:
		out := make(map[string]any, len(typed))
		for k, child := range typed {
			var key string
			switch tk := k.(type) {
			case string:
				key = tk
			case int:
				key = strconv.Itoa(tk)
			case int64:
				key = strconv.FormatInt(tk, 10)
			case float64:
				key = strconv.FormatFloat(tk, 'g', -1, 32)
				switch key {
				case "+Inf":
					key = ".inf"
				case "-Inf":
					key = "-.inf"
				case "NaN":
					key = ".nan"
				}
			case bool:
				key = strconv.FormatBool(tk)
			default:
				return nil, fmt.Errorf("Unsupported map key of type: %s, key: %+#v, value: %+#v", reflect.TypeOf(k), k, child)
			}
			c, err := toJSONable(child)
			if err != nil {
				return nil, err
			}
			out[key] = c
		}
		return out, nil
	case []any:
		out := make([]any, len(typed))
		for i, child := range typed {
			c, err := toJSONable(child)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	default:
		return v, nil
	}
}
