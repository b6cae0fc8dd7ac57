// Package keymatrix is the SPEC §2 key matrix as one fixture (keys.json):
// every settings key, its section, the SPEC paragraph, the roles that may
// read and write it, its default, a PATCH body of its section that is
// accepted with the value a read then shows, and one refused on exactly
// that key. The domain's tests and the API's tests read it; "api" holds
// what the API shows differently (a new account's company name and
// notification lists, the generated secrets' masks, the caller's address).
//
// Values are JSON. Placeholders in strings stand for what a test knows
// only at run time: {{callbackUrl}}, {{privateKeyMask}}, {{vkSecretMask}},
// {{signingSecretMask}}, {{callerIP}}; {{c*n}} is the character c n times.
package keymatrix

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

//go:embed keys.json
var raw []byte

// Key is one key of the matrix; Default, OK, OKRead and Bad are JSON.
type Key struct {
	Key     string   `json:"key"`
	Section string   `json:"section"`
	Spec    string   `json:"spec"`  // the SPEC §2 paragraph, e.g. 2.1
	Read    []string `json:"read"`  // the roles that may read it
	Write   []string `json:"write"` // the roles that may write it
	Default string   `json:"-"`
	OK      string   `json:"-"` // a PATCH body of the section
	OKRead  string   `json:"-"` // the read value after OK
	Bad     string   `json:"-"` // a PATCH body refused on Key alone
}

type values struct {
	Default json.RawMessage `json:"default"`
	OK      json.RawMessage `json:"ok"`
	OKRead  json.RawMessage `json:"okRead"`
	Bad     json.RawMessage `json:"bad"`
}

type entry struct {
	Key
	Values values `json:"-"`
	API    values `json:"api"`
}

func (e *entry) UnmarshalJSON(b []byte) error {
	type plain entry
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &p.Values); err != nil {
		return err
	}
	*e = entry(p)
	return nil
}

// Vars are the placeholders' values.
type Vars struct {
	CallbackURL, PrivateKeyMask, VKSecretMask, SigningSecretMask, CallerIP string
}

// Domain is the matrix as the settings package sees a document.
func Domain(v Vars) ([]Key, error) { return load(v, false) }

// API is the matrix as the HTTP API shows it.
func API(v Vars) ([]Key, error) { return load(v, true) }

var repeat = regexp.MustCompile(`\{\{(.)\*(\d+)\}\}`)

func load(v Vars, api bool) ([]Key, error) {
	var entries []entry
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("keymatrix: keys.json: %w", err)
	}
	str := func(s string) string { b, _ := json.Marshal(s); return strings.Trim(string(b), `"`) }
	r := strings.NewReplacer("{{callbackUrl}}", str(v.CallbackURL), "{{privateKeyMask}}", str(v.PrivateKeyMask),
		"{{vkSecretMask}}", str(v.VKSecretMask), "{{signingSecretMask}}", str(v.SigningSecretMask), "{{callerIP}}", str(v.CallerIP))
	expand := func(m json.RawMessage) string {
		s := repeat.ReplaceAllStringFunc(string(m), func(p string) string {
			g := repeat.FindStringSubmatch(p)
			n, _ := strconv.Atoi(g[2])
			return strings.Repeat(g[1], n)
		})
		return r.Replace(s)
	}
	pick := func(base, over json.RawMessage) string {
		if api && over != nil {
			return expand(over)
		}
		return expand(base)
	}
	out := make([]Key, len(entries))
	for i, e := range entries {
		k := e.Key
		k.Default, k.OK, k.OKRead, k.Bad = pick(e.Values.Default, e.API.Default), pick(e.Values.OK, e.API.OK), pick(e.Values.OKRead, e.API.OKRead), pick(e.Values.Bad, e.API.Bad)
		if k.Section == "" || !strings.HasPrefix(k.Key, k.Section+".") {
			return nil, fmt.Errorf("keymatrix: %s is not in its section %q", k.Key, k.Section)
		}
		out[i] = k
	}
	return out, nil
}
