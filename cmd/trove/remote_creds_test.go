package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestRemoteURLCredentialsRefused: a remote URL or endpoint carrying
// credentials is refused, for every scheme and with or without the probe;
// the error says where credentials go and never repeats them, and
// .trove/config is left as it was.
func TestRemoteURLCredentialsRefused(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		secret string
		want   []string
	}{
		{"s3 key and secret", []string{"s3://AKIAXXX:secret@bkt/p"}, "secret",
			[]string{"s3://***@bkt/p", "use s3://bkt/p", "AWS_ACCESS_KEY_ID", "AWS_PROFILE"}},
		{"s3 key only", []string{"s3://AKIAXXX@bkt/p"}, "AKIAXXX",
			[]string{"s3://***@bkt/p", "use s3://bkt/p"}},
		{"s3 secret with a slash", []string{"s3://AKIAXXX:wJalr/XUtnFEMI@bkt/p"}, "XUtnFEMI",
			[]string{"s3://***@bkt/p", "use s3://bkt/p"}},
		{"file", []string{"file://me:hunter2@localhost/srv/trove"}, "hunter2",
			[]string{"file://***@localhost/srv/trove", "a file remote needs none"}},
		{"endpoint", []string{"s3://bkt/p", "--endpoint", "https://minio:hunter2@minio.example.com"}, "hunter2",
			[]string{"endpoint https://***@minio.example.com", "use https://minio.example.com", "AWS_ACCESS_KEY_ID"}},
	}
	for _, tc := range tests {
		for _, probe := range []bool{false, true} {
			dir := newProject(t)
			before, _ := os.ReadFile(filepath.Join(dir, ".trove", "config"))
			args := append([]string{"remote", "add", "x"}, tc.args...)
			if !probe {
				args = append(args, "--no-probe")
			}
			r := trove(t, dir, args...)
			if r.code != exitUsage {
				t.Errorf("%s (probe %v): exit %d, want %d\n%s", tc.name, probe, r.code, exitUsage, r.stderr)
			}
			for _, w := range append(tc.want, "credentials never go in a URL") {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("%s (probe %v): stderr %q lacks %q", tc.name, probe, r.stderr, w)
				}
			}
			if strings.Contains(r.stdout+r.stderr, tc.secret) {
				t.Errorf("%s (probe %v): the output shows the secret:\n%s%s", tc.name, probe, r.stdout, r.stderr)
			}
			after, _ := os.ReadFile(filepath.Join(dir, ".trove", "config"))
			if string(after) != string(before) {
				t.Errorf("%s (probe %v): .trove/config changed:\n%s", tc.name, probe, after)
			}
		}
	}
}

// TestRemoteCredentialsInConfig: a config that holds credentials in a URL
// (written by hand, or by an older trove) never shows them: remote ls
// hides them and says to take them out, and commands using the remote
// refuse it.
func TestRemoteCredentialsInConfig(t *testing.T) {
	dir := newProject(t)
	path := filepath.Join(dir, ".trove", "config")
	var cfg map[string]any
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &cfg)
	}
	if err != nil {
		t.Fatal(err)
	}
	cfg["remotes"] = map[string]any{
		"leaky":  map[string]any{"url": "s3://AKIAXXX:hunter2@bkt/p"},
		"leaky2": map[string]any{"url": "s3://bkt/q", "endpoint": "http://u:hunter3@127.0.0.1:1"},
		"clean":  map[string]any{"url": "s3://bkt/r"},
	}
	b, _ = json.Marshal(cfg)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		args     []string
		code     int
		stdout   []string
		stderr   []string
		noStderr string
	}{
		{[]string{"remote", "ls"}, exitOK,
			[]string{"s3://***@bkt/p", "http://***@127.0.0.1:1", "s3://bkt/r"},
			[]string{"remote leaky: .trove/config holds credentials", "remote leaky2: .trove/config holds credentials"}, "remote clean"},
		{[]string{"remote", "ls", "--json"}, exitOK,
			[]string{`"url": "s3://***@bkt/p"`, `"endpoint": "http://***@127.0.0.1:1"`}, []string{"trove remote rm leaky"}, ""},
		{[]string{"push", "-r", "leaky"}, exitUsage, nil, []string{"remote leaky", "s3://***@bkt/p", "credentials never go in a URL"}, ""},
		{[]string{"fetch", "-r", "leaky2"}, exitUsage, nil, []string{"remote leaky2", "endpoint http://***@127.0.0.1:1"}, ""},
	}
	for _, tc := range tests {
		r := trove(t, dir, tc.args...)
		if r.code != tc.code {
			t.Errorf("trove %v: exit %d, want %d\n%s", tc.args, r.code, tc.code, r.stderr)
		}
		for _, w := range tc.stdout {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("trove %v: stdout %q lacks %q", tc.args, r.stdout, w)
			}
		}
		for _, w := range tc.stderr {
			if !strings.Contains(r.stderr, w) {
				t.Errorf("trove %v: stderr %q lacks %q", tc.args, r.stderr, w)
			}
		}
		if tc.noStderr != "" && strings.Contains(r.stderr, tc.noStderr) {
			t.Errorf("trove %v: stderr %q mentions %q", tc.args, r.stderr, tc.noStderr)
		}
		for _, secret := range []string{"hunter2", "hunter3", "AKIAXXX"} {
			if strings.Contains(r.stdout+r.stderr, secret) {
				t.Errorf("trove %v shows %s:\n%s%s", tc.args, secret, r.stdout, r.stderr)
			}
		}
	}
}

