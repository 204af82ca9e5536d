// The Helm chart renderer: Go's own text/template with Sprig and Helm's template functions, built to WebAssembly
// (GOOS=js) so that Node runs the exact template semantics Helm users write against. See docs/charts.md.
//
// It installs two functions on the JS global object:
//   - skiffHelmRender(requestJSON, lookup, readFile) → Promise<resultJSON>: works out a chart tree's values and
//     renders its templates (engine.go, values.go); lookup(apiVersion, kind, namespace, name) → Promise<objectJSON>
//     serves the `lookup` function, readFile(path) → text (or a thrown error) serves --set-file.
//   - skiffJsonToYaml(json) → YAML text, as Helm prints values (sigs.k8s.io/yaml semantics, yaml.go);
//   - skiffYamlToJson(yaml) → JSON text, as Helm reads a values file (sigs.k8s.io/yaml semantics, yaml.go); throws
//     what the YAML parser says;
//   - skiffPickVersion(constraint, versionsJSON) → the index of the version Helm would pick (-1 for none), or an Error;
//   - skiffCompareVersions(a, b) → <0, 0 or >0 as Helm orders chart versions in an index (newest first);
//   - skiffComputedValues(chartValuesJSON, configJSON) → JSON of a release's config over its chart's values, as
//     `helm get values --all` coalesces them, or an Error.
package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"syscall/js"
)

func main() {
	// A values.schema.json may $ref a URL; nothing is fetched from here (tests and pods reach only loopback).
	http.DefaultTransport = refuseTransport{}
	js.Global().Set("skiffHelmRender", js.FuncOf(func(_ js.Value, args []js.Value) any {
		request, lookup, readFile := args[0].String(), args[1], args[2]
		return promise(func() (string, error) {
			var req renderRequest
			if err := json.Unmarshal([]byte(request), &req); err != nil {
				return "", err
			}
			req.Values.readFile = jsReadFile(readFile)
			rendered, err := render(req, jsLookup(lookup))
			if err != nil {
				return "", err
			}
			out, err := json.Marshal(rendered)
			return string(out), err
		})
	}))
	js.Global().Set("skiffJsonToYaml", js.FuncOf(func(_ js.Value, args []js.Value) any {
		var v any
		if err := json.Unmarshal([]byte(args[0].String()), &v); err != nil {
			return js.Global().Get("Error").New(err.Error())
		}
		out, err := marshalYAML(v)
		if err != nil {
			return js.Global().Get("Error").New(err.Error())
		}
		return string(out)
	}))
	js.Global().Set("skiffYamlToJson", js.FuncOf(func(_ js.Value, args []js.Value) any {
		out, err := yamlToJSON([]byte(args[0].String()))
		if err != nil {
			return js.Global().Get("Error").New(err.Error())
		}
		return string(out)
	}))
	js.Global().Set("skiffPickVersion", js.FuncOf(func(_ js.Value, args []js.Value) any {
		var versions []string
		if err := json.Unmarshal([]byte(args[1].String()), &versions); err != nil {
			return js.Global().Get("Error").New(err.Error())
		}
		i, err := pickVersion(args[0].String(), versions)
		if err != nil {
			return js.Global().Get("Error").New(err.Error())
		}
		return i
	}))
	js.Global().Set("skiffComputedValues", js.FuncOf(func(_ js.Value, args []js.Value) any {
		var defaults, config map[string]any
		if err := json.Unmarshal([]byte(args[0].String()), &defaults); err != nil {
			return js.Global().Get("Error").New(err.Error())
		}
		if err := json.Unmarshal([]byte(args[1].String()), &config); err != nil {
			return js.Global().Get("Error").New(err.Error())
		}
		// A release keeps its chart without subcharts, so this is the chart's own values under the config.
		out, err := coalesceValues(&chart{meta: &Metadata{}, values: defaults}, config, false)
		if err != nil {
			return js.Global().Get("Error").New(err.Error())
		}
		text, err := json.Marshal(out)
		if err != nil {
			return js.Global().Get("Error").New(err.Error())
		}
		return string(text)
	}))
	js.Global().Set("skiffCompareVersions", js.FuncOf(func(_ js.Value, args []js.Value) any {
		return compareVersions(args[0].String(), args[1].String())
	}))
	select {}
}

// promise runs work on its own goroutine (it may wait on JS promises, which a JS callback must not) and settles a
// JS Promise with its text or its error.
func promise(work func() (string, error)) js.Value {
	return js.Global().Get("Promise").New(js.FuncOf(func(_ js.Value, settle []js.Value) any {
		resolve, reject := settle[0], settle[1]
		go func() {
			// A panic would end the Go program and every render after it: it is this render's error instead.
			defer func() {
				if r := recover(); r != nil {
					reject.Invoke(js.Global().Get("Error").New(fmt.Sprintf("internal error in the chart renderer: %v", r)))
				}
			}()
			out, err := work()
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New(err.Error()))
				return
			}
			resolve.Invoke(out)
		}()
		return nil
	}))
}

// jsLookup calls the JS lookup function and waits for its promise: the object as JSON, "" for none.
func jsLookup(fn js.Value) lookupFunc {
	return func(apiVersion, kind, namespace, name string) (string, error) {
		if fn.Type() != js.TypeFunction {
			return "", nil
		}
		type settled struct {
			text string
			err  string
		}
		done := make(chan settled, 1)
		var onResolve, onReject js.Func
		onResolve = js.FuncOf(func(_ js.Value, a []js.Value) any {
			done <- settled{text: a[0].String()}
			return nil
		})
		onReject = js.FuncOf(func(_ js.Value, a []js.Value) any {
			done <- settled{err: a[0].Call("toString").String()}
			return nil
		})
		defer onResolve.Release()
		defer onReject.Release()
		fn.Invoke(apiVersion, kind, namespace, name).Call("then", onResolve, onReject)
		s := <-done
		if s.err != "" {
			return "", errorString(s.err)
		}
		return s.text, nil
	}
}

// jsReadFile calls the JS readFile function (synchronous): the file's text, or the error it threw.
func jsReadFile(fn js.Value) func(string) (string, error) {
	return func(path string) (text string, err error) {
		if fn.Type() != js.TypeFunction {
			return "", fmt.Errorf("open %s: no such file or directory", path)
		}
		defer func() {
			if r := recover(); r != nil {
				if thrown, ok := r.(js.Error); ok {
					err = errorString(thrown.Value.Get("message").String())
				} else {
					err = fmt.Errorf("%v", r)
				}
			}
		}()
		return fn.Invoke(path).String(), nil
	}
}

type errorString string

func (e errorString) Error() string { return string(e) }

// refuseTransport answers every HTTP request with an error.
type refuseTransport struct{}

func (refuseTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("%s is not fetched: references to remote schemas are not followed", r.URL)
}
