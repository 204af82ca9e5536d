package main

// --set, --set-string, --set-json and --set-file, parsed as Helm parses them ("a.b=c,list[0]=d,x={1,2}"):
// backslash escapes the next character, `true`/`false`/`null` and integers are typed (--set only; integers as int64,
// unlike a values file's float64), a key without a value is an error.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
)

const (
	maxIndex           = 65536
	maxNestedNameLevel = 30
)

var errNotList = errors.New("not a list")

type runesValueReader func([]rune) (any, error)

type strvalsParser struct {
	sc        *bytes.Buffer
	data      map[string]any
	reader    runesValueReader
	isJSONVal bool
}

// parseSet reads a --set value into dest.
func parseSet(s string, dest map[string]any) error {
	return newStrvalsParser(s, dest, func(rs []rune) (any, error) { return typedVal(rs, false), nil }).parse()
}

// parseSetString reads a --set-string value into dest: every value a string.
func parseSetString(s string, dest map[string]any) error {
	return newStrvalsParser(s, dest, func(rs []rune) (any, error) { return typedVal(rs, true), nil }).parse()
}

// parseSetFile reads a --set-file value into dest: each value is a path whose content becomes the value.
func parseSetFile(s string, dest map[string]any, reader runesValueReader) error {
	return newStrvalsParser(s, dest, reader).parse()
}

// parseSetJSON reads a --set-json value into dest: each value is JSON.
func parseSetJSON(s string, dest map[string]any) error {
	t := newStrvalsParser(s, dest, nil)
	t.isJSONVal = true
	return t.parse()
}

func newStrvalsParser(s string, dest map[string]any, reader runesValueReader) *strvalsParser {
	return &strvalsParser{sc: bytes.NewBufferString(s), data: dest, reader: reader}
}

func (t *strvalsParser) parse() error {
	for {
		err := t.key(t.data, 0)
		if err == nil {
			continue
		}
		if err == io.EOF {
			return nil
		}
		return err
	}
}

func typedVal(v []rune, st bool) any {
	val := string(v)
	if st {
		return val
	}
	if strings.EqualFold(val, "true") {
		return true
	}
	if strings.EqualFold(val, "false") {
		return false
	}
	if strings.EqualFold(val, "null") {
		return nil
	}
	if strings.EqualFold(val, "0") {
		return int64(0)
	}
	// A number that does not start with 0 is an integer if it parses as one.
	if len(val) != 0 && val[0] != '0' {
		if iv, err := strconv.ParseInt(val, 10, 64); err == nil {
			return iv
		}
	}
	return val
}

func runeSet(r ...rune) map[rune]bool {
	s := make(map[rune]bool, len(r))
	for _, rr := range r {
		s[rr] = true
	}
	return s
}

func (t *strvalsParser) key(data map[string]any, nestedNameLevel int) (reterr error) {
	defer func() {
		if r := recover(); r != nil {
			reterr = fmt.Errorf("unable to parse key: %s", r)
		}
	}()
	stop := runeSet('=', '[', ',', '.')
	for {
		k, last, err := runesUntil(t.sc, stop)
		switch {
		case err != nil:
			if len(k) == 0 {
				return err
			}
			return fmt.Errorf("key %q has no value", string(k))
		case last == '[':
			i, err := t.keyIndex()
			if err != nil {
				return fmt.Errorf("error parsing index: %w", err)
			}
			kk := string(k)
			list := []any{}
			if _, ok := data[kk]; ok {
				list = data[kk].([]any)
			}
			list, err = t.listItem(list, i, nestedNameLevel)
			set(data, kk, list)
			return err
		case last == '=':
			if t.isJSONVal {
				empty, err := t.emptyVal()
				if err != nil {
					return err
				}
				if empty {
					set(data, string(k), nil)
					return nil
				}
				v, err := t.jsonVal()
				if err != nil {
					return err
				}
				set(data, string(k), v)
				_, err = t.emptyVal()
				return err
			}
			vl, e := t.valList()
			switch e {
			case nil:
				set(data, string(k), vl)
				return nil
			case io.EOF:
				set(data, string(k), "")
				return e
			case errNotList:
				rs, e := t.val()
				if e != nil && e != io.EOF {
					return e
				}
				v, e := t.reader(rs)
				set(data, string(k), v)
				return e
			default:
				return e
			}
		case last == ',':
			set(data, string(k), "")
			return fmt.Errorf("key %q has no value (cannot end with ,)", string(k))
		case last == '.':
			nestedNameLevel++
			if nestedNameLevel > maxNestedNameLevel {
				return fmt.Errorf("value name nested level is greater than maximum supported nested level of %d", maxNestedNameLevel)
			}
			inner := map[string]any{}
			if _, ok := data[string(k)]; ok {
				inner = data[string(k)].(map[string]any)
			}
			e := t.key(inner, nestedNameLevel)
			if e == nil && len(inner) == 0 {
				return fmt.Errorf("key map %q has no value", string(k))
			}
			if len(inner) != 0 {
				set(data, string(k), inner)
			}
			return e
		}
	}
}