// TestRemoteAddProbeErrors: the common reasons a new S3 remote cannot be
// used are told in one sentence naming the cause and the fix, without the
// SDK's step-by-step text, and the remote is not added.
func TestRemoteAddProbeErrors(t *testing.T) {
	srv := s3server.Server(t)
	bucket := srv.NewBucket(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	// A stand-in for the EC2 instance metadata service, on 127.0.0.1, so
	// that nothing here reaches 169.254.169.254 even if trove asked it.
	var imdsHits atomic.Int64
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		imdsHits.Add(1)
		http.NotFound(w, r)
	}))
	defer imds.Close()

	tests := []struct {
		name     string
		url      string
		endpoint string
		key      string // "" for no credentials at all
		secret   string
		want     []string
	}{
		{"no credentials", "s3://bkt/p", closed, "", "",
			[]string{"remote r5", "no AWS credentials found", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", "AWS_PROFILE"}},
		{"endpoint unreachable", "s3://bkt/p", closed, "id", "dummy",
			[]string{"remote r5", "cannot reach " + closed + " (connection refused)", "--endpoint", "--no-probe"}},
		{"bucket missing", "s3://no-such-bucket/p", srv.Endpoint, srv.AccessKey, srv.SecretKey,
			[]string{"remote r5", `bucket "no-such-bucket" does not exist at ` + srv.Endpoint, "create it"}},
		{"access denied", "s3://" + bucket + "/p", srv.Endpoint, srv.AccessKey, "wrong-secret",
			[]string{"remote r5", "access denied", "check the credentials", "AWS_ACCESS_KEY_ID"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range map[string]string{
				"AWS_ACCESS_KEY_ID": tc.key, "AWS_SECRET_ACCESS_KEY": tc.secret, "AWS_SESSION_TOKEN": "",
				"AWS_PROFILE": "", "AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
				"AWS_REGION": srv.Region, "AWS_ENDPOINT_URL": "", "AWS_ENDPOINT_URL_S3": "",
				"AWS_EC2_METADATA_DISABLED": "", "AWS_EC2_METADATA_SERVICE_ENDPOINT": imds.URL,
				"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
				"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
			} {
				t.Setenv(k, v)
			}
			imdsHits.Store(0)
			dir := newProject(t)
			r := trove(t, dir, "remote", "add", "r5", tc.url, "--endpoint", tc.endpoint)
			if r.code != exitError {
				t.Errorf("exit %d, want %d", r.code, exitError)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr %q lacks %q", r.stderr, w)
				}
			}
			for _, n := range []string{"operation error", "StatusCode", "get identity", "EC2 IMDS", "RequestID", "wrong-secret"} {
				if strings.Contains(r.stderr, n) {
					t.Errorf("stderr %q shows %q", r.stderr, n)
				}
			}
			if strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Errorf("stderr is more than one line: %q", r.stderr)
			}
			if n := imdsHits.Load(); n != 0 {
				t.Errorf("the EC2 instance metadata service was asked %d times for an S3-compatible endpoint", n)
			}
			if out := mustTrove(t, dir, "remote", "ls"); strings.Contains(out, "r5") {
				t.Errorf("the remote was added: %s", out)
			}
		})
	}
}
