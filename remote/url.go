package remote

import "strings"

// Remote URLs (s3://bucket/prefix, file:///path) and endpoints
// (https://host:port) are recorded in .trove/config, which is committed
// with the code, and printed in messages. Credentials therefore never
// belong in them: a user name or password written as URL user info
// ("s3://KEY:SECRET@bucket/prefix") is refused where a URL comes in, and
// hidden wherever one goes out.

// redactedUserinfo replaces the user info of a URL in messages.
const redactedUserinfo = "***"

// URLCredentials reports whether raw carries user info (a user name, or a
// user name and a password, before an '@' in its authority), and returns
// raw without it. It errs on the side of finding credentials: a password
// holding '/', '?' or '#', as AWS secret keys may, ends the authority early
// ("s3://KEY:se/cret@bucket"), so a colon in the authority that is not
// followed by a port, with an '@' further on, counts too.
func URLCredentials(raw string) (clean string, found bool) {
	start, end, ok := userinfoSpan(raw)
	if !ok {
		return raw, false
	}
	return raw[:start] + raw[end:], true
}

// RedactURL returns raw with any user info (see [URLCredentials]) replaced
// by "***", for messages and listings. Other URLs are returned as they
// are.
func RedactURL(raw string) string {
	start, end, ok := userinfoSpan(raw)
	if !ok {
		return raw
	}
	return raw[:start] + redactedUserinfo + "@" + raw[end:]
}

// userinfoSpan returns raw[start:end], the user info of raw with its
// trailing '@'. It looks again at what removing it leaves, until nothing
// more is found, so that the clean URL has none left.
func userinfoSpan(raw string) (start, end int, ok bool) {
	start, end, ok = userinfoOnce(raw)
	for ok {
		_, e, more := userinfoOnce(raw[:start] + raw[end:])
		if !more {
			break
		}
		end += e - start
	}
	return start, end, ok
}

// userinfoOnce is one look of userinfoSpan.
func userinfoOnce(raw string) (start, end int, ok bool) {
	i := strings.Index(raw, "://")
	if i < 0 {
		return 0, 0, false
	}
	start = i + len("://")
	rest := raw[start:]
	authority := rest
	if j := strings.IndexAny(rest, "/?#"); j >= 0 {
		authority = rest[:j]
	}
	if at := strings.LastIndexByte(authority, '@'); at >= 0 {
		return start, start + at + 1, true
	}
	hostport := authority
	if strings.HasPrefix(hostport, "[") { // an IPv6 literal holds colons
		if k := strings.IndexByte(hostport, ']'); k >= 0 {
			hostport = hostport[k+1:]
		}
	}
	if c := strings.IndexByte(hostport, ':'); c >= 0 && !isPort(hostport[c+1:]) {
		if at := strings.LastIndexByte(rest, '@'); at >= 0 {
			return start, start + at + 1, true
		}
	}
	return 0, 0, false
}

// isPort reports whether s is a URL port: digits, possibly none.
func isPort(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
