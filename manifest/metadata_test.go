package manifest

import (
	"fmt"
	"strings"
	"testing"
)

func TestCanonicalMetadata(t *testing.T) {
	var keys101, keys100 strings.Builder
	keys101.WriteString("{")
	for i := range 101 {
		if i > 0 {
			keys101.WriteString(",")
		}
		fmt.Fprintf(&keys101, `"k%03d":%d`, i, i)
		if i == 99 {
			keys100.WriteString(keys101.String() + "}")
		}
	}
	keys101.WriteString("}")
	deep := strings.Repeat(`{"a":`, MaxMetadataDepth+1) + "1" + strings.Repeat("}", MaxMetadataDepth+1)
	for _, tc := range []struct {
		name, in string
		want     string // canonical form, or the error's text after "manifest: invalid: "
		ok       bool
	}{
		{"sorted and compact", `{ "b" : 1 , "a" : [ true , false , null ] }`, `{"a":[true,false,null],"b":1}`, true},
		{"nested keys sorted", `{"x":{"d":1,"c":{"f":2,"e":3}}}`, `{"x":{"c":{"e":3,"f":2},"d":1}}`, true},
		{"numbers as written", `{"a":1.50,"b":1E5,"c":-0,"d":12345678901234567890}`, `{"a":1.50,"b":1E5,"c":-0,"d":12345678901234567890}`, true},
		{"tiny number", `{"a":1e-400}`, `{"a":1e-400}`, true},
		{"strings escaped one way", `{"s":"\u0041\/<>&\u00e9\u2028\t"}`, `{"s":"A/<>&é\u2028\t"}`, true},
		{"bytewise key order", `{"é":1,"z":2,"Z":3}`, `{"Z":3,"z":2,"é":1}`, true},
		{"empty object", `{}`, `{}`, true},
		{"NaN in a string", `{"s":"NaN Infinity"}`, `{"s":"NaN Infinity"}`, true},
		{"100 keys", keys100.String(), keys100.String(), true},
		{"NaN", `{"loss": NaN}`, "metadata holds NaN at byte 9", false},
		{"Infinity", `{"loss": Infinity}`, "metadata holds Infinity", false},
		{"-Infinity", `{"loss": -Infinity}`, "Infinity", false},
		{"NaN in array", `{"l":[1,NaN]}`, "NaN", false},
		{"NaN after a string holding NaN", `{"s":"\"NaN","x":NaN}`, "metadata holds NaN at byte 17", false},
		{"overflowing number", `{"a":1e999}`, "metadata number 1e999 at a is too large for a float64", false},
		{"nested overflow", `{"a":{"b":[0,-1e400]}}`, "number -1e400 at a.b[1]", false},
		{"101 keys", keys101.String(), "metadata has 101 top-level keys (the limit is 100)", false},
		{"array at top", `[1,2]`, "metadata must be a JSON object, not an array", false},
		{"string at top", `"x"`, "not a string", false},
		{"null at top", `null`, "not null", false},
		{"duplicate key", `{"a":1,"a":2}`, `metadata repeats key "a" in the top-level object`, false},
		{"nested duplicate", `{"a":{"b":1,"b":1}}`, `repeats key "b" in a`, false},
		{"empty", ``, "metadata is empty", false},
		{"trailing data", `{"a":1} {"b":2}`, "more after its closing brace", false},
		{"truncated", `{"a":`, "ends early", false},
		{"syntax", `{"a" 1}`, "not valid JSON", false},
		{"invalid UTF-8", "{\"a\":\"\xff\"}", "not valid UTF-8", false},
		{"too deep", deep, "nests deeper than 64 levels", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CanonicalMetadata([]byte(tc.in))
			if tc.ok {
				if err != nil || string(got) != tc.want {
					t.Fatalf("CanonicalMetadata(%s) = %s, %v; want %s", tc.in, got, err, tc.want)
				}
				again, err := CanonicalMetadata(got)
				if err != nil || string(again) != string(got) {
					t.Fatalf("canonical form is not a fixed point: %s", again)
				}
				return
			}
			wantErr(t, err, ErrInvalid, tc.want)
		})
	}
}

func TestMergeMetadata(t *testing.T) {
	for _, tc := range []struct {
		name string
		base string
		kv   []string
		want string // result, or error text
		ok   bool
	}{
		{"types", "", []string{"epochs=10", "lr=0.001", "name=resnet", "ok=true", "tags=[1,2]", "q=\"7\"", "empty="}, `{"empty":"","epochs":10,"lr":0.001,"name":"resnet","ok":true,"q":"7","tags":[1,2]}`, true},
		{"onto base", `{"b": 1, "a": 2}`, []string{"b=x"}, `{"a":2,"b":"x"}`, true},
		{"later wins", "", []string{"a=1", "a=2"}, `{"a":2}`, true},
		{"value with =", "", []string{"expr=a=b"}, `{"expr":"a=b"}`, true},
		{"JSON value with spaces", "", []string{"s= 1 "}, `{"s":1}`, true},
		{"leading zeros stay a string", "", []string{"zip=007"}, `{"zip":"007"}`, true},
		{"no =", "", []string{"epochs"}, `metadata setting "epochs" has no '='`, false},
		{"empty key", "", []string{"=1"}, "empty key", false},
		{"NaN value stays a string", "", []string{"x=NaN"}, `{"x":"NaN"}`, true},
		{"overflow", "", []string{"x=1e999"}, "too large for a float64", false},
		{"bad base", `[]`, []string{"a=1"}, "must be a JSON object", false},
		{"duplicate in value", "", []string{`x={"a":1,"a":2}`}, `repeats key "a"`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := MergeMetadata([]byte(tc.base), tc.kv)
			if tc.ok {
				if err != nil || string(got) != tc.want {
					t.Fatalf("MergeMetadata = %s, %v; want %s", got, err, tc.want)
				}
				return
			}
			wantErr(t, err, ErrInvalid, tc.want)
		})
	}
	// More than 100 keys in total.
	var kv []string
	for i := range 101 {
		kv = append(kv, fmt.Sprintf("k%d=%d", i, i))
	}
	_, err := MergeMetadata(nil, kv)
	wantErr(t, err, ErrInvalid, "101 top-level keys")
}