// jsonVal decodes one JSON value from what is left and consumes just its characters.
func (t *strvalsParser) jsonVal() (any, error) {
	var v any
	dec := json.NewDecoder(strings.NewReader(t.sc.String()))
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := io.CopyN(io.Discard, t.sc, dec.InputOffset()); err != nil {
		return nil, err
	}
	return v, nil
}

func set(data map[string]any, key string, val any) {
	if len(key) == 0 {
		return
	}
	data[key] = val
}

func setIndex(list []any, index int, val any) (l2 []any, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("error processing index %d: %s", index, r)
		}
	}()
	if index < 0 {
		return list, fmt.Errorf("negative %d index not allowed", index)
	}
	if index > maxIndex {
		return list, fmt.Errorf("index of %d is greater than maximum supported index value of %d", index, maxIndex)
	}
	if len(list) <= index {
		grown := make([]any, index+1)
		copy(grown, list)
		list = grown
	}
	list[index] = val
	return list, nil
}

func (t *strvalsParser) keyIndex() (int, error) {
	v, _, err := runesUntil(t.sc, runeSet(']'))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(string(v))
}

func (t *strvalsParser) listItem(list []any, i, nestedNameLevel int) ([]any, error) {
	if i < 0 {
		return list, fmt.Errorf("negative %d index not allowed", i)
	}
	k, last, err := runesUntil(t.sc, runeSet('[', '.', '='))
	switch {
	case len(k) > 0:
		return list, fmt.Errorf("unexpected data at end of array index: %q", k)
	case err != nil:
		return list, err
	case last == '=':
		if t.isJSONVal {
			empty, err := t.emptyVal()
			if err != nil {
				return list, err
			}
			if empty {
				return setIndex(list, i, nil)
			}
			v, err := t.jsonVal()
			if err != nil {
				return list, err
			}
			if list, err = setIndex(list, i, v); err != nil {
				return list, err
			}
			_, err = t.emptyVal()
			return list, err
		}
		vl, e := t.valList()
		switch e {
		case nil:
			return setIndex(list, i, vl)
		case io.EOF:
			return setIndex(list, i, "")
		case errNotList:
			rs, e := t.val()
			if e != nil && e != io.EOF {
				return list, e
			}
			v, e := t.reader(rs)
			if e != nil {
				return list, e
			}
			return setIndex(list, i, v)
		default:
			return list, e
		}
	case last == '[':
		nextI, err := t.keyIndex()
		if err != nil {
			return list, fmt.Errorf("error parsing index: %w", err)
		}
		var current []any
		if len(list) > i && list[i] != nil {
			current = list[i].([]any)
		}
		inner, err := t.listItem(current, nextI, nestedNameLevel)
		if err != nil {
			return list, err
		}
		return setIndex(list, i, inner)
	case last == '.':
		inner := map[string]any{}
		if len(list) > i {
			var ok bool
			inner, ok = list[i].(map[string]any)
			if !ok {
				list[i] = map[string]any{}
				inner = list[i].(map[string]any)
			}
		}
		if e := t.key(inner, nestedNameLevel); e != nil {
			return list, e
		}
		return setIndex(list, i, inner)
	default:
		return nil, fmt.Errorf("parse error: unexpected token %v", last)
	}
}

// emptyVal consumes blanks up to a comma or the end (an empty value) and leaves anything else.
func (t *strvalsParser) emptyVal() (bool, error) {
	for {
		r, _, e := t.sc.ReadRune()
		if e == io.EOF {
			return true, nil
		}
		if e != nil {
			return false, e
		}
		if r == ',' {
			return true, nil
		}
		if !unicode.IsSpace(r) {
			_ = t.sc.UnreadRune()
			return false, nil
		}
	}
}

func (t *strvalsParser) val() ([]rune, error) {
	v, _, err := runesUntil(t.sc, runeSet(','))
	return v, err
}

func (t *strvalsParser) valList() ([]any, error) {
	r, _, e := t.sc.ReadRune()
	if e != nil {
		return []any{}, e
	}
	if r != '{' {
		_ = t.sc.UnreadRune()
		return []any{}, errNotList
	}
	list := []any{}
	stop := runeSet(',', '}')
	for {
		rs, last, err := runesUntil(t.sc, stop)
		switch {
		case err != nil:
			if err == io.EOF {
				err = errors.New("list must terminate with '}'")
			}
			return list, err
		case last == '}':
			if r, _, e := t.sc.ReadRune(); e == nil && r != ',' {
				_ = t.sc.UnreadRune()
			}
			v, e := t.reader(rs)
			list = append(list, v)
			return list, e
		case last == ',':
			v, e := t.reader(rs)
			if e != nil {
				return list, e
			}
			list = append(list, v)
		}
	}
}

func runesUntil(in io.RuneReader, stop map[rune]bool) ([]rune, rune, error) {
	v := []rune{}
	for {
		r, _, e := in.ReadRune()
		switch {
		case e != nil:
			return v, r, e
		case stop[r]:
			return v, r, nil
		case r == '\\':
			next, _, e := in.ReadRune()
			if e != nil {
				return v, next, e
			}
			v = append(v, next)
		default:
			v = append(v, r)
		}
	}
}
